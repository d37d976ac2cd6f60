// A manual withdraw racing the automatic one on the time-skipping server (60 s / 15 min): the operator's update
// arrives while the measurement that decides the automatic withdraw is still in flight (the simulator answers it
// slowly), or while the automatic withdraw is re-reading the prefix. Exactly one PATCH, one record, one message.
import assert from 'node:assert/strict';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { OPERATOR_FAILED, OPERATOR_REFUSED, statusQuery, withdrawUpdate } from '../../src/workflows/messages';
import type { PrefixProtection } from '../../src/workflows/prefix-protection';
import { testPrefix, type TestPrefix } from '../helpers/fixture';
import { patchesFor, refusedUpdate, startProtection } from '../helpers/protection-steps';
import { readRows } from '../helpers/records-file';
import { eventually } from '../helpers/temporal';
import { useTimeSkippingSystem } from '../helpers/time-skipping-system';

const MIN = 60_000;
const OPERATOR = { actor: 'dave@noc4', reason: 'race' };
const MEASURING = testPrefix('192.0.2.0/24', 'manual during the deciding measurement', 'race1');
const REREADING = testPrefix('198.51.100.0/24', 'manual during the automatic re-read', 'race2');

describe('manual withdraw racing the automatic one (time-skipping server)', function () {
  this.timeout(180_000);
  const sys = useTimeSkippingSystem({ taskQueue: 'withdraw-race', prefixes: [MEASURING, REREADING] });

  const patchesOf = (p: TestPrefix) => patchesFor(sys(), p);

  /** Started, then 14 calm minutes: the next cycle's reading completes the calm period and decides the withdraw. */
  async function almostDue(p: TestPrefix): Promise<WorkflowHandle<typeof PrefixProtection>> {
    const handle = await startProtection(sys(), p);
    await sys().env.sleep(14 * MIN);
    const st = await handle.query(statusQuery);
    assert.ok(st.calmAccumulatedMs >= 13 * MIN && st.calmAccumulatedMs < 15 * MIN, `${st.calmAccumulatedMs} ms calm`);
    assert.deepEqual(patchesOf(p), []);
    return handle;
  }

  /** Exactly one withdraw happened: one PATCH, one WITHDRAW event, one history row, one withdraw message. */
  function exactlyOneWithdraw(p: TestPrefix): string {
    assert.deepEqual(
      patchesOf(p).map((x) => [x.advertised, x.outcome]),
      [[false, 'changed']],
    );
    const { fx } = sys();
    const events = readRows<{ action_taken: string }>(
      fx.databasePath,
      "SELECT action_taken FROM attack_events WHERE prefix = ? AND event_type = 'WITHDRAW'",
      p.cidr,
    );
    assert.equal(events.length, 1, JSON.stringify(events));
    const [history] = readRows<{ n: number }>(
      fx.databasePath,
      'SELECT COUNT(*) AS n FROM withdrawal_history WHERE prefix = ?',
      p.cidr,
    );
    assert.equal(history!.n, 1);
    const messages = fx.tg.messages.filter(
      (m) => m.plainText.includes(p.cidr) && /AUTO-WITHDRAWN|MANUAL PREFIX WITHDRAWAL/.test(m.plainText),
    );
    assert.equal(messages.length, 1);
    return events[0]!.action_taken;
  }

  it('the update arrives while the deciding measurement is in flight: one PATCH', async () => {
    const { env, fx } = sys();
    const handle = await almostDue(MEASURING);
    // The deciding measurement answers after 2 s; the manual withdraw's own re-read after 4 s: the automatic decision
    // comes back while the manual withdraw is in flight.
    fx.cf.faults.add({ kind: 'slow', delayMs: 2_000, match: { graphql: true }, count: 1 });
    fx.cf.faults.add({
      kind: 'slow',
      delayMs: 4_000,
      match: { method: 'GET', path: `/bgp/prefixes/${MEASURING.bgpPrefixId}` },
      count: 1,
    });
    const before = fx.cf.stats.requests('graphql');
    const skipping = env.sleep(MIN); // the next cycle starts its (slow) measurement
    await eventually(() => (fx.cf.stats.requests('graphql') > before ? true : undefined), {
      timeoutMs: 20_000,
      intervalMs: 10,
      what: 'the deciding measurement in flight',
    });
    const manual = await handle.executeUpdate(withdrawUpdate, { args: [OPERATOR] }).then(
      (r) => ({ ok: true as const, r }),
      (e: unknown) => ({ ok: false as const, e }),
    );
    await skipping;
    await env.sleep(MIN);
    const action = exactlyOneWithdraw(MEASURING);
    if (manual.ok) {
      assert.equal(action, 'withdrawn_manual');
      assert.equal(manual.r.changed, true);
    } else {
      // The automatic withdraw claimed the prefix first: the operator is told, nothing else happens.
      assert.ok(manual.e instanceof WorkflowUpdateFailedError && manual.e.cause instanceof ApplicationFailure);
      assert.ok([OPERATOR_FAILED, OPERATOR_REFUSED].includes(manual.e.cause.type!), String(manual.e.cause.type));
      assert.match(manual.e.cause.message, /another change|already in progress/);
      assert.equal(action, 'withdrawn_auto');
    }
    assert.equal((await handle.query(statusQuery)).phase, 'cooldown');
  });

  it('the update arrives while the automatic withdraw re-reads the prefix: refused as in progress, one PATCH', async () => {
    const { env, fx } = sys();
    const handle = await almostDue(REREADING);
    fx.cf.faults.add({
      kind: 'slow',
      delayMs: 3_000,
      match: { method: 'GET', path: `/bgp/prefixes/${REREADING.bgpPrefixId}` },
      count: 1,
    });
    const skipping = env.sleep(MIN);
    const st = await eventually(
      async () => {
        const s = await handle.query(statusQuery);
        return s.phase === 'withdrawing' ? s : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 10, what: 'the automatic withdraw in flight' },
    );
    assert.equal(st.pending?.trigger, 'auto');
    const refused = await refusedUpdate(handle.executeUpdate(withdrawUpdate, { args: [OPERATOR] }), OPERATOR_REFUSED);
    assert.match(refused.message, /an automatic withdraw of 198\.51\.100\.0\/24 is already in progress/);
    await skipping;
    await env.sleep(MIN);
    assert.equal(exactlyOneWithdraw(REREADING), 'withdrawn_auto');
  });
});
