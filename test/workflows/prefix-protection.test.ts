// PrefixProtection on the time-skipping server with the production durations (60 s cycles, 15 min calm),
// real activities, the loopback Cloudflare and Telegram, and a SQLite file.
import assert from 'node:assert/strict';
import { statusQuery } from '../../src/workflows/messages';
import { testPrefix, type TestPrefix } from '../helpers/fixture';
import { advanceMinutes, patchesFor, startProtection } from '../helpers/protection-steps';
import { readRows } from '../helpers/records-file';
import { useTimeSkippingSystem } from '../helpers/time-skipping-system';

const MIN = 60_000;
const TASK_QUEUE = 'prefix-protection-test';

const A = testPrefix('185.54.80.0/24', 'BGP', 'b80', { parentPrefixId: 'p4' });
const B = testPrefix('185.54.81.0/24', 'DMZ', 'b81', { parentPrefixId: 'p4' });
const C = testPrefix('2a02:4460:1::/48', 'DMZv6', 'b6', { parentPrefixId: 'p6' });
const D = testPrefix('185.54.82.0/24', 'Locked at CF', 'b82', { parentPrefixId: 'p4', locked: true });
const E = testPrefix('185.54.83.0/24', 'Locked <ops>', 'b83', { parentPrefixId: 'p4', configLocked: true });

describe('PrefixProtection (time-skipping server, 60 s / 15 min)', function () {
  this.timeout(180_000);
  const sys = useTimeSkippingSystem({ taskQueue: TASK_QUEUE, prefixes: [A, B, C, D, E] });

  /** The prefix's protection, started now; `startMs` is the workflow time just before the start. */
  async function protect(p: TestPrefix) {
    const startMs = await sys().env.currentTimeMs();
    return { handle: await startProtection(sys(), p), startMs };
  }

  const patchesOf = (p: TestPrefix) => patchesFor(sys(), p);
  const messagesAbout = (p: TestPrefix) => sys().fx.tg.messages.filter((m) => m.plainText.includes(p.cidr));

  it('withdraws within one interval after 15 calm minutes, records it and notifies once', async () => {
    const { env, fx } = sys();
    const now = await env.currentTimeMs();
    fx.cf.traffic.addFlow({
      destination: A.cidr,
      spread: 256,
      startMs: now - 2 * MIN,
      endMs: now + 3 * MIN,
      packetsPerSecond: 50_000,
      bitsPerSecond: 400e6,
      outcome: 'drop',
      mitigationSystem: 'dosd',
    });
    const { handle } = await protect(A);
    const seen = await advanceMinutes(sys(), handle, 26);

    const calmSince = seen.find((s) => s.calmSinceMs !== null && !s.underAttack)?.calmSinceMs;
    assert.ok(calmSince, 'the prefix became calm');
    assert.ok(
      seen.some((s) => s.underAttack),
      'the attack was seen',
    );
    const last = seen[seen.length - 1]!;
    assert.equal(last.phase, 'cooldown');
    const withdrawnAt = last.lastWithdraw?.atMs;
    assert.ok(withdrawnAt, 'withdrawn');
    const lateness = withdrawnAt - (calmSince + 15 * MIN);
    assert.ok(lateness >= 0 && lateness <= MIN, `withdraw came ${lateness} ms after 15 calm minutes`);
    // No PATCH before the calm period was complete (the simulator stamps each PATCH with its own clock).
    const patches = patchesOf(A);
    assert.ok(patches.length > 0);
    for (const x of patches)
      assert.ok(
        x.atMs >= calmSince + 15 * MIN,
        `PATCH ${(calmSince + 15 * MIN - x.atMs) / 1000}s before calm completed`,
      );

    assert.deepEqual(
      patches.map((x) => [x.advertised, x.outcome]),
      [[false, 'changed']],
    );

    const events = readRows(
      fx.databasePath,
      "SELECT * FROM attack_events WHERE prefix = ? AND event_type = 'WITHDRAW'",
      A.cidr,
    );
    assert.equal(events.length, 1);
    assert.equal(events[0]!.alert_type, 'autowithdraw_daemon');
    assert.equal(events[0]!.action_taken, 'withdrawn_auto');
    const history = readRows(fx.databasePath, 'SELECT * FROM withdrawal_history WHERE prefix = ?', A.cidr);
    assert.equal(history.length, 1);
    assert.equal(history[0]!.withdraw_method, 'autowithdraw_daemon');
    assert.equal(history[0]!.status, 'success');
    assert.ok(Number(history[0]!.protection_duration_seconds) >= 2 * 3600);
    const [calm] = readRows(
      fx.databasePath,
      'SELECT under_attack, advertised FROM prefix_calm_status WHERE prefix = ?',
      A.cidr,
    );
    assert.deepEqual(calm, { under_attack: 0, advertised: 0 });

    const msgs = messagesAbout(A);
    assert.equal(msgs.length, 1);
    assert.match(msgs[0]!.plainText, /AUTO-WITHDRAWN/);
    assert.match(msgs[0]!.plainText, /dosd/);
    assert.ok(msgs[0]!.plainText.includes(last.lastWithdraw!.eventId));
  });

  it('an attack at calm minute 10 restarts the calm period', async () => {
    const { handle, startMs } = await protect(B);
    const firstCycle = Math.floor(startMs / MIN) * MIN;
    sys().fx.cf.traffic.addFlow({
      destination: B.cidr,
      startMs: firstCycle + 10 * MIN,
      endMs: firstCycle + 11 * MIN,
      packetsPerSecond: 80_000,
      bitsPerSecond: 900e6,
      outcome: 'drop',
    });
    const seen = await advanceMinutes(sys(), handle, 34);

    const reset = seen.find((s) => s.underAttack);
    assert.ok(reset, 'the attack at calm minute 10 was seen');
    assert.ok(reset.nowMs >= firstCycle + 10 * MIN && reset.nowMs <= firstCycle + 12 * MIN);
    const withdrawnAt = seen[seen.length - 1]!.lastWithdraw?.atMs;
    assert.ok(withdrawnAt, 'withdrawn in the end');
    const calmAgain = seen.filter((s) => s.calmSinceMs !== null && s.nowMs > reset.nowMs)[0]!.calmSinceMs!;
    assert.ok(withdrawnAt >= calmAgain + 15 * MIN && withdrawnAt <= calmAgain + 16 * MIN);
    assert.ok(withdrawnAt >= firstCycle + 25 * MIN, 'not withdrawn on the original schedule');
    assert.equal(patchesOf(B).length, 1);
  });

  it('30 minutes of analytics errors during calm: no withdraw, a telemetry-lost alert, withdraw after recovery', async () => {
    const { handle, startMs } = await protect(C);
    const firstCycle = Math.floor(startMs / MIN) * MIN;
    sys().fx.cf.traffic.addDarkPeriod({ fromMs: firstCycle + 5 * MIN, untilMs: firstCycle + 35 * MIN, mode: 'error' });
    const dark = await advanceMinutes(sys(), handle, 34);
    assert.deepEqual(patchesOf(C), [], 'nothing withdrawn while the analytics were dark');
    assert.ok(dark.some((s) => s.telemetry === 'lost'));
    assert.ok(dark.every((s) => s.lastWithdraw === null && s.phase === 'protecting'));
    const frozen = dark[dark.length - 1]!.calmAccumulatedMs;
    assert.ok(frozen < 15 * MIN, `calm frozen at ${frozen}`);
    const lost = messagesAbout(C).filter((m) => /TRAFFIC DATA LOST/.test(m.plainText));
    assert.equal(lost.length, 1, 'one telemetry-lost alert');

    const after = await advanceMinutes(sys(), handle, 16);
    const withdrawnAt = after[after.length - 1]!.lastWithdraw?.atMs;
    assert.ok(withdrawnAt, 'withdrawn once the analytics came back and calm accrued');
    assert.ok(withdrawnAt >= firstCycle + 35 * MIN + (15 * MIN - frozen), 'the dark half hour did not count as calm');
    assert.equal(patchesOf(C).length, 1);
    assert.ok(messagesAbout(C).some((m) => /TRAFFIC DATA RESTORED/.test(m.plainText)));
  });

  it('never withdraws a locked prefix (locked at Cloudflare or in the mapping file)', async () => {
    const d = await startProtection(sys(), D);
    const e = await startProtection(sys(), E);
    await advanceMinutes(sys(), d, 20);
    for (const [p, s] of [
      [D, await d.query(statusQuery)],
      [E, await e.query(statusQuery)],
    ] as const) {
      assert.equal(s.phase, 'protecting', p.cidr);
      assert.equal(s.locked, true, p.cidr);
      assert.equal(s.withdrawBlockedBy, 'locked');
      assert.ok(s.calmAccumulatedMs >= 15 * MIN, 'calm long enough to withdraw if it were not locked');
      assert.deepEqual(patchesOf(p), [], `no PATCH for ${p.cidr}`);
      const notices = messagesAbout(p);
      assert.equal(notices.length, 1, `one locked notice for ${p.cidr}`);
      assert.match(notices[0]!.plainText, /locked/i);
    }
  });
});
