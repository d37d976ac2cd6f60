// The live-state re-read right before a withdraw, on the time-skipping server (60 s / 15 min): what Cloudflare says
// at the last moment decides. Already withdrawn, locked (at the re-read or by the PATCH's answer), unreadable (a
// deferral, not a failed withdraw), on-demand disabled or deleted (protection ends cleanly).
import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import { protectionWorkflowId } from '../../src/workflows/ids';
import { statusQuery } from '../../src/workflows/messages';
import type { PrefixProtection } from '../../src/workflows/prefix-protection';
import type { ProtectionOutcome, ProtectionStatus } from '../../src/workflows/types';
import { testPrefix, type TestPrefix } from '../helpers/fixture';
import { patchesFor, startProtection } from '../helpers/protection-steps';
import { readRows } from '../helpers/records-file';
import { useTimeSkippingSystem } from '../helpers/time-skipping-system';

const MIN = 60_000;
const prefix = (n: number, description: string) => testPrefix(`198.51.${100 + n}.0/24`, description, `rr${n}`);
const GONE = prefix(1, 'withdrawn by someone else');
const LOCKED = prefix(2, 'locked before the re-read');
const PATCH_LOCKED = prefix(3, 'locked says the PATCH');
const UNREADABLE = prefix(4, 'one unreadable re-read');
const DARK = prefix(5, 'unreadable for five cycles');
const NOT_ON_DEMAND = prefix(6, 'on-demand disabled');
const DELETED = prefix(7, 'deleted at Cloudflare');
const ALL = [GONE, LOCKED, PATCH_LOCKED, UNREADABLE, DARK, NOT_ON_DEMAND, DELETED];

describe('the re-read before a withdraw (time-skipping server)', function () {
  this.timeout(180_000);
  const sys = useTimeSkippingSystem({
    taskQueue: 'withdraw-reread',
    prefixes: ALL,
    terminateAtEnd: ALL.map((p) => protectionWorkflowId(p.cidr)),
  });
  const handles = new Map<string, WorkflowHandle<typeof PrefixProtection>>();
  const seen = new Map<string, ProtectionStatus[]>();

  before(async () => {
    const { env, fx } = sys();
    for (const p of ALL) {
      handles.set(p.cidr, await startProtection(sys(), p));
      seen.set(p.cidr, []);
    }
    // 13 calm minutes: the withdraw is due in two or three cycles. Now change Cloudflare behind the workflows' backs.
    await env.sleep(13 * MIN);
    fx.cf.state.set(GONE.bgpPrefixId, { advertised: false, advertisedModifiedAtMs: await env.currentTimeMs() });
    fx.cf.state.set(LOCKED.bgpPrefixId, { locked: true });
    fx.cf.faults.add({
      kind: 'http_error',
      status: 400,
      errors: [{ code: 1006, message: 'Advertisement status of this prefix is locked and cannot be changed' }],
      match: { method: 'PATCH', path: `/bgp/prefixes/${PATCH_LOCKED.bgpPrefixId}` },
      count: 1,
    });
    // The re-read makes 4 attempts: one round unreadable, then five rounds.
    fx.cf.faults.add({
      kind: 'http_5xx',
      match: { method: 'GET', path: `/bgp/prefixes/${UNREADABLE.bgpPrefixId}` },
      count: 4,
    });
    fx.cf.faults.add({
      kind: 'http_5xx',
      match: { method: 'GET', path: `/bgp/prefixes/${DARK.bgpPrefixId}` },
      count: 20,
    });
    fx.cf.state.set(NOT_ON_DEMAND.bgpPrefixId, { onDemandEnabled: false });
    fx.cf.faults.add({
      kind: 'http_error',
      status: 404,
      errors: [{ code: 1000, message: 'BGP prefix not found' }],
      match: { method: 'GET', path: `/bgp/prefixes/${DELETED.bgpPrefixId}` },
      count: Infinity,
    });
    // Sampled every 20 s: a deferral shows for less than a cycle (the re-read's own retries take part of it).
    for (let i = 0; i < 36; i++) {
      await env.sleep(20_000);
      for (const p of ALL) {
        const h = handles.get(p.cidr)!;
        const st = await h.query(statusQuery).catch(() => null);
        if (st) seen.get(p.cidr)!.push(st);
      }
    }
  });

  const patchesOf = (p: TestPrefix) => patchesFor(sys(), p);
  const messagesAbout = (p: TestPrefix) =>
    sys()
      .fx.tg.messages.filter((m) => m.plainText.includes(p.cidr))
      .map((m) => m.plainText);
  const rows = (sql: string, ...args: unknown[]) => readRows(sys().fx.databasePath, sql, ...args);
  const outcome = async (p: TestPrefix): Promise<ProtectionOutcome> => {
    const h = handles.get(p.cidr)!;
    assert.equal((await h.describe()).status.name, 'COMPLETED', `${p.cidr} ended`);
    return await h.result();
  };

  it('already withdrawn at the re-read: no PATCH, recorded as an external withdraw, protection ends', async () => {
    assert.deepEqual(patchesOf(GONE), []);
    assert.equal((await outcome(GONE)).reason, 'withdrawn_externally');
    assert.deepEqual(rows('SELECT withdraw_method, status FROM withdrawal_history WHERE prefix = ?', GONE.cidr), [
      { withdraw_method: 'external', status: 'success' },
    ]);
  });

  it('locked at the re-read: no PATCH, one locked notice, still protecting', () => {
    assert.deepEqual(patchesOf(LOCKED), []);
    const last = seen.get(LOCKED.cidr)!.at(-1)!;
    assert.equal(last.phase, 'protecting');
    assert.equal(last.locked, true);
    assert.equal(last.withdrawFailures.rounds, 0, 'a lock is not a failed withdraw');
    assert.equal(messagesAbout(LOCKED).filter((t) => /PREFIX LOCKED/.test(t)).length, 1);
    assert.deepEqual(rows('SELECT * FROM withdrawal_history WHERE prefix = ?', LOCKED.cidr), []);
  });

  it("locked according to the PATCH's answer: nothing changed, one locked notice, never retried as a failure", () => {
    assert.deepEqual(
      patchesOf(PATCH_LOCKED).map((x) => x.outcome),
      ['fault'],
      'one PATCH, refused',
    );
    const last = seen.get(PATCH_LOCKED.cidr)!.at(-1)!;
    assert.equal(last.phase, 'protecting');
    assert.equal(last.locked, true);
    assert.equal(last.withdrawBlockedBy, 'locked');
    assert.equal(last.withdrawFailures.rounds, 0);
    assert.equal(messagesAbout(PATCH_LOCKED).filter((t) => /PREFIX LOCKED/.test(t)).length, 1);
    assert.ok(!messagesAbout(PATCH_LOCKED).some((t) => /WITHDRAWAL FAILED/.test(t)));
    assert.deepEqual(rows('SELECT * FROM withdrawal_history WHERE prefix = ?', PATCH_LOCKED.cidr), []);
  });

  it('an unreadable re-read defers the withdraw to the next cycle: no failed withdraw, no alert, no backoff', () => {
    const states = seen.get(UNREADABLE.cidr)!;
    const deferred = states.find((s) => s.withdrawDeferrals.cycles === 1);
    assert.ok(deferred, 'the deferral showed in the status');
    assert.equal(deferred.withdrawBlockedBy, 'deferred');
    assert.equal(deferred.withdrawFailures.rounds, 0, 'not a failed withdraw round');
    const withdrawn = states.find((s) => s.lastWithdraw !== null)!;
    assert.ok(withdrawn, 'withdrawn in the end');
    const after = withdrawn.lastWithdraw!.atMs - deferred.lastCycleAtMs!;
    assert.ok(
      after < 2 * MIN,
      `withdrawn ${after / 1000}s after the deferred cycle: at the next cycle, not after a backoff`,
    );
    assert.deepEqual(
      patchesOf(UNREADABLE).map((x) => [x.advertised, x.outcome]),
      [[false, 'changed']],
    );
    assert.deepEqual(rows('SELECT status FROM withdrawal_history WHERE prefix = ?', UNREADABLE.cidr), [
      { status: 'success' },
    ]);
    const texts = messagesAbout(UNREADABLE);
    assert.ok(!texts.some((t) => /WITHDRAWAL FAILED|WITHDRAW DEFERRED/.test(t)), texts.join('\n---\n'));
    assert.equal(texts.filter((t) => /AUTO-WITHDRAWN/.test(t)).length, 1);
  });

  it('a re-read unreadable for five cycles raises one alert, then withdraws once it can read again', () => {
    const states = seen.get(DARK.cidr)!;
    assert.ok(states.some((s) => s.withdrawDeferrals.cycles === 5));
    const texts = messagesAbout(DARK);
    assert.equal(texts.filter((t) => /WITHDRAW DEFERRED/.test(t)).length, 1, texts.join('\n---\n'));
    assert.ok(!texts.some((t) => /WITHDRAWAL FAILED/.test(t)));
    assert.deepEqual(
      patchesOf(DARK).map((x) => x.outcome),
      ['changed'],
    );
    assert.deepEqual(rows('SELECT status FROM withdrawal_history WHERE prefix = ?', DARK.cidr), [
      { status: 'success' },
    ]);
  });

  it('on-demand disabled (advertised null): protection ends cleanly, no PATCH, the on-call team is told', async () => {
    assert.deepEqual(patchesOf(NOT_ON_DEMAND), []);
    assert.equal((await outcome(NOT_ON_DEMAND)).reason, 'not_on_demand');
    const texts = messagesAbout(NOT_ON_DEMAND);
    assert.equal(texts.filter((t) => /PROTECTION ENDED/.test(t) && /on-demand disabled/.test(t)).length, 1);
    assert.ok(!texts.some((t) => /WITHDRAWAL FAILED/.test(t)));
  });

  it('deleted at Cloudflare (404): protection ends cleanly instead of looping on a non-retryable failure', async () => {
    assert.deepEqual(patchesOf(DELETED), []);
    assert.equal((await outcome(DELETED)).reason, 'prefix_missing');
    const texts = messagesAbout(DELETED);
    assert.equal(texts.filter((t) => /PROTECTION ENDED/.test(t)).length, 1);
    assert.ok(!texts.some((t) => /WITHDRAWAL FAILED/.test(t)));
    assert.deepEqual(rows('SELECT * FROM withdrawal_history WHERE prefix = ?', DELETED.cidr), []);
  });
});
