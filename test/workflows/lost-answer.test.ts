// A withdraw whose first PATCH is applied at Cloudflare but whose answer is lost: the retry finds the prefix withdrawn
// and records it exactly like a clean withdraw (one PATCH, one event, our change, one message), on the time-skipping server.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { protectionWorkflowId } from '../../src/workflows/ids';
import { statusQuery } from '../../src/workflows/messages';
import type { PrefixProtection } from '../../src/workflows/prefix-protection';
import type { ProtectionStatus } from '../../src/workflows/types';
import type { TestPrefix } from '../helpers/fixture';
import { startTimeSkippingSystem, type TimeSkippingSystem } from '../helpers/time-skipping-system';

const MIN = 60_000;
const L: TestPrefix = {
  cidr: '203.0.113.0/24',
  description: 'Lost answer',
  parentPrefixId: 'pl',
  bgpPrefixId: 'bl',
  advertised: true,
};

describe('PrefixProtection when the withdraw PATCH is applied but its answer is lost (time-skipping server)', function () {
  this.timeout(180_000);
  let sys: TimeSkippingSystem;

  before(async () => {
    // Cloudflare's clock follows workflow time, as the activity's attribution assumes the two clocks agree.
    sys = await startTimeSkippingSystem({ taskQueue: 'lost-answer', prefixes: [L], simClockFollowsActivities: true });
  });
  after(async () => {
    await sys?.stop();
  });

  it('records the retried withdraw as ours: one PATCH, one WITHDRAW event, one success row, one message', async () => {
    const { env, fx } = sys;
    fx.cf.faults.add({ kind: 'lost_answer', match: { method: 'PATCH' } });
    const handle = await env.client.workflow.start<typeof PrefixProtection>('PrefixProtection', {
      workflowId: protectionWorkflowId(L.cidr),
      taskQueue: sys.taskQueue,
      args: [{ cidr: L.cidr }],
    });
    let status: ProtectionStatus | undefined;
    for (let i = 0; i < 40 && !status?.lastWithdraw; i++) {
      await env.sleep(MIN);
      status = await handle.query(statusQuery);
    }
    assert.ok(status?.lastWithdraw, 'withdrawn in the end');
    assert.equal(status.lastWithdraw.changed, true, 'the change is ours');
    assert.equal(status.phase, 'cooldown');
    assert.equal(status.withdrawFailures.rounds, 0, 'the lost answer cost a retry, not a failed round');

    const patches = fx.cf.stats.patches().filter((p) => p.bgpPrefixId === L.bgpPrefixId);
    assert.deepEqual(
      patches.map((p) => [p.outcome, p.advertised, p.answerLost ?? false]),
      [['changed', false, true]],
      'the one PATCH, applied, answer lost; the retry did not PATCH again',
    );
    assert.equal(fx.cf.state.get(L.bgpPrefixId)?.advertised, false);

    const db = new Database(fx.databasePath, { readonly: true });
    try {
      const events = db
        .prepare("SELECT action_taken, raw_payload FROM attack_events WHERE prefix = ? AND event_type = 'WITHDRAW'")
        .all(L.cidr) as Array<{ action_taken: string; raw_payload: string }>;
      assert.deepEqual(
        events.map((e) => e.action_taken),
        ['withdrawn_auto'],
      );
      assert.equal((JSON.parse(events[0]!.raw_payload) as { changed?: unknown }).changed, true);
      const history = db
        .prepare('SELECT status, notes FROM withdrawal_history WHERE prefix = ? ORDER BY id')
        .all(L.cidr) as Array<{ status: string; notes: string }>;
      assert.equal(history.length, 1, JSON.stringify(history));
      assert.equal(history[0]!.status, 'success');
      assert.match(history[0]!.notes, /^Auto-withdrawn after \d+ min calm$/);
      assert.doesNotMatch(history[0]!.notes, /already showed it withdrawn/);
    } finally {
      db.close();
    }
    const texts = fx.tg.messages.map((m) => m.plainText);
    assert.equal(texts.length, 1, texts.join('\n---\n'));
    assert.match(texts[0]!, /AUTO-WITHDRAWN/);
    assert.ok(texts[0]!.includes(L.cidr));
  });
});
