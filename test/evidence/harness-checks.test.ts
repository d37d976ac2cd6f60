// The evidence checks themselves can fail: an early, a duplicate or a forbidden PATCH is caught, a duplicate row
// changes the compared outcome, and the calm period is measured on the traffic timeline, blackouts excluded.
import assert from 'node:assert/strict';
import type { GraphqlLogEntry, PatchLogEntry } from '../../src/simulators/cloudflare';
import { assertTimeline, calmCompleteAtMs } from './harness/checks';
import { comparable } from './harness/outcome';
import type { RunResult } from './harness/run';
import { A, B, C, CALM_MS, E, LOOKBACK_MS } from './harness/scenario';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const patch = (cidr: string, atMs: number, outcome: PatchLogEntry['outcome'] = 'changed'): PatchLogEntry => ({
  atMs,
  parentPrefixId: 'p4',
  bgpPrefixId: cidr,
  cidr,
  advertised: false,
  outcome,
  httpStatus: outcome === 'changed' ? 200 : 503,
});

function run(patchLog: PatchLogEntry[], extra: Partial<RunResult> = {}): RunResult {
  const withdrawal = (prefix: string) => ({ prefix, status: 'success', withdraw_method: 'autowithdraw_daemon' });
  return {
    name: 'synthetic',
    t0: T0,
    attacks: [
      { cidr: A.cidr, startMs: T0 - 60_000, endMs: T0 + 6_000 },
      { cidr: B.cidr, startMs: T0 - 60_000, endMs: T0 + 6_000 },
      { cidr: C.cidr, startMs: T0 - 60_000, endMs: T0 + 2_000 },
      { cidr: C.cidr, startMs: T0 + 11_000, endMs: T0 + 20_000 },
      { cidr: E.cidr, startMs: T0 - 60_000, endMs: null },
    ],
    dark: null,
    historiesReplayed: 0,
    patchLog,
    patches: [],
    attackEvents: {},
    withdrawals: {},
    webhooks: [],
    calmStatus: [],
    notificationLog: [],
    telegram: [],
    telegramStarts: 1,
    telegramTexts: [],
    rawWithdrawals: [withdrawal(A.cidr), withdrawal(C.cidr)],
    rawAttackEvents: [],
    rawNotificationLog: [],
    durationMs: 0,
    scenarioMs: 0,
    workerStarts: 1,
    kills: 0,
    serverStarts: 1,
    notes: [],
    workerOutput: '',
    receiverOutput: '',
    env: {},
    endings: {
      [A.cidr]: 'cooldown_elapsed',
      [C.cidr]: 'cooldown_elapsed',
      [B.cidr]: 'protecting',
      [E.cidr]: 'protecting',
    },
    graphqlLog: [],
    ...extra,
  };
}

const aDue = T0 + 6_000 + LOOKBACK_MS + CALM_MS;
const cDue = T0 + 20_000 + LOOKBACK_MS + CALM_MS;

describe('evidence checks', () => {
  it('accept the scenario as it should go', () => {
    assertTimeline(run([patch(A.cidr, aDue + 300), patch(C.cidr, cDue + 300)]));
    // Failed attempts before the withdraw are fine too.
    assertTimeline(run([patch(A.cidr, aDue, 'fault'), patch(A.cidr, aDue + 5_000), patch(C.cidr, cDue)]));
  });

  it('catch an early, a duplicate, a missing, a reordered and a forbidden PATCH', () => {
    assert.throws(() => assertTimeline(run([patch(A.cidr, aDue - 1), patch(C.cidr, cDue)])), /before its calm period/);
    assert.throws(
      () => assertTimeline(run([patch(A.cidr, aDue), patch(A.cidr, aDue + 50), patch(C.cidr, cDue)])),
      /applied PATCHes/,
    );
    assert.throws(() => assertTimeline(run([patch(A.cidr, aDue)])), /applied PATCHes/);
    assert.throws(() => assertTimeline(run([patch(C.cidr, cDue), patch(A.cidr, cDue + 1)])), /applied PATCHes/);
    assert.throws(
      () => assertTimeline(run([patch(A.cidr, aDue), patch(B.cidr, aDue, 'locked'), patch(C.cidr, cDue)])),
      /locked or under attack/,
    );
    // A failed attempt before the calm period was complete is early all the same.
    assert.throws(
      () => assertTimeline(run([patch(C.cidr, T0 + 15_000, 'fault'), patch(A.cidr, aDue), patch(C.cidr, cDue)])),
      /before its calm period/,
    );
    assert.throws(
      () =>
        assertTimeline(
          run([patch(A.cidr, aDue), patch(C.cidr, cDue)], {
            rawWithdrawals: [
              { prefix: A.cidr, status: 'success' },
              { prefix: A.cidr, status: 'success' },
              { prefix: C.cidr, status: 'success' },
            ],
          }),
        ),
      /withdrawal_history rows of 185\.54\.81\.0\/24/,
    );
  });

  it('a duplicated row or message changes the compared outcome', () => {
    const row = { prefix: A.cidr, event_type: 'WITHDRAW', created_at: 'set' };
    const one = run([], { attackEvents: { [A.cidr]: [row] }, telegram: [`prefix_withdrawn ${A.cidr}`] });
    const two = run([], { attackEvents: { [A.cidr]: [row, row] }, telegram: [`prefix_withdrawn ${A.cidr}`] });
    const twice = run([], {
      attackEvents: { [A.cidr]: [row] },
      telegram: [`prefix_withdrawn ${A.cidr}`, `prefix_withdrawn ${A.cidr}`],
    });
    assert.notDeepEqual(comparable(two), comparable(one));
    assert.notDeepEqual(comparable(twice), comparable(one));
  });

  it('count calm from the first window read after a blackout, not from the blackout end or the attack end', () => {
    const dark = { fromMs: T0 + 3_000, untilMs: T0 + 19_000 };
    const read = (atMs: number, endMs: number, answered = true): GraphqlLogEntry => ({
      atMs,
      httpStatus: answered ? 200 : 503,
      answered,
      operationName: 'MtDroppedTraffic',
      variables: { end: new Date(endMs).toISOString() },
    });
    const log = [read(T0 + 10_000, T0 + 10_000, false), read(T0 + 19_100, T0 + 18_000), read(T0 + 19_200, T0 + 19_000)];
    const r = run([], { dark, graphqlLog: log });
    assert.equal(calmCompleteAtMs(r, A.cidr), T0 + 18_000 + CALM_MS);
    // Without the blackout: lookback after the attack's end, plus the calm period.
    assert.equal(calmCompleteAtMs(run([]), A.cidr), aDue);
    // Calm that began before the blackout counts up to its start.
    const early = run([], {
      dark: { fromMs: T0 + 12_000, untilMs: T0 + 30_000 },
      graphqlLog: [read(T0 + 30_100, T0 + 30_000)],
    });
    assert.equal(calmCompleteAtMs(early, A.cidr), T0 + 30_000 + CALM_MS - (12_000 - 9_000));
  });
});
