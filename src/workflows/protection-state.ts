// Pure views of a prefix workflow's state: fresh and carried state, engine context, operator facts and the status.
import { initialCalmState, projectedWithdrawAtMs, type StepContext } from '../domain/calm-engine';
import { holdActive } from '../domain/hold';
import { advertiseAvailableAtMs, type OperatorFacts } from '../domain/operator-rules';
import { protectionStateLabel } from '../domain/state-label';
import type { ProtectionPolicy } from '../domain/types';
import type { ProtectionInput, ProtectionState, ProtectionStatus, WithdrawDeferrals } from './types';

export type CooldownPolicy = Pick<ProtectionPolicy, 'readvertiseCooldownMs' | 'minAdvertisedMs'>;

export const NO_DEFERRALS: WithdrawDeferrals = { cycles: 0, sinceMs: null, lastError: null, alerted: false };

/** Until settings are loaded (and no operator start says otherwise), Cloudflare's documented 15-minute rules. */
const FALLBACK_POLICY: CooldownPolicy = { readvertiseCooldownMs: 15 * 60_000, minAdvertisedMs: 15 * 60_000 };

/**
 * A first run. Started by the supervisor for an advertised prefix it protects at once; started by an operator for
 * a prefix that is not advertised it waits (idle) for an advertise instead of ending.
 */
export function freshState(input: ProtectionInput, nowMs: number): ProtectionState {
  const live = input.live ?? null;
  const idle = input.operatorStart !== undefined && live?.advertised !== true;
  return {
    phase: idle ? 'idle' : 'protecting',
    settings: null,
    settingsStale: false,
    live,
    calm: initialCalmState(),
    episodeStartedAtMs: nowMs,
    cycles: 0,
    lastCycleAtMs: null,
    pending: null,
    withdrawFailures: { rounds: 0, notBeforeMs: null, lastError: null },
    withdrawnAtMs: input.operatorStart?.lastWithdrawAtMs ?? null,
    cooldownUntilMs: null,
    lastWithdraw: null,
    lockedNotified: false,
    lastDecisions: [],
    shadowWithdrawnAtMs: null,
    runs: 1,
    hold: null,
    queuedAdvertise: null,
    lastAdvertise: null,
    idleSinceMs: idle ? nowMs : null,
    outbox: [],
    withdrawDeferrals: NO_DEFERRALS,
    lastAdvertiseFailure: null,
  };
}

/** State carried from a run of an older version may lack the operator-control fields. */
export function withDefaults(carried: ProtectionState): ProtectionState {
  return {
    ...carried,
    hold: carried.hold ?? null,
    queuedAdvertise: carried.queuedAdvertise ?? null,
    lastAdvertise: carried.lastAdvertise ?? null,
    idleSinceMs: carried.idleSinceMs ?? null,
    outbox: carried.outbox ?? [],
    withdrawDeferrals: carried.withdrawDeferrals ?? NO_DEFERRALS,
    lastAdvertiseFailure: carried.lastAdvertiseFailure ?? null,
  };
}

export function cooldownPolicyOf(s: ProtectionState, input: ProtectionInput): CooldownPolicy {
  return s.settings?.policy ?? input.operatorStart ?? FALLBACK_POLICY;
}

export function lockedOf(s: ProtectionState): boolean {
  return (s.live?.locked ?? false) || (s.settings?.configLocked ?? false);
}

/** When Cloudflare will accept the next advertise, from our last real withdraw and its advertised_modified_at. */
export function advertiseAvailableAt(s: ProtectionState, policy: CooldownPolicy): number {
  return advertiseAvailableAtMs({
    lastWithdrawAtMs: s.withdrawnAtMs,
    advertisedModifiedAtMs: s.live?.advertisedModifiedAtMs ?? null,
    readvertiseCooldownMs: policy.readvertiseCooldownMs,
  });
}

/** The engine's gates; only meaningful once settings are loaded. */
export function stepContextOf(s: ProtectionState, nowMs: number): StepContext {
  if (s.settings === null) throw new Error('settings not loaded');
  return {
    nowMs,
    policy: s.settings.policy,
    held: holdActive(s.hold, nowMs),
    locked: lockedOf(s),
    advertisedAtMs: s.live?.advertised === true ? s.live.advertisedModifiedAtMs : null,
    withdrawNotBeforeMs: s.withdrawFailures.notBeforeMs,
  };
}

export function operatorFactsOf(
  cidr: string,
  s: ProtectionState,
  policy: CooldownPolicy,
  nowMs: number,
): OperatorFacts {
  return {
    cidr,
    nowMs,
    phase: s.phase,
    advertised: s.live?.advertised ?? null,
    locked: lockedOf(s),
    underAttack: s.calm.underAttack,
    // Only a reading known to be unknown refuses up front; with no (or an old) reading the handler measures first.
    trafficUnknown: s.calm.unknownSinceMs !== null,
    trafficUnknownDetail: s.calm.unknownReason ? `${s.calm.unknownReason}: ${s.calm.unknownDetail ?? ''}` : null,
    advertisedModifiedAtMs: s.live?.advertisedModifiedAtMs ?? null,
    lastWithdrawAtMs: s.withdrawnAtMs,
    readvertiseCooldownMs: policy.readvertiseCooldownMs,
    minAdvertisedMs: policy.minAdvertisedMs,
    pendingWithdraw: s.pending?.trigger ?? null,
    queuedAdvertise: s.queuedAdvertise ? { notBeforeMs: advertiseAvailableAt(s, policy) } : null,
    held: holdActive(s.hold, nowMs),
  };
}

export function statusOf(cidr: string, s: ProtectionState, policy: CooldownPolicy, nowMs: number): ProtectionStatus {
  const ctx = s.settings ? stepContextOf(s, nowMs) : null;
  const c = s.calm;
  const locked = lockedOf(s);
  const held = holdActive(s.hold, nowMs);
  const telemetry =
    c.lastClassification === null
      ? 'not_measured'
      : c.telemetryLostAlerted
        ? 'lost'
        : c.unknownSinceMs !== null
          ? 'unknown'
          : 'ok';
  const notAdvertised = s.phase === 'idle' || s.phase === 'cooldown';
  // Shadow mode decided this episode's withdraw: nothing is due until a new attack starts a new episode.
  const shadowDecided = s.shadowWithdrawnAtMs !== null;
  const deferrals = s.withdrawDeferrals ?? NO_DEFERRALS;
  return {
    cidr,
    description: s.settings?.identity.description ?? '',
    phase: s.phase,
    state: protectionStateLabel({
      phase: s.phase,
      held,
      locked,
      underAttack: c.underAttack,
      trafficUnknown: c.unknownSinceMs !== null,
      calmSinceMs: c.calmSinceMs,
      advertiseQueued: s.queuedAdvertise !== null,
    }),
    advertised: s.live?.advertised ?? null,
    locked,
    held,
    hold: held ? (s.hold ?? null) : null,
    queuedAdvertise: s.queuedAdvertise ?? null,
    advertiseAvailableAtMs: notAdvertised ? Math.max(advertiseAvailableAt(s, policy), s.cooldownUntilMs ?? 0) : null,
    lastAdvertise: s.lastAdvertise ?? null,
    underAttack: c.underAttack,
    telemetry,
    unknownReason: c.unknownReason,
    unknownSinceMs: c.unknownSinceMs,
    calmSinceMs: c.calmSinceMs,
    calmAccumulatedMs: c.calmAccumulatedMs,
    calmPeriodMs: s.settings?.policy.calmPeriodMs ?? 0,
    withdrawDueAtMs:
      ctx && s.phase === 'protecting' && !locked && !held && !shadowDecided ? projectedWithdrawAtMs(c, ctx) : null,
    withdrawBlockedBy: blockedBy(s, { locked, held, shadowDecided, deferrals }, ctx, nowMs),
    peak: c.peak,
    lastMeasurement: c.lastMeasurement,
    lastCycleAtMs: s.lastCycleAtMs,
    cycles: s.cycles,
    pending: s.pending,
    withdrawFailures: s.withdrawFailures,
    cooldownUntilMs: s.phase === 'cooldown' ? s.cooldownUntilMs : null,
    lastWithdraw: s.lastWithdraw,
    shadow: s.settings?.shadow ?? false,
    shadowWithdrawnAtMs: s.shadowWithdrawnAtMs,
    withdrawDeferrals: deferrals,
    lastAdvertiseFailure: s.lastAdvertiseFailure ?? null,
    lastDecisions: s.lastDecisions,
    runs: s.runs,
    engine: c,
    nowMs,
  };
}

/** What keeps a calm prefix advertised right now, most operator-relevant first; null when nothing does. */
function blockedBy(
  s: ProtectionState,
  f: { locked: boolean; held: boolean; shadowDecided: boolean; deferrals: WithdrawDeferrals },
  ctx: StepContext | null,
  nowMs: number,
): string | null {
  if (f.locked) return 'locked';
  if (f.held) return 'held';
  if (f.shadowDecided) return 'shadow_decided';
  if (ctx?.withdrawNotBeforeMs && ctx.withdrawNotBeforeMs > nowMs) return 'retry_backoff';
  if (f.deferrals.cycles > 0) return 'deferred';
  const calmEnough = ctx !== null && s.calm.calmAccumulatedMs >= ctx.policy.calmPeriodMs;
  if (calmEnough && (s.calm.reconfirmCalmMs ?? null) !== null) return 'reconfirming';
  return null;
}
