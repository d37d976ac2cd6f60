// Queued advertises on the time-skipping server (60 s / 15 min): a queue made stale by someone else's advertise never
// fires later, a queued advertise that fails for good is told, and without --when-allowed the worker's own cooldown
// refuses (never queues) with the exact time.
import assert from 'node:assert/strict';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { formatUtc } from '../../src/domain/clock-format';
import { protectionWorkflowId } from '../../src/workflows/ids';
import {
  advertiseUpdate,
  liveStateSignal,
  OPERATOR_REFUSED,
  statusQuery,
  withdrawUpdate,
} from '../../src/workflows/messages';
import type { PrefixProtection } from '../../src/workflows/prefix-protection';
import { testPrefix, type TestPrefix } from '../helpers/fixture';
import { patchesFor, protectionHandle, refusedUpdate, startProtection } from '../helpers/protection-steps';
import { readRows } from '../helpers/records-file';
import { useTimeSkippingSystem } from '../helpers/time-skipping-system';

const MIN = 60_000;
const OPERATOR = { actor: 'carol@noc3', reason: 'back to normal' };
const STALE = testPrefix('192.0.2.0/24', 'stale queue', 'qs');
const FAILS = testPrefix('198.51.100.0/24', 'queue fails', 'qf');
const EARLY = testPrefix('203.0.113.0/24', 'too early', 'qe', { advertised: false });

describe('queued advertises (time-skipping server)', function () {
  this.timeout(180_000);
  const sys = useTimeSkippingSystem({
    taskQueue: 'queued-advertise',
    prefixes: [STALE, FAILS, EARLY],
    simClockFollowsActivities: true,
  });

  const patchesOf = (p: TestPrefix) => patchesFor(sys(), p).map((x) => [x.advertised, x.outcome]);
  const handleOf = (p: TestPrefix) => protectionHandle(sys(), p);

  /** Protected, measured twice, withdrawn by hand, an advertise queued for the end of the cooldown. */
  async function withdrawnWithQueue(p: TestPrefix) {
    const handle = await startProtection(sys(), p);
    await sys().env.sleep(2 * MIN);
    const withdrawn = await handle.executeUpdate(withdrawUpdate, { args: [OPERATOR] });
    const queued = await handle.executeUpdate(advertiseUpdate, { args: [{ ...OPERATOR, whenAllowed: true }] });
    assert.equal(queued.outcome, 'queued');
    return { handle, withdrawn };
  }

  it('someone else advertises during the cooldown: protected again, the stale queue dropped, never fired', async () => {
    const { env, fx } = sys();
    const { handle } = await withdrawnWithQueue(STALE);
    await env.sleep(3 * MIN);
    // Advertised outside mt-autowithdraw; the supervisor would pass on what it reads.
    const now = await env.currentTimeMs();
    fx.cf.state.set(STALE.bgpPrefixId, { advertised: true, advertisedModifiedAtMs: now });
    const snapshot = await sys().deps.activities.readPrefixStates();
    const entry = snapshot.prefixes.find((x) => x.identity.cidr === STALE.cidr)!;
    await handle.signal(liveStateSignal, {
      live: { ...entry.live, observedAtMs: now },
      configDigest: entry.configDigest,
    });
    await env.sleep(5_000);
    const again = await handle.query(statusQuery);
    assert.equal(again.phase, 'protecting');
    assert.equal(again.queuedAdvertise, null, 'the queue is superseded by the new episode');

    // Calm: auto-withdraw after 15 minutes, then its cooldown; the old queue must not re-advertise at its end.
    await env.sleep(34 * MIN);
    assert.deepEqual(patchesOf(STALE), [
      [false, 'changed'],
      [false, 'changed'],
    ]);
    assert.equal((await handle.describe()).status.name, 'COMPLETED');
    assert.equal((await handle.result()).reason, 'cooldown_elapsed');
  });

  it('a queued advertise that fails for good (locked meanwhile) is told and recorded; nothing changed', async () => {
    const { env, fx } = sys();
    const { handle, withdrawn } = await withdrawnWithQueue(FAILS);
    fx.cf.state.set(FAILS.bgpPrefixId, { locked: true });
    await env.sleep(17 * MIN);
    assert.deepEqual(patchesOf(FAILS), [[false, 'changed']], 'no advertise PATCH on a locked prefix');
    const texts = fx.tg.messages.filter((m) => m.plainText.includes(FAILS.cidr)).map((m) => m.plainText);
    const failed = texts.filter((t) => /QUEUED ADVERTISE FAILED — prefix NOT protected/.test(t));
    assert.equal(failed.length, 1, texts.join('\n---\n'));
    assert.match(failed[0]!, /Queued by: carol@noc3: back to normal/);
    assert.match(failed[0]!, /locked/);
    const st = await handle.query(statusQuery);
    assert.equal(st.queuedAdvertise, null);
    assert.equal(st.lastAdvertiseFailure?.actor, OPERATOR.actor);
    assert.ok(st.lastAdvertiseFailure.atMs >= withdrawn.cooldownUntilMs!);
    const [row] = readRows<{ state: string }>(
      fx.databasePath,
      "SELECT state FROM notification_log WHERE kind = 'advertise_failed' AND prefix = ?",
      FAILS.cidr,
    );
    assert.equal(row!.state, 'sent');
    assert.deepEqual(
      readRows(
        fx.databasePath,
        "SELECT * FROM attack_events WHERE prefix = ? AND event_type = 'ADVERTISE'",
        FAILS.cidr,
      ),
      [],
    );
  });

  it("without --when-allowed the worker's cooldown refuses with the exact time, even when the client's view allowed it", async () => {
    const { env, taskQueue } = sys();
    const now = await env.currentTimeMs();
    const lastWithdrawAtMs = now - 5 * MIN;
    const refused = await refusedUpdate(
      env.client.workflow.executeUpdateWithStart(advertiseUpdate, {
        args: [{ ...OPERATOR, whenAllowed: false }],
        startWorkflowOperation: new WithStartWorkflowOperation<typeof PrefixProtection>('PrefixProtection', {
          workflowId: protectionWorkflowId(EARLY.cidr),
          taskQueue,
          args: [
            {
              cidr: EARLY.cidr,
              live: {
                cidr: EARLY.cidr,
                advertised: false,
                advertisedModifiedAtMs: null,
                locked: false,
                onDemandEnabled: true,
                observedAtMs: now,
              },
              // The client believed the cooldown was 1 minute; the worker is configured with 15.
              operatorStart: { lastWithdrawAtMs, readvertiseCooldownMs: MIN, minAdvertisedMs: MIN },
            },
          ],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      }),
      OPERATOR_REFUSED,
    );
    const at = formatUtc(lastWithdrawAtMs + 15 * MIN, now);
    assert.match(refused.message, new RegExp(`advertise available at ${at}, in (10m 00s|9m 5\\ds)`));
    assert.match(refused.message, /add --when-allowed to queue it/);
    assert.equal((await handleOf(EARLY).query(statusQuery)).queuedAdvertise, null, 'not queued');

    await env.sleep(16 * MIN);
    assert.deepEqual(patchesOf(EARLY), [], 'never advertised');
    assert.equal((await handleOf(EARLY).describe()).status.name, 'COMPLETED', 'the idle workflow ended by itself');
  });
});
