// A failing Telegram on the time-skipping server (60 s / 15 min): it never holds up a cycle, a continue-as-new or a
// withdraw; an undelivered message travels to the next run and goes out once Telegram recovers, exactly once; one
// that fails for its whole retry budget is recorded failed, and later messages still go out.
import assert from 'node:assert/strict';
import { testPrefix } from '../helpers/fixture';
import { advanceMinutes, advanceMinutesUntil, startProtection, withdrawn } from '../helpers/protection-steps';
import { readRows } from '../helpers/records-file';
import { useTimeSkippingSystem } from '../helpers/time-skipping-system';

const MIN = 60_000;
const L = testPrefix('192.0.2.0/24', 'Locked', 'l', { locked: true });
const W = testPrefix('198.51.100.0/24', 'Auto', 'w');
const K = testPrefix('203.0.113.0/24', 'Later', 'k', { configLocked: true });

describe('a failing Telegram (time-skipping server)', function () {
  this.timeout(240_000);
  const sys = useTimeSkippingSystem({ taskQueue: 'failing-telegram', prefixes: [L, W, K] });
  afterEach(() => sys().fx.tg.faults.clear());

  const notificationRows = (prefix: string) =>
    readRows<{ key: string; kind: string; state: string; attempts: number }>(
      sys().fx.databasePath,
      'SELECT key, kind, state, attempts FROM notification_log WHERE prefix = ? ORDER BY key',
      prefix,
    );

  it('an undelivered message crosses continue-as-new without delaying cycles and is sent once after recovery', async () => {
    const { env, fx } = sys();
    fx.tg.faults.add({ kind: 'http_5xx', count: Infinity });
    // A run every ~5 cycles; the locked notice is due after 15 calm minutes.
    const handle = await startProtection(sys(), L, { maxHistoryEvents: 60 });
    const seen = await advanceMinutes(sys(), handle, 22);
    const noticeAt = seen.findIndex((s) => s.lastDecisions.includes('withdraw_blocked:locked'));
    assert.ok(noticeAt >= 0, 'the locked notice was due');
    const afterNotice = seen.slice(noticeAt);
    assert.ok(afterNotice.at(-1)!.runs > afterNotice[0]!.runs, 'continue-as-new happened while the notice was pending');
    // One cycle a minute all along: nothing waited for Telegram.
    for (let i = 1; i < seen.length; i++) assert.equal(seen[i]!.cycles - seen[i - 1]!.cycles, 1, `minute ${i}`);
    assert.deepEqual(
      fx.tg.messages.filter((m) => m.plainText.includes(L.cidr)),
      [],
    );
    const pending = notificationRows(L.cidr);
    assert.equal(pending.length, 1);
    assert.equal(pending[0]!.state, 'pending');
    assert.ok(pending[0]!.attempts >= 2, `${pending[0]!.attempts} attempts so far`);

    fx.tg.faults.clear();
    await env.sleep(4 * MIN);
    const delivered = fx.tg.messages.filter((m) => m.plainText.includes(L.cidr));
    assert.equal(delivered.length, 1, 'delivered exactly once');
    assert.match(delivered[0]!.plainText, /WITHDRAW SKIPPED — PREFIX LOCKED/);
    assert.equal(notificationRows(L.cidr)[0]!.state, 'sent');
    await handle.terminate('test done');
  });

  it('failing through an auto-withdraw: the withdraw lands on time, the message ends failed, later ones go out', async () => {
    const { env, fx } = sys();
    fx.tg.faults.add({ kind: 'http_5xx', count: Infinity });
    const handle = await startProtection(sys(), W);
    const seen = await advanceMinutesUntil(sys(), handle, withdrawn, 18);
    const done = seen.at(-1)!;
    assert.ok(done.lastWithdraw, 'withdrawn although Telegram fails');
    const calmSince = seen.find((s) => s.calmSinceMs !== null)!.calmSinceMs!;
    const lateness = done.lastWithdraw.atMs - (calmSince + 15 * MIN);
    assert.ok(lateness >= 0 && lateness <= MIN, `withdraw ${lateness} ms after the calm period`);
    assert.equal(fx.cf.stats.patches().filter((x) => x.bgpPrefixId === W.bgpPrefixId).length, 1);

    // The retry budget (10 minutes) runs out while Telegram still fails.
    await env.sleep(12 * MIN);
    const key = `${W.cidr}/${done.lastWithdraw.eventId}`;
    const row = notificationRows(W.cidr).find((r) => r.key === key);
    assert.equal(row?.state, 'failed', JSON.stringify(notificationRows(W.cidr)));
    assert.ok(row.attempts >= 3, `${row.attempts} attempts`);
    assert.equal(fx.tg.messages.filter((m) => m.plainText.includes(W.cidr)).length, 0);
    const history = readRows(fx.databasePath, 'SELECT status FROM withdrawal_history WHERE prefix = ?', W.cidr);
    assert.deepEqual(history, [{ status: 'success' }], 'the withdraw is recorded whatever Telegram did');

    // Telegram is back: the next message (another prefix's locked notice) is not held up by the failed one.
    fx.tg.faults.clear();
    const later = await startProtection(sys(), K);
    await env.sleep(17 * MIN);
    assert.equal(fx.tg.messages.filter((m) => m.plainText.includes(K.cidr)).length, 1);
    assert.equal(fx.tg.messages.filter((m) => m.plainText.includes(W.cidr)).length, 0, 'a failed message stays failed');
    await later.terminate('test done');
  });
});
