// Operator updates on PrefixProtection with production durations (60 s cycles, 15 min calm and cooldown) on the
// time-skipping server: manual withdraw, a queued advertise that fires when the cooldown ends, a hold that expires.
import assert from 'node:assert/strict';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { protectionWorkflowId } from '../../src/workflows/ids';
import {
  advertiseUpdate,
  holdUpdate,
  OPERATOR_REFUSED,
  statusQuery,
  withdrawUpdate,
} from '../../src/workflows/messages';
import type { PrefixProtection } from '../../src/workflows/prefix-protection';
import type { ProtectionStatus } from '../../src/workflows/types';
import { testPrefix, type TestPrefix } from '../helpers/fixture';
import { patchesFor, protectionHandle, refusedUpdate, startProtection } from '../helpers/protection-steps';
import { readRows } from '../helpers/records-file';
import { useTimeSkippingSystem } from '../helpers/time-skipping-system';

const MIN = 60_000;
const TASK_QUEUE = 'operator-updates-test';
const OPERATOR = { actor: 'alice@noc1', reason: 'customer asked' };

const Q = testPrefix('198.51.100.0/24', 'Queued', 'q');
const H = testPrefix('198.51.101.0/24', 'Held', 'h');
const I = testPrefix('198.51.102.0/24', 'Idle', 'i', { advertised: false });

describe('operator updates (time-skipping server, 60 s / 15 min)', function () {
  this.timeout(180_000);
  const sys = useTimeSkippingSystem({
    taskQueue: TASK_QUEUE,
    prefixes: [Q, H, I],
    simClockFollowsActivities: true,
  });

  const patchesOf = (p: TestPrefix) => patchesFor(sys(), p);
  const handleOf = (p: TestPrefix) => protectionHandle(sys(), p);
  const status = (p: TestPrefix): Promise<ProtectionStatus> => handleOf(p).query(statusQuery);
  const rows = (sql: string, ...args: unknown[]) => readRows(sys().fx.databasePath, sql, ...args);
  async function protect(p: TestPrefix): Promise<void> {
    await startProtection(sys(), p);
    await sys().env.sleep(2 * MIN); // measured twice: traffic known
  }

  it('manual withdraw, advertise refused inside the cooldown, queued advertise fires when it ends', async () => {
    const { env, fx } = sys();
    await protect(Q);
    const withdrawn = await handleOf(Q).executeUpdate(withdrawUpdate, { args: [OPERATOR] });
    assert.equal(withdrawn.changed, true);
    assert.equal(withdrawn.cooldownUntilMs, withdrawn.withdrawnAtMs + 15 * MIN);
    assert.deepEqual(
      patchesOf(Q).map((x) => [x.advertised, x.outcome]),
      [[false, 'changed']],
    );
    const withdrawRows = rows(
      "SELECT e.alert_type, e.action_taken, h.withdraw_method, h.status FROM attack_events e JOIN withdrawal_history h ON h.prefix = e.prefix WHERE e.prefix = ? AND e.event_type = 'WITHDRAW'",
      Q.cidr,
    );
    assert.deepEqual(withdrawRows, [
      { alert_type: 'manual', action_taken: 'withdrawn_manual', withdraw_method: 'manual', status: 'success' },
    ]);
    assert.equal((await status(Q)).phase, 'cooldown');

    const refused = await refusedUpdate(handleOf(Q).executeUpdate(advertiseUpdate, { args: [OPERATOR] }));
    assert.equal(refused.type, OPERATOR_REFUSED);
    const at = new Date(withdrawn.cooldownUntilMs).toISOString().slice(11, 19);
    assert.match(refused.message, new RegExp(`advertise available at ${at} UTC, in 1[45]m \\d\\ds`));
    assert.equal(patchesOf(Q).length, 1, 'a refused advertise changes nothing');

    const queued = await handleOf(Q).executeUpdate(advertiseUpdate, { args: [{ ...OPERATOR, whenAllowed: true }] });
    assert.equal(queued.outcome, 'queued');
    assert.equal(queued.atMs, withdrawn.cooldownUntilMs);
    assert.equal((await status(Q)).state, 'advertise_queued');

    await env.sleep(16 * MIN);
    const patches = patchesOf(Q);
    assert.deepEqual(
      patches.map((x) => [x.advertised, x.outcome]),
      [
        [false, 'changed'],
        [true, 'changed'],
      ],
    );
    assert.ok(patches[1]!.atMs >= withdrawn.cooldownUntilMs, 'not advertised before the cooldown ended');
    assert.ok(patches[1]!.atMs <= withdrawn.cooldownUntilMs + MIN, 'advertised as soon as the cooldown ended');
    const after = await status(Q);
    assert.equal(after.phase, 'protecting', 'protected like any advertised prefix');
    assert.equal(after.lastAdvertise?.trigger, 'queued');
    assert.deepEqual(
      rows("SELECT alert_type, action_taken FROM attack_events WHERE prefix = ? AND event_type = 'ADVERTISE'", Q.cidr),
      [{ alert_type: 'manual', action_taken: 'advertised_manual' }],
    );
    const messages = fx.tg.messages.filter((m) => m.plainText.includes(Q.cidr));
    assert.equal(messages.length, 2, messages.map((m) => m.plainText).join('\n---\n'));
    assert.match(messages[0]!.plainText, /alice@noc1/);
  });

  it('a hold blocks auto-withdraw while it lasts and ends by itself', async () => {
    const { env } = sys();
    await protect(H);
    const { hold } = await handleOf(H).executeUpdate(holdUpdate, { args: [{ ...OPERATOR, forMs: 30 * MIN }] });
    assert.equal(hold.untilMs! - hold.sinceMs, 30 * MIN);
    await env.sleep(25 * MIN);
    const held = await status(H);
    assert.equal(held.held, true);
    assert.equal(held.state, 'held');
    assert.equal(held.withdrawBlockedBy, 'held');
    assert.ok(held.calmAccumulatedMs >= 15 * MIN, 'calm long enough to withdraw if it were not held');
    assert.deepEqual(patchesOf(H), [], 'no withdraw while held');

    await env.sleep(7 * MIN);
    const patches = patchesOf(H);
    assert.equal(patches.length, 1, 'withdrawn once the hold ended');
    assert.ok(patches[0]!.atMs >= hold.untilMs!, 'not before the hold ended');
    assert.ok(patches[0]!.atMs <= hold.untilMs! + MIN, 'within one cycle of the hold ending');
    assert.deepEqual(
      rows("SELECT action_taken FROM attack_events WHERE prefix = ? AND event_type = 'WITHDRAW'", H.cidr),
      [{ action_taken: 'withdrawn_auto' }],
    );
  });

  it('update-with-start: a refused advertise starts an idle workflow that ends by itself; an allowed one protects', async () => {
    const { env } = sys();
    const start = (whenAllowed: boolean, lastWithdrawAtMs: number | null) =>
      env.client.workflow.executeUpdateWithStart(advertiseUpdate, {
        args: [{ ...OPERATOR, whenAllowed }],
        startWorkflowOperation: new WithStartWorkflowOperation<typeof PrefixProtection>('PrefixProtection', {
          workflowId: protectionWorkflowId(I.cidr),
          taskQueue: TASK_QUEUE,
          args: [
            {
              cidr: I.cidr,
              live: {
                cidr: I.cidr,
                advertised: false,
                advertisedModifiedAtMs: null,
                locked: false,
                onDemandEnabled: true,
                observedAtMs: Date.now(),
              },
              operatorStart: { lastWithdrawAtMs, readvertiseCooldownMs: 15 * MIN, minAdvertisedMs: 15 * MIN },
            },
          ],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      });
    const now = await env.currentTimeMs();
    const refused = await refusedUpdate(start(false, now - 5 * MIN));
    assert.match(refused.message, /advertise available at .* in (10m 00s|9m 59s)/);
    assert.equal((await status(I)).phase, 'idle');
    await env.sleep(3 * MIN);
    const ended = await handleOf(I).describe();
    assert.equal(ended.status.name, 'COMPLETED', 'the idle workflow ended on its own');
    assert.deepEqual(patchesOf(I), []);

    const advertised = await start(false, null);
    assert.equal(advertised.outcome, 'advertised');
    assert.deepEqual(
      patchesOf(I).map((x) => [x.advertised, x.outcome]),
      [[true, 'changed']],
    );
    assert.equal((await status(I)).phase, 'protecting');
  });
});
