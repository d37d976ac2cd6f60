// Table-driven tests of the calm-period engine: thresholds, calm accrual, unknown data, alerts, peaks and gates.
import assert from 'node:assert/strict';
import {
  afterWithdraw,
  classify,
  initialCalmState,
  projectedWithdrawAtMs,
  stepCalm,
  type CalmState,
  type Decision,
  type StepContext,
} from '../../src/domain/calm-engine';
import type { ProtectionPolicy, TrafficObservation, TrafficReading } from '../../src/domain/types';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 19, 14, 0, 0);

const policy: ProtectionPolicy = {
  calmPeriodMs: 15 * MIN,
  checkIntervalMs: MIN,
  lookbackMs: 5 * MIN,
  readvertiseCooldownMs: 15 * MIN,
  minAdvertisedMs: 15 * MIN,
  minDroppedPackets: 5000,
  minDroppedBits: 10_000_000,
  telemetryLostAlertMs: 5 * MIN,
  maxDataAgeMs: 3 * MIN,
};

type Obs =
  'calm' | 'attack' | 'error' | 'empty' | 'stale' | { packets: number; bits: number; unattributed?: [number, number] };

function observation(kind: Obs, atMs: number): TrafficObservation {
  if (kind === 'error')
    return { kind: 'error', windowEndMs: atMs, errorType: 'CloudflareServerError', message: 'HTTP 502' };
  return reading(kind, atMs);
}

function reading(kind: Exclude<Obs, 'error'>, atMs: number): TrafficReading {
  const window = { windowStartMs: atMs - policy.lookbackMs, windowEndMs: atMs };
  const base = {
    kind: 'data' as const,
    ...window,
    systems: [] as string[],
    unattributedPackets: 0,
    unattributedBits: 0,
  };
  switch (kind) {
    case 'calm':
      return { ...base, packets: 10, bits: 8000, newestSampleMs: atMs - 60_000 };
    case 'attack':
      return { ...base, packets: 900_000, bits: 6_000_000_000, systems: ['dosd'], newestSampleMs: atMs - 60_000 };
    case 'empty':
      return { ...base, packets: 0, bits: 0, newestSampleMs: null };
    case 'stale':
      return { ...base, packets: 0, bits: 0, newestSampleMs: atMs - 10 * MIN };
    default:
      return {
        ...base,
        packets: kind.packets,
        bits: kind.bits,
        unattributedPackets: kind.unattributed?.[0] ?? 0,
        unattributedBits: kind.unattributed?.[1] ?? 0,
        newestSampleMs: atMs - 30_000,
      };
  }
}

function ctx(nowMs: number, over: Partial<StepContext> = {}): StepContext {
  return { nowMs, policy, held: false, locked: false, advertisedAtMs: null, withdrawNotBeforeMs: null, ...over };
}

/** Feeds one observation per minute starting at T0; returns the decisions of each minute. */
function run(seq: Obs[], over: Partial<StepContext> = {}): { state: CalmState; decisions: Decision[][] } {
  let state = initialCalmState();
  const decisions: Decision[][] = [];
  seq.forEach((o, i) => {
    const now = T0 + i * MIN;
    const r = stepCalm(state, observation(o, now), ctx(now, over));
    state = r.state;
    decisions.push(r.decisions);
  });
  return { state, decisions };
}

const repeat = <T>(x: T, n: number): T[] => Array.from({ length: n }, () => x);
const firstMinuteWith = (d: Decision[][], type: Decision['type']): number =>
  d.findIndex((ds) => ds.some((x) => x.type === type));

describe('calm engine: attack thresholds (AND logic, strictly greater)', () => {
  const cases: Array<[string, number, number, 'attack' | 'calm']> = [
    ['both at the minimum', 5000, 10_000_000, 'calm'],
    ['packets one above, bits at the minimum', 5001, 10_000_000, 'calm'],
    ['bits one above, packets at the minimum', 5000, 10_000_001, 'calm'],
    ['both one above', 5001, 10_000_001, 'attack'],
    ['many packets, little bandwidth (backup traffic)', 2_000_000, 5_000_000, 'calm'],
    ['huge bandwidth, few packets', 100, 50_000_000_000, 'calm'],
    ['nothing', 0, 0, 'calm'],
  ];
  for (const [name, packets, bits, expected] of cases) {
    it(`${name} → ${expected}`, () => {
      assert.equal(classify(observation({ packets, bits }, T0), policy, T0).kind, expected);
    });
  }
  it('reports Mbps as bits over the lookback window', () => {
    const c = classify(observation({ packets: 6000, bits: 3_000_000_000 }, T0), policy, T0);
    assert.equal(c.kind, 'attack');
    assert.ok(c.kind === 'attack' && Math.abs(c.mbps - 10) < 1e-9); // 3e9 bits / 300 s = 10 Mbps
  });
});

describe('calm engine: unknown data is never calm', () => {
  const cases: Array<[string, Obs, string]> = [
    ['an API error', 'error', 'api_error'],
    ['an empty answer', 'empty', 'empty'],
    ['a stale answer', 'stale', 'stale'],
    [
      'a cut-off answer that could hide an attack',
      { packets: 100, bits: 1000, unattributed: [1_000_000, 9e9] },
      'partial',
    ],
  ];
  for (const [name, obs, reason] of cases) {
    it(`${name} → unknown (${reason})`, () => {
      const c = classify(observation(obs, T0), policy, T0);
      assert.deepEqual([c.kind, c.kind === 'unknown' ? c.reason : null], ['unknown', reason]);
    });
  }
  it('a cut-off answer whose missing rows could not reach the thresholds is calm', () => {
    assert.equal(
      classify(observation({ packets: 100, bits: 1000, unattributed: [200, 9e9] }, T0), policy, T0).kind,
      'calm',
    );
  });
  it('a cut-off answer that already shows an attack is an attack', () => {
    const obs = observation({ packets: 9000, bits: 9e9, unattributed: [5e6, 9e9] }, T0);
    assert.equal(classify(obs, policy, T0).kind, 'attack');
  });
  it('an answer about an old window is stale even if its samples were fresh then', () => {
    const obs = observation('calm', T0);
    assert.equal(classify(obs, policy, T0 + 10 * MIN).kind, 'unknown');
  });
  it('data exactly maxDataAge old is still fresh; one ms more is stale', () => {
    const obs = { ...reading('calm', T0), newestSampleMs: T0 - policy.maxDataAgeMs };
    assert.equal(classify(obs, policy, T0).kind, 'calm');
    assert.equal(classify({ ...obs, newestSampleMs: obs.newestSampleMs - 1 }, policy, T0).kind, 'unknown');
  });
});

describe('calm engine: calm accrual and withdraw timing', () => {
  it('withdraws exactly when 15 calm minutes have accrued (16th calm observation)', () => {
    const { decisions } = run(repeat<Obs>('calm', 17));
    assert.equal(firstMinuteWith(decisions, 'withdraw'), 15);
    const w = decisions[15]!.find((d) => d.type === 'withdraw');
    assert.deepEqual(w, { type: 'withdraw', calmMs: 15 * MIN, peak: null });
  });

  it('an attack resets calm: attack at calm minute 10 restarts the 15 minutes', () => {
    const seq: Obs[] = [...repeat<Obs>('attack', 3), ...repeat<Obs>('calm', 10), 'attack', ...repeat<Obs>('calm', 20)];
    const { decisions } = run(seq);
    // calm restarts at minute 14, so the withdraw lands at minute 29
    assert.equal(firstMinuteWith(decisions, 'withdraw'), 29);
    assert.equal(
      decisions
        .slice(0, 29)
        .flat()
        .filter((d) => d.type === 'withdraw').length,
      0,
    );
  });

  it('unknown data freezes the calm timer: the dark minutes do not count', () => {
    const seq: Obs[] = [...repeat<Obs>('calm', 11), ...repeat<Obs>('error', 4), ...repeat<Obs>('calm', 20)];
    const { decisions } = run(seq);
    // accrued 10 min by minute 10; minutes 11-14 unknown; accrual restarts at 15; 5 more minutes → minute 20
    assert.equal(firstMinuteWith(decisions, 'withdraw'), 20);
  });

  it('30 minutes of analytics errors during calm never withdraw', () => {
    const { decisions, state } = run([...repeat<Obs>('calm', 5), ...repeat<Obs>('error', 30)]);
    assert.equal(firstMinuteWith(decisions, 'withdraw'), -1);
    assert.equal(state.calmAccumulatedMs, 4 * MIN);
  });

  it('stale, empty and partial answers freeze calm like errors', () => {
    for (const bad of ['stale', 'empty', { packets: 0, bits: 0, unattributed: [1e7, 1e12] }] as Obs[]) {
      const { decisions } = run([...repeat<Obs>('calm', 10), ...repeat(bad, 20)]);
      assert.equal(firstMinuteWith(decisions, 'withdraw'), -1, JSON.stringify(bad));
    }
  });

  it('an attack during a dark period stays latched: unknown does not end it', () => {
    const { state } = run(['attack', 'error', 'error']);
    assert.equal(state.underAttack, true);
    assert.equal(state.calmSinceMs, null);
  });

  it('emits attack_started and calm_started once per transition', () => {
    const { decisions } = run(['calm', 'attack', 'attack', 'calm', 'calm']);
    assert.deepEqual(
      decisions.map((ds) => ds.map((d) => d.type).join(',')),
      ['calm_started', 'attack_started', '', 'calm_started', ''],
    );
  });
});

describe('calm engine: telemetry lost alert', () => {
  it('alerts once after telemetryLostAlertMs of unknown data, then reports the restore', () => {
    const { decisions } = run(['calm', ...repeat<Obs>('error', 9), 'calm']);
    const lost = decisions.flat().filter((d) => d.type === 'telemetry_lost');
    assert.equal(lost.length, 1);
    assert.equal(firstMinuteWith(decisions, 'telemetry_lost'), 6); // unknown since minute 1, 5 minutes later
    assert.deepEqual(lost[0], {
      type: 'telemetry_lost',
      sinceMs: T0 + MIN,
      reason: 'api_error',
      detail: 'CloudflareServerError: HTTP 502',
    });
    assert.deepEqual(decisions[10], [{ type: 'telemetry_restored', lostForMs: 9 * MIN }]);
  });

  it('short outages below the alert time raise nothing', () => {
    const { decisions } = run(['calm', ...repeat<Obs>('error', 4), 'calm']);
    assert.equal(decisions.flat().filter((d) => d.type.startsWith('telemetry')).length, 0);
  });
});

describe('calm engine: peak statistics', () => {
  it('keeps the highest packets and Mbps and every mitigation system across attacks until withdraw', () => {
    let s = initialCalmState();
    const steps: TrafficObservation[] = [
      { ...reading('attack', T0), packets: 60_000, bits: 3e9, systems: ['dosd'] },
      { ...reading('attack', T0 + MIN), packets: 90_000, bits: 1.5e9, systems: ['flowtrackd'] },
      reading('calm', T0 + 2 * MIN),
      { ...reading('attack', T0 + 3 * MIN), packets: 70_000, bits: 6e9, systems: ['magic-firewall', 'dosd'] },
    ];
    steps.forEach((o, i) => (s = stepCalm(s, o, ctx(T0 + i * MIN)).state));
    assert.deepEqual(s.peak, {
      packets: 90_000,
      bits: 6e9,
      mbps: 20,
      pps: 300, // 90,000 packets over the 300 s window
      systems: ['dosd', 'flowtrackd', 'magic-firewall'],
      atMs: T0 + MIN,
      firstAttackAtMs: T0,
    });
    const withdrawn = afterWithdraw(s);
    assert.equal(withdrawn.peak, null);
    assert.equal(withdrawn.calmAccumulatedMs, 0);
  });

  it('the withdraw decision carries the peak', () => {
    const { decisions } = run(['attack', ...repeat<Obs>('calm', 16)]);
    const w = decisions.flat().find((d) => d.type === 'withdraw');
    assert.ok(w && w.type === 'withdraw' && w.peak?.packets === 900_000 && w.peak.systems[0] === 'dosd');
  });
});

describe('calm engine: withdraw gates', () => {
  const calm16 = repeat<Obs>('calm', 16);
  const cases: Array<[string, Partial<StepContext>, string]> = [
    ['locked prefix', { locked: true }, 'locked'],
    ['held by an operator', { held: true }, 'held'],
    ['advertised less than 15 minutes ago', { advertisedAtMs: T0 + 5 * MIN }, 'min_advertised'],
    ['backing off after a failed withdraw', { withdrawNotBeforeMs: T0 + 60 * MIN }, 'retry_backoff'],
  ];
  for (const [name, over, reason] of cases) {
    it(`${name} → no withdraw, blocked (${reason})`, () => {
      const { decisions } = run(calm16, over);
      assert.equal(firstMinuteWith(decisions, 'withdraw'), -1);
      const blocked = decisions[15]!.find((d) => d.type === 'withdraw_blocked');
      assert.equal(blocked && blocked.type === 'withdraw_blocked' && blocked.reason, reason);
    });
  }
  it('the minimum advertised time is honoured to the millisecond', () => {
    const { decisions } = run(repeat<Obs>('calm', 25), { advertisedAtMs: T0 + 5 * MIN });
    assert.equal(firstMinuteWith(decisions, 'withdraw'), 20);
  });
});

describe('calm engine: projection', () => {
  it('projects the withdraw time from the calm accrued so far', () => {
    const { state } = run(repeat<Obs>('calm', 6));
    assert.equal(projectedWithdrawAtMs(state, ctx(T0 + 5 * MIN)), T0 + 15 * MIN);
  });
  it('no projection while under attack or while data is unknown', () => {
    assert.equal(projectedWithdrawAtMs(run(['calm', 'attack']).state, ctx(T0 + MIN)), null);
    assert.equal(projectedWithdrawAtMs(run(['calm', 'error']).state, ctx(T0 + MIN)), null);
  });
});

describe('calm engine: gaps between observations', () => {
  it('a gap longer than the lookback window counts only the window it observed', () => {
    let s = initialCalmState();
    s = stepCalm(s, observation('calm', T0), ctx(T0)).state;
    s = stepCalm(s, observation('calm', T0 + MIN), ctx(T0 + MIN)).state;
    // worker down for 20 minutes: the next window covers only its last 5 minutes
    s = stepCalm(s, observation('calm', T0 + 21 * MIN), ctx(T0 + 21 * MIN)).state;
    assert.equal(s.calmAccumulatedMs, MIN + policy.lookbackMs);
  });
});

describe('calm engine: re-confirmation after a gap longer than the lookback window', () => {
  // One observation per listed minute (minutes absent from the list had no reading: worker down).
  type Step = [minute: number, obs: Obs];
  function runAt(
    steps: Step[],
    over: Partial<StepContext> = {},
  ): { state: CalmState; decisions: Map<number, Decision[]> } {
    let state = initialCalmState();
    const decisions = new Map<number, Decision[]>();
    for (const [minute, o] of steps) {
      const now = T0 + minute * MIN;
      const r = stepCalm(state, observation(o, now), ctx(now, over));
      state = r.state;
      decisions.set(minute, r.decisions);
    }
    return { state, decisions };
  }
  const minutes = (from: number, to: number, o: Obs): Step[] =>
    Array.from({ length: to - from + 1 }, (_, k): Step => [from + k, o]);
  const firstWithdraw = (d: Map<number, Decision[]>): number =>
    [...d.entries()].find(([, ds]) => ds.some((x) => x.type === 'withdraw'))?.[0] ?? -1;

  const cases: Array<{ name: string; steps: Step[]; withdrawAt: number; why: string }> = [
    {
      name: 'no gap: withdraw after 15 calm minutes',
      steps: minutes(0, 20, 'calm'),
      withdrawAt: 15,
      why: 'the rule does not touch an unbroken calm',
    },
    {
      name: 'unknown for 4 minutes (the next window still covers the gap): no re-confirmation',
      steps: [...minutes(0, 10, 'calm'), ...minutes(11, 14, 'error'), ...minutes(15, 30, 'calm')],
      withdrawAt: 20,
      why: '10 min before, accrual restarts at 15, 5 more minutes',
    },
    {
      name: '14 calm minutes, then 30 minutes unknown: one more calm minute is not enough',
      steps: [...minutes(0, 14, 'calm'), ...minutes(15, 44, 'error'), ...minutes(45, 60, 'calm')],
      withdrawAt: 50,
      why: 'calm frozen at 14 min; 15 reached at 46, but fresh calm needs the lookback: 45 + 5',
    },
    {
      name: 'worker down 20 minutes after 12 calm minutes: the credited window does not count as fresh',
      steps: [...minutes(0, 12, 'calm'), ...minutes(33, 50, 'calm')],
      withdrawAt: 38,
      why: '12 + 5 (the window at 33) reaches 15 at once, fresh calm reaches 5 min at 38',
    },
    {
      name: 'the gap is exactly one lookback long: still observed, no re-confirmation',
      steps: [...minutes(0, 12, 'calm'), ...minutes(17, 30, 'calm')],
      withdrawAt: 17,
      why: '12 + 5 at 17; the window at 17 covers 12..17 entirely',
    },
    {
      name: 'a gap one minute longer than the lookback needs re-confirmation',
      steps: [...minutes(0, 12, 'calm'), ...minutes(18, 30, 'calm')],
      withdrawAt: 23,
      why: '12 + 5 at 18, fresh calm from 18 to 23',
    },
    {
      name: 'a short unknown stretch during re-confirmation freezes the fresh calm too',
      steps: [
        ...minutes(0, 14, 'calm'),
        ...minutes(15, 44, 'error'),
        ...minutes(45, 47, 'calm'),
        [48, 'error'],
        ...minutes(49, 60, 'calm'),
      ],
      withdrawAt: 52,
      why: 'fresh 0 at 45, 2 min at 47, frozen at 48, accrual restarts at 49: 2 + 3 more minutes',
    },
    {
      name: 'an attack during re-confirmation resets calm; a full calm period follows',
      steps: [
        ...minutes(0, 14, 'calm'),
        ...minutes(15, 44, 'error'),
        [45, 'calm'],
        [46, 'attack'],
        ...minutes(47, 70, 'calm'),
      ],
      withdrawAt: 62,
      why: 'calm restarts at 47 and needs 15 minutes',
    },
  ];
  for (const c of cases)
    it(`${c.name} → withdraw at minute ${c.withdrawAt}`, () => {
      const { decisions } = runAt(c.steps);
      assert.equal(firstWithdraw(decisions), c.withdrawAt, c.why);
    });

  it('while re-confirming, the withdraw is blocked (reconfirming) with the time it becomes possible', () => {
    const { decisions, state } = runAt([...minutes(0, 12, 'calm'), ...minutes(33, 35, 'calm')]);
    assert.deepEqual(decisions.get(35), [{ type: 'withdraw_blocked', reason: 'reconfirming', untilMs: T0 + 38 * MIN }]);
    assert.equal(state.reconfirmCalmMs, 2 * MIN);
    assert.equal(state.calmAccumulatedMs, 12 * MIN + 5 * MIN + 2 * MIN, 'calm accrued before the gap is kept');
    assert.equal(projectedWithdrawAtMs(state, ctx(T0 + 35 * MIN)), T0 + 38 * MIN);
  });

  it('calm stays frozen through the gap (not reset) and the flag clears once re-confirmed', () => {
    const frozen = runAt([...minutes(0, 10, 'calm'), ...minutes(11, 40, 'error')]).state;
    assert.equal(frozen.calmAccumulatedMs, 10 * MIN);
    assert.equal(frozen.reconfirmCalmMs, null, 'nothing to re-confirm until calm is seen again');
    const after = runAt([...minutes(0, 10, 'calm'), ...minutes(11, 40, 'error'), ...minutes(41, 46, 'calm')]).state;
    assert.equal(after.calmAccumulatedMs, 15 * MIN);
    assert.equal(after.reconfirmCalmMs, null, '5 fresh minutes: re-confirmed');
  });

  it('a state carried from an older run (no reconfirmCalmMs field) steps as before', () => {
    const old = { ...run(repeat<Obs>('calm', 10)).state } as Partial<CalmState>;
    delete old.reconfirmCalmMs;
    const r = stepCalm(old as CalmState, observation('calm', T0 + 10 * MIN), ctx(T0 + 10 * MIN));
    assert.equal(r.state.reconfirmCalmMs, null);
    assert.equal(r.state.calmAccumulatedMs, 10 * MIN);
  });

  it('other gates come first: a held prefix is reported held, not reconfirming', () => {
    const { decisions } = runAt([...minutes(0, 12, 'calm'), ...minutes(33, 35, 'calm')], { held: true });
    assert.equal((decisions.get(35)![0] as { reason: string }).reason, 'held');
  });
});
