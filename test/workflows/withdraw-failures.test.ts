// A withdraw Cloudflare keeps refusing: retried with backoff, recorded and notified as failed, then completed once,
// when the API recovers — on the time-skipping server with production durations.
import assert from 'node:assert/strict';
import { testPrefix } from '../helpers/fixture';
import { advanceMinutesUntil, startProtection, withdrawn } from '../helpers/protection-steps';
import { readRows } from '../helpers/records-file';
import { useTimeSkippingSystem } from '../helpers/time-skipping-system';

const F = testPrefix('192.0.2.0/24', 'Flaky PATCH', 'bf', { parentPrefixId: 'pf' });

describe('PrefixProtection when Cloudflare refuses the withdraw (time-skipping server)', function () {
  this.timeout(180_000);
  const sys = useTimeSkippingSystem({ taskQueue: 'withdraw-failures', prefixes: [F] });

  it('fails loudly, backs off, and withdraws exactly once when the API recovers', async () => {
    const { fx } = sys();
    // The first 12 PATCHes get 503: more than one round of activity retries (10 minutes) can absorb.
    fx.cf.faults.add({ kind: 'http_5xx', match: { method: 'PATCH' }, count: 12 });
    const handle = await startProtection(sys(), F);
    const seen = await advanceMinutesUntil(sys(), handle, withdrawn, 60);
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

    const history = readRows<{ status: string }>(
      fx.databasePath,
      'SELECT status FROM withdrawal_history WHERE prefix = ? ORDER BY id',
      F.cidr,
    );
    assert.ok(history.length >= 2);
    assert.ok(history.slice(0, -1).every((h) => h.status === 'failed'));
    assert.equal(history.at(-1)!.status, 'success');
    const actions = readRows(
      fx.databasePath,
      "SELECT action_taken FROM attack_events WHERE prefix = ? AND event_type = 'WITHDRAW'",
      F.cidr,
    );
    // Failed rounds are withdrawal_history rows only: the operators' "recent withdrawals" query sees one withdraw.
    assert.deepEqual(actions, [{ action_taken: 'withdrawn_auto' }]);
    const texts = fx.tg.messages.map((m) => m.plainText);
    assert.ok(
      texts.some((t) => /WITHDRAWAL FAILED/.test(t) && t.includes(F.cidr)),
      'the on-call team heard about the failure',
    );
    assert.equal(texts.filter((t) => /AUTO-WITHDRAWN/.test(t)).length, 1);
  });
});
