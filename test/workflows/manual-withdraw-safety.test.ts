// Safety rule 1 holds for manual withdraws too (time-skipping server, 60 s / 15 min): never under attack, never
// with unknown traffic, no override. A workflow started by the update itself (no reading yet) measures first.
import assert from 'node:assert/strict';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { protectionWorkflowId } from '../../src/workflows/ids';
import { OPERATOR_REFUSED, statusQuery, withdrawUpdate } from '../../src/workflows/messages';
import type { PrefixProtection } from '../../src/workflows/prefix-protection';
import { testPrefix, type TestPrefix } from '../helpers/fixture';
import { patchesFor, protectionHandle, refusedUpdate, startProtection } from '../helpers/protection-steps';
import { useTimeSkippingSystem } from '../helpers/time-skipping-system';

const MIN = 60_000;
const OPERATOR = { actor: 'bob@noc2', reason: 'customer asked' };
const prefix = (n: number, description: string) => testPrefix(`198.51.${110 + n}.0/24`, description, `mw${n}`);
const CALM_START = prefix(1, 'update-with-start, calm');
const ATTACK_START = prefix(2, 'update-with-start, under attack');
const DARK_START = prefix(3, 'update-with-start, analytics failing');
const ATTACKED = prefix(4, 'protected, under attack');
const DARK = prefix(5, 'protected, traffic unknown');
const ALL = [CALM_START, ATTACK_START, DARK_START, ATTACKED, DARK];

describe('manual withdraw never under attack or with unknown traffic (time-skipping server)', function () {
  this.timeout(180_000);
  const sys = useTimeSkippingSystem({
    taskQueue: 'manual-withdraw-safety',
    prefixes: ALL,
    terminateAtEnd: ALL.map((p) => protectionWorkflowId(p.cidr)),
  });

  const patchesOf = (p: TestPrefix) => patchesFor(sys(), p);
  const handleOf = (p: TestPrefix) => protectionHandle(sys(), p);
  const refusal = (withdraw: Promise<unknown>) => refusedUpdate(withdraw, OPERATOR_REFUSED);

  /** A dropped attack on the prefix that began ten minutes ago and goes on. */
  async function underAttack(p: TestPrefix): Promise<void> {
    const now = await sys().env.currentTimeMs();
    sys().fx.cf.traffic.addFlow({
      destination: p.cidr,
      startMs: now - 10 * MIN,
      packetsPerSecond: 70_000,
      bitsPerSecond: 600e6,
      outcome: 'drop',
    });
  }

  /** Runs `body` while every analytics query fails; the fault goes when it ends. */
  async function whileAnalyticsFail(body: () => Promise<void>): Promise<void> {
    const fault = sys().fx.cf.faults.add({ kind: 'graphql_error', match: { graphql: true }, count: Infinity });
    try {
      await body();
    } finally {
      sys().fx.cf.faults.remove(fault);
    }
  }

  /** What `mtctl withdraw` does when no workflow runs: update-with-start, no reading taken yet. */
  async function withdrawWithStart(p: TestPrefix) {
    const { env, taskQueue } = sys();
    const now = await env.currentTimeMs();
    return env.client.workflow.executeUpdateWithStart(withdrawUpdate, {
      args: [OPERATOR],
      startWorkflowOperation: new WithStartWorkflowOperation<typeof PrefixProtection>('PrefixProtection', {
        workflowId: protectionWorkflowId(p.cidr),
        taskQueue,
        args: [
          {
            cidr: p.cidr,
            live: {
              cidr: p.cidr,
              advertised: true,
              advertisedModifiedAtMs: now - 2 * 3_600_000,
              locked: false,
              onDemandEnabled: true,
              observedAtMs: now,
            },
            operatorStart: { lastWithdrawAtMs: null, readvertiseCooldownMs: 15 * MIN, minAdvertisedMs: 15 * MIN },
          },
        ],
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    });
  }

  it('update-with-start on a calm prefix: a fresh reading first, then one PATCH', async () => {
    const result = await withdrawWithStart(CALM_START);
    assert.equal(result.changed, true);
    assert.deepEqual(
      patchesOf(CALM_START).map((x) => [x.advertised, x.outcome]),
      [[false, 'changed']],
    );
    const graphql = sys().fx.cf.stats.requests('graphql');
    assert.ok(graphql >= 1, 'the handler measured before withdrawing');
    assert.equal((await handleOf(CALM_START).query(statusQuery)).phase, 'cooldown');
  });

  it('update-with-start under attack: the fresh reading shows it, refused, nothing changed', async () => {
    await underAttack(ATTACK_START);
    const refused = await refusal(withdrawWithStart(ATTACK_START));
    assert.match(refused.message, /198\.51\.112\.0\/24 is under attack \(a fresh reading: \d+ packets/);
    assert.match(refused.message, /never withdrawn during an attack/);
    assert.doesNotMatch(refused.message, /--force/);
    assert.deepEqual(patchesOf(ATTACK_START), []);
    await handleOf(ATTACK_START).terminate('next case');
  });

  it('update-with-start while the analytics fail: traffic unknown, refused, nothing changed', async () => {
    // The handler's reading makes two attempts; both fail.
    await whileAnalyticsFail(async () => {
      const refused = await refusal(withdrawWithStart(DARK_START));
      assert.match(refused.message, /traffic of 198\.51\.113\.0\/24 is unknown right now \(a fresh reading: api_error/);
      assert.deepEqual(patchesOf(DARK_START), []);
    });
    await handleOf(DARK_START).terminate('next case');
  });

  it('a protected prefix under attack: the validator refuses, nothing reaches the history', async () => {
    await underAttack(ATTACKED);
    const handle = await startProtection(sys(), ATTACKED);
    await sys().env.sleep(2 * MIN);
    assert.equal((await handle.query(statusQuery)).underAttack, true);
    const refused = await refusal(handle.executeUpdate(withdrawUpdate, { args: [OPERATOR] }));
    assert.match(refused.message, /is under attack: it is never withdrawn during an attack/);
    // The refused update left no trace: no update events in the history.
    const history = await handle.fetchHistory();
    assert.ok(!history.events!.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes));
    assert.deepEqual(patchesOf(ATTACKED), []);
    await handle.terminate('next case');
  });

  it('a protected prefix whose latest reading is unknown: refused with the reason', async () => {
    const handle = await startProtection(sys(), DARK);
    await whileAnalyticsFail(async () => {
      await sys().env.sleep(2 * MIN);
      const st = await handle.query(statusQuery);
      assert.ok(st.telemetry === 'unknown' || st.telemetry === 'lost', st.telemetry);
      const refused = await refusal(handle.executeUpdate(withdrawUpdate, { args: [OPERATOR] }));
      assert.match(refused.message, /traffic of 198\.51\.115\.0\/24 is unknown right now \(api_error: /);
      assert.deepEqual(patchesOf(DARK), []);
    });
  });
});
