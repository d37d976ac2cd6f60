// Pure views of a prefix workflow's state: fresh and carried state, status, and the search attribute plumbing.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSearchAttributeCheck } from '../../src/activities/search-attributes';
import { initialCalmState } from '../../src/domain/calm-engine';
import { registerCommand } from '../../src/runtime/search-attributes';
import { renderDetails } from '../../src/workflows/details';
import type { ProtectionSettings } from '../../src/activities';
import { freshState, operatorFactsOf, statusOf, withDefaults } from '../../src/workflows/protection-state';
import { missingSearchAttributes, MT_SEARCH_ATTRIBUTES } from '../../src/workflows/search-attribute-keys';
import type { ProtectionState } from '../../src/workflows/types';

const NOW = Date.UTC(2026, 0, 19, 14, 0, 0);
const POLICY = { readvertiseCooldownMs: 900_000, minAdvertisedMs: 900_000 };
const live = (advertised: boolean) => ({
  cidr: '185.54.81.0/24',
  advertised,
  advertisedModifiedAtMs: NOW - 60_000,
  locked: false,
  onDemandEnabled: true,
  observedAtMs: NOW,
});

describe('protection state', () => {
  it('a supervisor start protects; an operator start for a withdrawn prefix waits idle', () => {
    assert.equal(freshState({ cidr: '185.54.81.0/24', live: live(true) }, NOW).phase, 'protecting');
    const idle = freshState(
      {
        cidr: '185.54.81.0/24',
        live: live(false),
        operatorStart: { lastWithdrawAtMs: NOW - 120_000, ...POLICY },
      },
      NOW,
    );
    assert.equal(idle.phase, 'idle');
    assert.equal(idle.withdrawnAtMs, NOW - 120_000);
    const st = statusOf('185.54.81.0/24', idle, POLICY, NOW);
    assert.equal(st.state, 'idle');
    assert.equal(st.advertiseAvailableAtMs, NOW - 60_000 + 900_000, "Cloudflare's later change sets the cooldown end");
  });

  it('state carried from a run before operator control gets the new fields', () => {
    const old = freshState({ cidr: '185.54.81.0/24', live: live(true) }, NOW) as Partial<ProtectionState>;
    delete old.hold;
    delete old.queuedAdvertise;
    delete old.lastAdvertise;
    delete old.idleSinceMs;
    const s = withDefaults(old as ProtectionState);
    assert.equal(s.hold, null);
    assert.equal(s.queuedAdvertise, null);
    const st = statusOf('185.54.81.0/24', s, POLICY, NOW);
    assert.equal(st.held, false);
    assert.equal(st.state, 'measuring');
  });

  it('a hold shows in the status and the Web UI details until it ends', () => {
    const s = withDefaults(freshState({ cidr: '185.54.81.0/24', live: live(true) }, NOW));
    s.hold = { actor: 'alice@noc1', reason: 'maintenance | window', sinceMs: NOW, untilMs: NOW + 3_600_000 };
    s.calm = { ...initialCalmState(), calmSinceMs: NOW - 60_000, lastClassification: 'calm' };
    const st = statusOf('185.54.81.0/24', s, POLICY, NOW + 60_000);
    assert.equal(st.state, 'held');
    assert.equal(st.withdrawBlockedBy, 'held');
    const md = renderDetails(st);
    assert.match(md, /185\.54\.81\.0\/24/);
    assert.match(md, /\| Held \| by alice@noc1 until 15:00:00 UTC, in 59m 00s: maintenance \\\| window \|/);
    assert.equal(statusOf('185.54.81.0/24', s, POLICY, NOW + 3_600_000).held, false, 'expired');
  });
});

describe('protection status: shadow decisions, re-confirmation, operator facts', () => {
  const MIN = 60_000;
  const settings = (shadow: boolean): ProtectionSettings => ({
    identity: { cidr: '185.54.81.0/24', description: 'DMZ', parentPrefixId: 'p', bgpPrefixId: 'b' },
    policy: {
      calmPeriodMs: 15 * MIN,
      checkIntervalMs: MIN,
      lookbackMs: 5 * MIN,
      readvertiseCooldownMs: 15 * MIN,
      minAdvertisedMs: 15 * MIN,
      minDroppedPackets: 5000,
      minDroppedBits: 1e7,
      telemetryLostAlertMs: 5 * MIN,
      maxDataAgeMs: 3 * MIN,
    },
    configLocked: false,
    shadow,
    configDigest: 'd',
  });
  /** Protecting, calm for 20 minutes (past the calm period), last reading a minute ago. */
  function calmState(shadow: boolean): ProtectionState {
    const s = withDefaults(
      freshState({ cidr: '185.54.81.0/24', live: { ...live(true), advertisedModifiedAtMs: NOW - 3_600_000 } }, NOW),
    );
    s.settings = settings(shadow);
    s.calm = {
      ...initialCalmState(),
      calmSinceMs: NOW - 20 * MIN,
      calmAccumulatedMs: 20 * MIN,
      accrualAnchorMs: NOW - MIN,
      lastClassification: 'calm',
      lastObservationAtMs: NOW - MIN,
    };
    return s;
  }

  it('after a shadow withdraw nothing is projected as due until a new episode', () => {
    const s = calmState(true);
    const before = statusOf('185.54.81.0/24', s, POLICY, NOW);
    assert.equal(before.withdrawDueAtMs, NOW - MIN, 'due (now) before the shadow decision');
    s.shadowWithdrawnAtMs = NOW - 30 * 1000;
    const st = statusOf('185.54.81.0/24', s, POLICY, NOW);
    assert.equal(st.shadow, true);
    assert.equal(st.shadowWithdrawnAtMs, NOW - 30 * 1000);
    assert.equal(st.withdrawDueAtMs, null, "no 'due now' forever");
    assert.equal(st.withdrawBlockedBy, 'shadow_decided');
    const md = renderDetails(st);
    assert.doesNotMatch(md, /Auto-withdraw/);
    assert.match(
      md,
      /\| Shadow decision \| would have withdrawn at 13:59:30 UTC; nothing more is decided until a new attack \|/,
    );
  });

  it('a calm period complete but not re-confirmed after a dark gap shows why and when', () => {
    const s = calmState(false);
    s.calm = { ...s.calm, reconfirmCalmMs: 2 * MIN };
    const st = statusOf('185.54.81.0/24', s, POLICY, NOW);
    assert.equal(st.withdrawBlockedBy, 'reconfirming');
    assert.equal(st.withdrawDueAtMs, NOW - MIN + 3 * MIN);
    assert.match(renderDetails(st), /\| Re-confirming \|/);
  });

  it('deferred withdraws and a failed queued advertise show in the status', () => {
    const s = calmState(false);
    s.withdrawDeferrals = {
      cycles: 2,
      sinceMs: NOW - 2 * MIN,
      lastError: 'CloudflareUnavailableError: 503',
      alerted: false,
    };
    s.lastAdvertiseFailure = { atMs: NOW, actor: 'alice', reason: 'r', requestedAtMs: NOW - MIN, error: 'locked' };
    const st = statusOf('185.54.81.0/24', s, POLICY, NOW);
    assert.equal(st.withdrawBlockedBy, 'deferred');
    assert.equal(st.withdrawDeferrals.cycles, 2);
    assert.equal(st.lastAdvertiseFailure?.error, 'locked');
    const md = renderDetails(st);
    assert.match(md, /\| Withdraw deferred \| 2 cycle\(s\): Cloudflare state unreadable/);
    assert.match(md, /\| Queued advertise failed \| from alice at 14:00:00 UTC: locked \|/);
  });

  it('operator facts: only a reading known to be unknown counts as unknown (never measured is measured first)', () => {
    const s = withDefaults(freshState({ cidr: '185.54.81.0/24', live: live(true) }, NOW));
    assert.equal(operatorFactsOf('185.54.81.0/24', s, POLICY, NOW).trafficUnknown, false);
    s.calm = { ...initialCalmState(), unknownSinceMs: NOW - MIN, lastClassification: 'unknown' };
    assert.equal(operatorFactsOf('185.54.81.0/24', s, POLICY, NOW).trafficUnknown, true);
  });

  it('state carried from an older run gets an empty outbox and no deferrals', () => {
    const old = freshState({ cidr: '185.54.81.0/24', live: live(true) }, NOW) as Partial<ProtectionState>;
    delete old.outbox;
    delete old.withdrawDeferrals;
    delete old.lastAdvertiseFailure;
    const s = withDefaults(old as ProtectionState);
    assert.deepEqual(s.outbox, []);
    assert.equal(s.withdrawDeferrals?.cycles, 0);
    assert.equal(s.lastAdvertiseFailure, null);
  });
});

describe('search attributes', () => {
  it('scripts/temporal-dev.mjs registers exactly the attributes the workflows upsert', () => {
    const script = readFileSync(join(__dirname, '..', '..', 'scripts', 'temporal-dev.mjs'), 'utf8');
    const listed = /const attrs = \[([^\]]*)\]/.exec(script)?.[1] ?? '';
    const names = [...listed.matchAll(/'(\w+)=(\w+)'/g)].map((m) => `${m[1]}=${m[2]!.toUpperCase()}`);
    assert.deepEqual(names.sort(), MT_SEARCH_ATTRIBUTES.map((k) => `${k.name}=${k.type}`).sort());
  });

  it('finds what is missing or typed differently, whatever the enum spelling', () => {
    assert.deepEqual(
      missingSearchAttributes({
        MtPrefix: 2,
        MtState: 'INDEXED_VALUE_TYPE_KEYWORD',
        MtUnderAttack: 'BOOL',
        MtCalmSince: 6,
      }),
      [],
    );
    assert.deepEqual(missingSearchAttributes({ MtPrefix: 1, MtState: 2, MtUnderAttack: 5 }), [
      'MtPrefix=KEYWORD',
      'MtCalmSince=DATETIME',
    ]);
    assert.equal(
      registerCommand('default', ['MtUnderAttack=BOOL', 'MtCalmSince=DATETIME']),
      'temporal operator search-attribute create --namespace default --name MtUnderAttack --type Bool --name MtCalmSince --type Datetime',
    );
  });

  it('the workflows may upsert only after a positive listing; a failure is asked again later', async () => {
    let now = NOW;
    let answer: Record<string, unknown> | Error = new Error('unimplemented');
    let calls = 0;
    const check = createSearchAttributeCheck({
      now: () => now,
      list: () => {
        calls++;
        return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
      },
    });
    assert.equal(await check('default'), false);
    answer = { MtPrefix: 2, MtState: 2, MtUnderAttack: 5, MtCalmSince: 6 };
    assert.equal(await check('default'), false, 'a negative answer is kept for a while');
    now += 5 * 60_000;
    assert.equal(await check('default'), true);
    answer = new Error('gone');
    assert.equal(await check('default'), true, 'a positive answer is kept');
    assert.equal(calls, 2);
  });
});
