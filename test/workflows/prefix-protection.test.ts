// PrefixProtection on the time-skipping server with the production durations (60 s cycles, 15 min calm),
// real activities, the loopback Cloudflare and Telegram, and a SQLite file.
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import Database from 'better-sqlite3';
import { protectionWorkflowId } from '../../src/workflows/ids';
import { statusQuery } from '../../src/workflows/messages';
import type { PrefixProtection } from '../../src/workflows/prefix-protection';
import type { ProtectionStatus } from '../../src/workflows/types';
import type { Fixture, TestPrefix } from '../helpers/fixture';
import { startTimeSkippingSystem, type TimeSkippingSystem } from '../helpers/time-skipping-system';

const MIN = 60_000;
const TASK_QUEUE = 'prefix-protection-test';

const A: TestPrefix = {
  cidr: '185.54.80.0/24',
  description: 'BGP',
  parentPrefixId: 'p4',
  bgpPrefixId: 'b80',
  advertised: true,
};
const B: TestPrefix = {
  cidr: '185.54.81.0/24',
  description: 'DMZ',
  parentPrefixId: 'p4',
  bgpPrefixId: 'b81',
  advertised: true,
};
const C: TestPrefix = {
  cidr: '2a02:4460:1::/48',
  description: 'DMZv6',
  parentPrefixId: 'p6',
  bgpPrefixId: 'b6',
  advertised: true,
};
const D: TestPrefix = {
  cidr: '185.54.82.0/24',
  description: 'Locked at CF',
  parentPrefixId: 'p4',
  bgpPrefixId: 'b82',
  advertised: true,
  locked: true,
};
const E: TestPrefix = {
  cidr: '185.54.83.0/24',
  description: 'Locked <ops>',
  parentPrefixId: 'p4',
  bgpPrefixId: 'b83',
  advertised: true,
  configLocked: true,
};

describe('PrefixProtection (time-skipping server, 60 s / 15 min)', function () {
  this.timeout(180_000);
  let sys: TimeSkippingSystem;
  let env: TestWorkflowEnvironment;
  let fx: Fixture;

  before(async () => {
    sys = await startTimeSkippingSystem({ taskQueue: TASK_QUEUE, prefixes: [A, B, C, D, E] });
    ({ env, fx } = sys);
  });

  after(async () => {
    await sys?.stop();
  });

  async function protect(p: TestPrefix): Promise<{ status: () => Promise<ProtectionStatus>; startMs: number }> {
    const startMs = await env.currentTimeMs();
    const handle = await env.client.workflow.start<typeof PrefixProtection>('PrefixProtection', {
      workflowId: protectionWorkflowId(p.cidr),
      taskQueue: TASK_QUEUE,
      args: [{ cidr: p.cidr }],
    });
    return { status: () => handle.query(statusQuery), startMs };
  }

  /** Advances workflow time minute by minute, recording the status after each step. */
  async function advance(minutes: number, status: () => Promise<ProtectionStatus>): Promise<ProtectionStatus[]> {
    const seen: ProtectionStatus[] = [];
    for (let i = 0; i < minutes; i++) {
      await env.sleep(MIN);
      seen.push(await status());
    }
    return seen;
  }

  const patchesOf = (p: TestPrefix) => fx.cf.stats.patches().filter((x) => x.bgpPrefixId === p.bgpPrefixId);
  const messagesAbout = (p: TestPrefix) => fx.tg.messages.filter((m) => m.plainText.includes(p.cidr));

  it('withdraws within one interval after 15 calm minutes, records it and notifies once', async () => {
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
    const { status } = await protect(A);
    const seen = await advance(26, status);

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

    const db = new Database(fx.databasePath, { readonly: true });
    try {
      const events = db
        .prepare("SELECT * FROM attack_events WHERE prefix = ? AND event_type = 'WITHDRAW'")
        .all(A.cidr) as Array<Record<string, unknown>>;
      assert.equal(events.length, 1);
      assert.equal(events[0]!.alert_type, 'autowithdraw_daemon');
      assert.equal(events[0]!.action_taken, 'withdrawn_auto');
      const history = db.prepare('SELECT * FROM withdrawal_history WHERE prefix = ?').all(A.cidr) as Array<
        Record<string, unknown>
      >;
      assert.equal(history.length, 1);
      assert.equal(history[0]!.withdraw_method, 'autowithdraw_daemon');
      assert.equal(history[0]!.status, 'success');
      assert.ok(Number(history[0]!.protection_duration_seconds) >= 2 * 3600);
      const calm = db
        .prepare('SELECT under_attack, advertised FROM prefix_calm_status WHERE prefix = ?')
        .get(A.cidr) as Record<string, number>;
      assert.deepEqual(calm, { under_attack: 0, advertised: 0 });
    } finally {
      db.close();
    }

    const msgs = messagesAbout(A);
    assert.equal(msgs.length, 1);
    assert.match(msgs[0]!.plainText, /AUTO-WITHDRAWN/);
    assert.match(msgs[0]!.plainText, /dosd/);
    assert.ok(msgs[0]!.plainText.includes(last.lastWithdraw!.eventId));
  });

  it('an attack at calm minute 10 restarts the calm period', async () => {
    const { status, startMs } = await protect(B);
    const firstCycle = Math.floor(startMs / MIN) * MIN;
    fx.cf.traffic.addFlow({
      destination: B.cidr,
      startMs: firstCycle + 10 * MIN,
      endMs: firstCycle + 11 * MIN,
      packetsPerSecond: 80_000,
      bitsPerSecond: 900e6,
      outcome: 'drop',
    });
    const seen = await advance(34, status);

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
    const { status, startMs } = await protect(C);
    const firstCycle = Math.floor(startMs / MIN) * MIN;
    fx.cf.traffic.addDarkPeriod({ fromMs: firstCycle + 5 * MIN, untilMs: firstCycle + 35 * MIN, mode: 'error' });
    const dark = await advance(34, status);
    assert.deepEqual(patchesOf(C), [], 'nothing withdrawn while the analytics were dark');
    assert.ok(dark.some((s) => s.telemetry === 'lost'));
    assert.ok(dark.every((s) => s.lastWithdraw === null && s.phase === 'protecting'));
    const frozen = dark[dark.length - 1]!.calmAccumulatedMs;
    assert.ok(frozen < 15 * MIN, `calm frozen at ${frozen}`);
    const lost = messagesAbout(C).filter((m) => /TRAFFIC DATA LOST/.test(m.plainText));
    assert.equal(lost.length, 1, 'one telemetry-lost alert');

    const after = await advance(16, status);
    const withdrawnAt = after[after.length - 1]!.lastWithdraw?.atMs;
    assert.ok(withdrawnAt, 'withdrawn once the analytics came back and calm accrued');
    assert.ok(withdrawnAt >= firstCycle + 35 * MIN + (15 * MIN - frozen), 'the dark half hour did not count as calm');
    assert.equal(patchesOf(C).length, 1);
    assert.ok(messagesAbout(C).some((m) => /TRAFFIC DATA RESTORED/.test(m.plainText)));
  });

  it('never withdraws a locked prefix (locked at Cloudflare or in the mapping file)', async () => {
    const d = await protect(D);
    const e = await protect(E);
    await advance(20, d.status);
    for (const [p, s] of [
      [D, await d.status()],
      [E, await e.status()],
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
