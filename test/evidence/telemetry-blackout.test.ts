// Evidence: the analytics API goes dark during an attack for longer than the calm period. Nothing is withdrawn while
// the traffic is unknown, each prefix raises one telemetry-lost alert (message, notification log and workflow state),
// and once data is back the withdraws follow the calm period as in the baseline.
import assert from 'node:assert/strict';
import { baselineRun, type BaselineRun } from './harness/baseline';
import { assertTimeline, calmCompleteAtMs, firstWindowAfterDarkMs, summary } from './harness/checks';
import { comparable } from './harness/outcome';
import { runScenario, type RunResult } from './harness/run';
import { A, CALM_MS, PREFIXES } from './harness/scenario';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/**
 * From T0+3 s, while A, B, C and E are all under attack, for 16 s: twice the calm period. A's attack ends inside it;
 * in the baseline its calm period is complete at T0+17 s, inside the blackout here.
 */
const DARK = { fromMs: 3_000, forMs: 16_000 };

describe('evidence: analytics dark for longer than the calm period, during an attack', function () {
  this.timeout(600_000);
  let baseline: BaselineRun;
  let run: RunResult;
  const seen: { lostAtMs: number | null; underAttackWhileLost: boolean; restoredAtMs: number | null } = {
    lostAtMs: null,
    underAttackWhileLost: false,
    restoredAtMs: null,
  };

  before(async () => {
    baseline = await baselineRun();
    run = await runScenario({
      name: 'analytics-dark',
      dark: DARK,
      env: { TELEMETRY_LOST_ALERT_AFTER: '2s' },
      chaos: async ({ t0, status, note }) => {
        const until = t0 + DARK.fromMs + DARK.forMs;
        while (Date.now() < until + 5_000) {
          const s = await status(A);
          if (s?.telemetry === 'lost' && seen.lostAtMs === null) {
            seen.lostAtMs = Date.now();
            seen.underAttackWhileLost = s.underAttack;
            note(
              `A: telemetry lost (${s.unknownReason}), under attack ${s.underAttack}, calm ${s.calmAccumulatedMs} ms`,
            );
          }
          if (seen.lostAtMs !== null && s?.telemetry === 'ok' && seen.restoredAtMs === null) {
            seen.restoredAtMs = Date.now();
            note('A: telemetry back');
          }
          await sleep(250);
        }
      },
    });
    console.log(`      ${summary(run)}`);
  });

  it('nothing is withdrawn while the data is unknown, nor before a full calm period after it is back', () => {
    const dark = run.dark!;
    // Every query during the blackout failed; the first window read afterwards starts the calm count again.
    const during = run.graphqlLog.filter((g) => g.atMs >= dark.fromMs && g.atMs < dark.untilMs);
    assert.ok(during.length >= 5 && during.every((g) => !g.answered), 'the analytics were dark');
    const back = firstWindowAfterDarkMs(run)!;
    console.log(
      `      first window read after the blackout ends at T0+${(back - run.t0) / 1000}s (blackout until T0+${(dark.untilMs - run.t0) / 1000}s)`,
    );
    assert.ok(back > dark.fromMs, 'no window from before the blackout was read after it');
    for (const p of run.patchLog) {
      assert.ok(p.atMs >= dark.untilMs, `${p.cidr} PATCHed during the blackout`);
      assert.ok(p.atMs >= back + CALM_MS, `${p.cidr} PATCHed at T0+${(p.atMs - run.t0) / 1000}s: calm not complete`);
    }
    assertTimeline(run);
    // Without the blackout A would have been withdrawn during it.
    assert.ok(calmCompleteAtMs(baseline, A.cidr) < dark.untilMs);
    assert.ok(calmCompleteAtMs(run, A.cidr) >= back + CALM_MS);
  });

  it('each prefix raised one telemetry-lost alert and one all-clear, in Telegram, the notification log and its state', () => {
    assert.ok(seen.lostAtMs !== null, "A's status showed telemetry lost");
    assert.ok(seen.underAttackWhileLost, 'the attack stays latched while the data is unknown');
    assert.ok(seen.restoredAtMs !== null, "A's status showed telemetry back");
    for (const p of PREFIXES) {
      const msgs = run.telegram.filter((m) => m.endsWith(` ${p.cidr}`));
      assert.equal(msgs.filter((m) => m.startsWith('telemetry_lost ')).length, 1, `telemetry_lost for ${p.cidr}`);
      assert.equal(msgs.filter((m) => m.startsWith('telemetry_restored ')).length, 1, `restored for ${p.cidr}`);
      assert.ok(run.notificationLog.includes(`telemetry_lost ${p.cidr} sent`));
    }
    const alert = run.telegramTexts.find((t) => /TRAFFIC DATA LOST/.test(t) && t.includes(A.cidr))!;
    assert.match(alert, /Auto-withdraw is frozen for 185\.54\.81\.0\/24/);
    assert.match(alert, /UNDER ATTACK/, 'the alert says the prefix was last seen under attack');
  });

  it('apart from those alerts the outcome is the baseline’s: same PATCHes, rows and other messages', () => {
    const telemetry = (lines: string[]) => lines.filter((l) => !/^telemetry_(lost|restored) /.test(l));
    const expected = comparable(baseline);
    const actual = comparable(run);
    assert.deepEqual(
      { ...actual, telegram: telemetry(actual.telegram), notificationLog: telemetry(actual.notificationLog) },
      expected,
    );
    assert.equal(actual.telegram.length, expected.telegram.length + 2 * PREFIXES.length);
  });
});
