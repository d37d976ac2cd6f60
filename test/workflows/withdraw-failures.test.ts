// A withdraw Cloudflare keeps refusing: retried with backoff, recorded and notified as failed, then completed once,
// when the API recovers — on the time-skipping server with production durations.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { protectionWorkflowId } from '../../src/workflows/ids';
import { statusQuery } from '../../src/workflows/messages';
import type { PrefixProtection } from '../../src/workflows/prefix-protection';
import type { ProtectionStatus } from '../../src/workflows/types';
import type { TestPrefix } from '../helpers/fixture';
import { startTimeSkippingSystem, type TimeSkippingSystem } from '../helpers/time-skipping-system';

const MIN = 60_000;
const F: TestPrefix = {
  cidr: '192.0.2.0/24',
  description: 'Flaky PATCH',
  parentPrefixId: 'pf',
  bgpPrefixId: 'bf',
  advertised: true,
};

describe('PrefixProtection when Cloudflare refuses the withdraw (time-skipping server)', function () {
  this.timeout(180_000);
  let sys: TimeSkippingSystem;

  before(async () => {
    sys = await startTimeSkippingSystem({ taskQueue: 'withdraw-failures', prefixes: [F] });
  });
  after(async () => {
    await sys?.stop();
  });

  it('fails loudly, backs off, and withdraws exactly once when the API recovers', async () => {
    const { env, fx } = sys;
    // The first 12 PATCHes get 503: more than one round of activity retries (10 minutes) can absorb.
    fx.cf.faults.add({ kind: 'http_5xx', match: { method: 'PATCH' }, count: 12 });
    const handle = await env.client.workflow.start<typeof PrefixProtection>('PrefixProtection', {
      workflowId: protectionWorkflowId(F.cidr),
      taskQueue: sys.taskQueue,
      args: [{ cidr: F.cidr }],
    });
    const seen: ProtectionStatus[] = [];
    for (let i = 0; i < 60 && !seen.at(-1)?.lastWithdraw; i++) {
      await env.sleep(MIN);
      seen.push(await handle.query(statusQuery));
    }
    const done = seen.at(-1)!;
    assert.ok(done.lastWithdraw, 'withdrawn in the end');
    assert.ok(
      seen.some((s) => s.withdrawBlockedBy === 'retry_backoff'),
      'backed off after a failed round',
    );
    assert.ok(
      seen
        .filter((s) => s.withdrawFailures.rounds > 0)
        .every((s) => s.withdrawFailures.lastError?.includes('CloudflareUnavailableError')),
    );

    const patches = fx.cf.stats.patches().filter((p) => p.bgpPrefixId === F.bgpPrefixId);
    assert.equal(patches.filter((p) => p.outcome === 'changed').length, 1, 'one successful PATCH');
    assert.equal(patches.filter((p) => p.outcome === 'fault').length, 12, 'every refused PATCH was retried');

    const db = new Database(fx.databasePath, { readonly: true });
    try {
      const history = db
        .prepare('SELECT status FROM withdrawal_history WHERE prefix = ? ORDER BY id')
        .all(F.cidr) as Array<{ status: string }>;
      assert.ok(history.length >= 2);
      assert.ok(history.slice(0, -1).every((h) => h.status === 'failed'));
      assert.equal(history.at(-1)!.status, 'success');
      const actions = db
        .prepare("SELECT action_taken FROM attack_events WHERE prefix = ? AND event_type = 'WITHDRAW'")
        .all(F.cidr) as Array<{ action_taken: string }>;
      // Failed rounds are withdrawal_history rows only: the operators' "recent withdrawals" query sees one withdraw.
      assert.deepEqual(actions, [{ action_taken: 'withdrawn_auto' }]);
    } finally {
      db.close();
    }
    const texts = fx.tg.messages.map((m) => m.plainText);
    assert.ok(
      texts.some((t) => /WITHDRAWAL FAILED/.test(t) && t.includes(F.cidr)),
      'the on-call team heard about the failure',
    );
    assert.equal(texts.filter((t) => /AUTO-WITHDRAWN/.test(t)).length, 1);
  });
});
