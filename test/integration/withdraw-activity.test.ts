// withdrawPrefix / advertisePrefix as Temporal runs them (attempt, first scheduling) against the simulator: a retry
// that finds its own earlier, answer-lost PATCH applied reports a change; a change by someone else stays "already".
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { ChangeResult } from '../../src/activities';
import { ErrorType } from '../../src/errors';
import { buildDependencies, type Dependencies } from '../../src/runtime/dependencies';
import { memoryLogger, startFixture, type Fixture, type TestPrefix } from '../helpers/fixture';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const MIN = 60_000;
const LOST = 'applied by an earlier attempt whose answer was lost';

const UP: TestPrefix = {
  cidr: '192.0.2.0/24',
  description: 'Advertised',
  parentPrefixId: 'pa',
  bgpPrefixId: 'ba',
  advertised: true,
  advertisedModifiedAtMs: T0 - 120 * MIN,
};
const DOWN: TestPrefix = {
  cidr: '198.51.100.0/24',
  description: 'Withdrawn',
  parentPrefixId: 'pa',
  bgpPrefixId: 'bd',
  advertised: false,
  advertisedModifiedAtMs: T0 - 120 * MIN,
};

describe('withdraw / advertise activities on retry after a lost answer', () => {
  let now: number;
  let fx: Fixture;
  let deps: Dependencies;
  let logs: string[];

  /** Runs one attempt of an activity first scheduled at scheduledMs, as the worker would. */
  function attempt(
    n: number,
    scheduledMs: number,
    fn: (cidr: string) => Promise<ChangeResult>,
    cidr: string,
  ): Promise<ChangeResult> {
    const env = new MockActivityEnvironment(
      { attempt: n, scheduledTimestampMs: scheduledMs, currentAttemptScheduledTimestampMs: now },
      { logger: new DefaultLogger('INFO', (entry) => void logs.push(entry.message)) },
    );
    return env.run(fn, cidr);
  }
  const withdraw = (n: number, scheduledMs: number, cidr = UP.cidr) =>
    attempt(n, scheduledMs, (c) => deps.activities.withdrawPrefix(c), cidr);
  const advertise = (n: number, scheduledMs: number, cidr = DOWN.cidr) =>
    attempt(n, scheduledMs, (c) => deps.activities.advertisePrefix(c), cidr);
  const patches = (bgpPrefixId: string) => fx.cf.stats.patches().filter((p) => p.bgpPrefixId === bgpPrefixId);

  beforeEach(async () => {
    now = T0;
    logs = [];
    fx = await startFixture({ prefixes: [UP, DOWN], cloudflare: { clock: () => now } });
    deps = buildDependencies(fx.config, memoryLogger().logger);
  });
  afterEach(async () => {
    deps.close();
    await fx.close();
  });

  it('attempt 2 after a PATCH whose answer was lost: changed, and no second PATCH', async () => {
    const scheduledMs = now;
    fx.cf.faults.add({ kind: 'lost_answer', match: { method: 'PATCH' } });
    now += 1_000;
    const first = await withdraw(1, scheduledMs).then(
      () => assert.fail('attempt 1 should have failed'),
      (e: unknown) => e,
    );
    assert.ok(first instanceof ApplicationFailure, String(first));
    assert.equal(first.type, ErrorType.CloudflareUnavailable);
    assert.equal(first.nonRetryable, false);
    assert.equal(fx.cf.state.get(UP.bgpPrefixId)?.advertised, false, 'the PATCH was applied');

    now += 5_000;
    const second = await withdraw(2, scheduledMs);
    assert.equal(second.changed, true);
    assert.equal(second.shadow, false);
    assert.equal(second.live.advertised, false);
    assert.equal(second.live.advertisedModifiedAtMs, scheduledMs + 1_000);
    assert.deepEqual(
      patches(UP.bgpPrefixId).map((p) => [p.outcome, p.answerLost ?? false]),
      [['changed', true]],
      'one PATCH in all',
    );
    assert.ok(
      logs.some((l) => l.includes(LOST)),
      logs.join('\n'),
    );
  });

  it('the same for an advertise', async () => {
    const scheduledMs = now;
    fx.cf.faults.add({ kind: 'lost_answer', match: { method: 'PATCH' } });
    await assert.rejects(advertise(1, scheduledMs), { type: ErrorType.CloudflareUnavailable });
    now += 5_000;
    const second = await advertise(2, scheduledMs);
    assert.equal(second.changed, true);
    assert.equal(second.live.advertised, true);
    assert.equal(patches(DOWN.bgpPrefixId).length, 1);
  });

  it('attempt 1 finding the prefix withdrawn by someone else: not changed by us', async () => {
    const scheduledMs = now;
    // Withdrawn at Cloudflare after this activity was scheduled, before its first attempt ran.
    now += 2_000;
    fx.cf.state.set(UP.bgpPrefixId, { advertised: false, advertisedModifiedAtMs: now });
    now += 1_000;
    const r = await withdraw(1, scheduledMs);
    assert.equal(r.changed, false);
    assert.equal(r.live.advertised, false);
    assert.equal(patches(UP.bgpPrefixId).length, 0);
    assert.ok(!logs.some((l) => l.includes(LOST)));
    assert.ok(logs.some((l) => l.includes('already withdrawn; nothing to change')));
  });

  it('attempt 2 finding a withdraw older than the first scheduling: not changed by us', async () => {
    // Someone withdrew a minute before the activity was first scheduled; attempt 1 failed before reading anything.
    fx.cf.state.set(UP.bgpPrefixId, { advertised: false, advertisedModifiedAtMs: now - MIN });
    const scheduledMs = now;
    now += 10_000;
    const r = await withdraw(2, scheduledMs);
    assert.equal(r.changed, false);
    assert.equal(patches(UP.bgpPrefixId).length, 0);
    assert.ok(!logs.some((l) => l.includes(LOST)));
  });

  it('an advertise retried after someone else advertised before it was scheduled: not changed by us', async () => {
    fx.cf.state.set(DOWN.bgpPrefixId, { advertised: true, advertisedModifiedAtMs: now - 1 });
    const r = await advertise(3, now);
    assert.equal(r.changed, false);
    assert.equal(patches(DOWN.bgpPrefixId).length, 0);
  });
});
