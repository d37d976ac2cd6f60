// Operator request rules: every refusal an on-call engineer can meet, with the exact "available at" wording.
import assert from 'node:assert/strict';
import { formatAtAndIn, formatUtc, isoOrNull } from '../../src/domain/clock-format';
import { holdActive, newHold } from '../../src/domain/hold';
import {
  advertiseAvailableAtMs,
  checkAdvertise,
  checkHold,
  checkResume,
  checkWithdraw,
  manualWithdrawReading,
  type LatestReading,
  type OperatorFacts,
  type Verdict,
} from '../../src/domain/operator-rules';
import { protectionStateLabel, type StateLabelInput } from '../../src/domain/state-label';

const MIN = 60_000;
const NOW = Date.UTC(2026, 0, 19, 14, 42, 9); // 14:42:09 UTC

function facts(over: Partial<OperatorFacts> = {}): OperatorFacts {
  return {
    cidr: '185.54.81.0/24',
    nowMs: NOW,
    phase: 'protecting',
    advertised: true,
    locked: false,
    underAttack: false,
    trafficUnknown: false,
    advertisedModifiedAtMs: NOW - 2 * 3_600_000,
    lastWithdrawAtMs: null,
    readvertiseCooldownMs: 15 * MIN,
    minAdvertisedMs: 15 * MIN,
    pendingWithdraw: null,
    queuedAdvertise: null,
    held: false,
    ...over,
  };
}

function refused(v: Verdict): { code: string; message: string; availableAtMs?: number } {
  assert.equal(v.ok, false, 'expected a refusal');
  return v;
}

describe('clock formatting', () => {
  it('shows UTC wall-clock time and how far away it is', () => {
    assert.equal(formatUtc(NOW + 201_000, NOW), '14:45:30 UTC');
    assert.equal(formatAtAndIn(NOW + 201_000, NOW), '14:45:30 UTC, in 3m 21s');
    assert.equal(formatAtAndIn(NOW - 125_000, NOW), '14:40:04 UTC, 2m 05s ago');
    assert.equal(formatAtAndIn(NOW + 400, NOW), '14:42:09 UTC, now');
  });
  it('names the date when it is another day', () => {
    assert.equal(formatUtc(NOW + 12 * 3_600_000, NOW), '2026-01-20 02:42:09 UTC');
  });
  it('gives ISO text or null for JSON', () => {
    assert.equal(isoOrNull(NOW), '2026-01-19T14:42:09.000Z');
    assert.equal(isoOrNull(null), null);
  });
});

describe('operator rules: withdraw', () => {
  it('allows a calm, advertised, unlocked prefix', () => assert.deepEqual(checkWithdraw(facts()), { ok: true }));

  const cases: Array<[string, Partial<OperatorFacts>, string, RegExp]> = [
    ['locked', { locked: true }, 'locked', /185\.54\.81\.0\/24 is locked/],
    ['not advertised (cooldown)', { phase: 'cooldown', advertised: false }, 'not_advertised', /not advertised/],
    ['not advertised (idle)', { phase: 'idle', advertised: false }, 'not_advertised', /not advertised/],
    [
      'an automatic withdraw in flight',
      { phase: 'withdrawing', pendingWithdraw: 'auto' },
      'in_progress',
      /an automatic withdraw .* already in progress/,
    ],
    ['an advertise in flight', { phase: 'advertising' }, 'in_progress', /advertise .* already in progress/],
    ['the workflow ending', { phase: 'ended' }, 'ended', /ending/],
    ['under attack', { underAttack: true }, 'under_attack', /under attack: it is never withdrawn during an attack/],
    [
      'unknown traffic',
      { trafficUnknown: true },
      'traffic_unknown',
      /unknown right now: it is never withdrawn without a known calm reading/,
    ],
  ];
  for (const [what, over, code, re] of cases)
    it(`refuses: ${what}`, () => {
      const r = refused(checkWithdraw(facts(over)));
      assert.equal(r.code, code);
      assert.match(r.message, re);
    });

  it('nothing overrides an attack or unknown traffic: the refusal never suggests one', () => {
    for (const over of [{ underAttack: true }, { trafficUnknown: true }, { underAttack: true, trafficUnknown: true }]) {
      const r = refused(checkWithdraw(facts(over)));
      assert.doesNotMatch(r.message, /--force|anyway/);
    }
  });

  it('refuses within the minimum advertised time, with the time it becomes possible', () => {
    const r = refused(checkWithdraw(facts({ advertisedModifiedAtMs: NOW - 11 * MIN - 39_000 })));
    assert.equal(r.code, 'min_advertised');
    assert.match(r.message, /withdraw available at 14:45:30 UTC, in 3m 21s/);
    assert.equal(r.availableAtMs, NOW + 201_000);
  });
});

describe('operator rules: the reading behind a manual withdraw', () => {
  const reading = (over: Partial<LatestReading> = {}): LatestReading => ({
    underAttack: false,
    unknown: false,
    unknownDetail: null,
    lastClassification: 'calm',
    lastReadingAtMs: NOW - 30_000,
    ...over,
  });
  const cases: Array<[string, Partial<LatestReading>, string]> = [
    ['a calm reading less than one interval old', {}, 'calm'],
    ['a calm reading exactly one interval old', { lastReadingAtMs: NOW - MIN }, 'calm'],
    ['a calm reading older than one interval', { lastReadingAtMs: NOW - MIN - 1 }, 'measure'],
    ['no reading yet (update-with-start)', { lastClassification: null, lastReadingAtMs: null }, 'measure'],
    ['under attack, however fresh', { underAttack: true, lastClassification: 'attack' }, 'refuse:under_attack'],
    [
      'unknown latest reading',
      { unknown: true, unknownDetail: 'api_error: HTTP 503', lastClassification: 'unknown' },
      'refuse:traffic_unknown',
    ],
    ['an attack latched through an old unknown reading', { underAttack: true, unknown: true }, 'refuse:under_attack'],
  ];
  for (const [what, over, expected] of cases)
    it(`${what} → ${expected}`, () => {
      const g = manualWithdrawReading('185.54.81.0/24', reading(over), MIN, NOW);
      assert.equal(g.kind === 'refuse' ? `refuse:${g.code}` : g.kind, expected);
    });
  it('names the unknown reason in the refusal', () => {
    const g = manualWithdrawReading(
      '185.54.81.0/24',
      reading({ unknown: true, unknownDetail: 'stale: 400s old' }),
      MIN,
      NOW,
    );
    assert.ok(g.kind === 'refuse');
    assert.match(g.message, /traffic of 185\.54\.81\.0\/24 is unknown right now \(stale: 400s old\)/);
  });
});

describe('operator rules: advertise', () => {
  const withdrawn = (over: Partial<OperatorFacts> = {}): OperatorFacts =>
    facts({ phase: 'cooldown', advertised: false, ...over });

  it('cooldown end is the later of our withdraw and advertised_modified_at, plus the cooldown', () => {
    const base = { readvertiseCooldownMs: 15 * MIN };
    assert.equal(
      advertiseAvailableAtMs({ ...base, lastWithdrawAtMs: NOW, advertisedModifiedAtMs: NOW - MIN }),
      NOW + 15 * MIN,
    );
    assert.equal(
      advertiseAvailableAtMs({ ...base, lastWithdrawAtMs: NOW - MIN, advertisedModifiedAtMs: NOW }),
      NOW + 15 * MIN,
    );
    assert.equal(advertiseAvailableAtMs({ ...base, lastWithdrawAtMs: null, advertisedModifiedAtMs: null }), 15 * MIN);
  });

  it('refuses inside the cooldown with the exact time and the way to queue it', () => {
    const withdrawnAt = NOW + 201_000 - 15 * MIN; // cooldown ends 14:45:30
    const r = refused(
      checkAdvertise(withdrawn({ lastWithdrawAtMs: withdrawnAt, advertisedModifiedAtMs: withdrawnAt - 5_000 }), {
        whenAllowed: false,
      }),
    );
    assert.equal(r.code, 'cooldown');
    assert.match(r.message, /advertise available at 14:45:30 UTC, in 3m 21s/);
    assert.match(r.message, /--when-allowed/);
    assert.equal(r.availableAtMs, NOW + 201_000);
  });

  it("uses Cloudflare's advertised_modified_at when it is later than our own withdraw", () => {
    const r = refused(
      checkAdvertise(withdrawn({ lastWithdrawAtMs: NOW - 20 * MIN, advertisedModifiedAtMs: NOW - 5 * MIN }), {
        whenAllowed: false,
      }),
    );
    assert.equal(r.availableAtMs, NOW + 10 * MIN);
  });

  it('accepts inside the cooldown when asked to queue it', () =>
    assert.deepEqual(checkAdvertise(withdrawn({ lastWithdrawAtMs: NOW - MIN }), { whenAllowed: true }), { ok: true }));

  it('accepts once the cooldown is over, and for a prefix never withdrawn', () => {
    assert.deepEqual(
      checkAdvertise(withdrawn({ lastWithdrawAtMs: NOW - 15 * MIN, advertisedModifiedAtMs: NOW - 15 * MIN }), {
        whenAllowed: false,
      }),
      { ok: true },
    );
    assert.deepEqual(
      checkAdvertise(facts({ phase: 'idle', advertised: false, advertisedModifiedAtMs: null }), { whenAllowed: false }),
      { ok: true },
    );
  });

  it('refuses a locked, an advertised and a busy prefix', () => {
    assert.equal(refused(checkAdvertise(withdrawn({ locked: true }), { whenAllowed: true })).code, 'locked');
    assert.equal(refused(checkAdvertise(facts(), { whenAllowed: true })).code, 'already_advertised');
    assert.equal(
      refused(checkAdvertise(withdrawn({ advertised: true }), { whenAllowed: true })).code,
      'already_advertised',
    );
    assert.equal(refused(checkAdvertise(facts({ phase: 'advertising' }), { whenAllowed: true })).code, 'in_progress');
  });
});

describe('operator rules: hold and resume', () => {
  it('holds an advertised prefix, with or without a duration', () => {
    assert.deepEqual(checkHold(facts(), {}), { ok: true });
    assert.deepEqual(checkHold(facts(), { forMs: 2 * 3_600_000 }), { ok: true });
  });
  it('refuses a bad duration and a prefix that is not protected', () => {
    assert.equal(refused(checkHold(facts(), { forMs: 0 })).code, 'invalid');
    assert.equal(refused(checkHold(facts(), { forMs: -5 })).code, 'invalid');
    assert.equal(refused(checkHold(facts({ phase: 'cooldown', advertised: false }), {})).code, 'not_advertised');
    assert.equal(refused(checkHold(facts({ phase: 'withdrawing' }), {})).code, 'in_progress');
  });
  it('resumes only a held prefix', () => {
    assert.deepEqual(checkResume(facts({ held: true })), { ok: true });
    assert.equal(refused(checkResume(facts())).code, 'not_held');
  });
  it('a hold with an end stops counting at that end', () => {
    const h = newHold({ actor: 'alice@noc', reason: 'maintenance', forMs: 2 * 3_600_000 }, NOW);
    assert.deepEqual(h, { actor: 'alice@noc', reason: 'maintenance', sinceMs: NOW, untilMs: NOW + 2 * 3_600_000 });
    assert.equal(holdActive(h, NOW + 2 * 3_600_000 - 1), true);
    assert.equal(holdActive(h, NOW + 2 * 3_600_000), false);
    assert.equal(holdActive(newHold({ actor: 'a', reason: 'r' }, NOW), NOW + 1e12), true);
    assert.equal(holdActive(null, NOW), false);
  });
});

describe('protection state label', () => {
  const base: StateLabelInput = {
    phase: 'protecting',
    held: false,
    locked: false,
    underAttack: false,
    trafficUnknown: false,
    calmSinceMs: null,
    advertiseQueued: false,
  };
  const cases: Array<[Partial<StateLabelInput>, string]> = [
    [{}, 'measuring'],
    [{ calmSinceMs: NOW }, 'calm'],
    [{ underAttack: true }, 'under_attack'],
    [{ trafficUnknown: true, calmSinceMs: NOW }, 'traffic_unknown'],
    [{ locked: true, underAttack: true }, 'locked'],
    [{ held: true, locked: true }, 'held'],
    [{ phase: 'cooldown' }, 'cooldown'],
    [{ phase: 'cooldown', advertiseQueued: true }, 'advertise_queued'],
    [{ phase: 'idle' }, 'idle'],
    [{ phase: 'withdrawing', held: true }, 'withdrawing'],
  ];
  for (const [over, label] of cases)
    it(`${JSON.stringify(over)} → ${label}`, () => assert.equal(protectionStateLabel({ ...base, ...over }), label));
});
