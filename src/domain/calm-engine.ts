// The calm-period state machine: state + traffic observation + policy + time in, next state + decisions out.
//
// Rules: an attack (packets AND bits above their minimums over the lookback window) resets calm; known calm
// accrues, counting only time between consecutive known-calm readings (at most one lookback per reading); unknown
// data (API error, empty, stale, cut-off answer) freezes calm and after telemetryLostAlertMs raises one alert.
// Re-confirmation after a dark gap: when no known reading covered part of the time (the gap since the last known
// reading is longer than the lookback window, whether the readings were unknown or the worker was down), an attack
// may have come and gone unseen. Calm accrued before the gap stays (frozen, not reset), but a withdraw then also
// needs a full lookback window of fresh calm readings after the gap.
import { averageMbps, averagePps, exceedsThresholds } from './traffic';
import type { PeakStats, ProtectionPolicy, TrafficObservation } from './types';

/** Why traffic is unknown. Unknown is never calm: it freezes the calm timer. */
export type UnknownReason = 'api_error' | 'empty' | 'stale' | 'partial';

export type Classification =
  | { kind: 'attack' | 'calm'; packets: number; bits: number; mbps: number; pps: number; systems: string[] }
  | { kind: 'unknown'; reason: UnknownReason; detail: string };

export interface Measurement {
  atMs: number;
  packets: number;
  bits: number;
  mbps: number;
  /** Dropped packets per second over the window (absent in states carried from older runs). */
  pps?: number;
  systems: string[];
}

/** Everything the engine remembers; plain JSON so it survives continue-as-new and answers queries. */
export interface CalmState {
  /** Latched from the first attack observation until a known calm one. Unknown data never clears it. */
  underAttack: boolean;
  /** Start of the current calm stretch (first calm observation after an attack or at start). */
  calmSinceMs: number | null;
  /** Calm time that counts toward the calm period: only time between consecutive known-calm observations. */
  calmAccumulatedMs: number;
  /** Last known-calm observation of the current unbroken stretch; null after unknown data (the gap never counts). */
  accrualAnchorMs: number | null;
  lastAttackAtMs: number | null;
  unknownSinceMs: number | null;
  unknownReason: UnknownReason | null;
  unknownDetail: string | null;
  telemetryLostAlerted: boolean;
  /**
   * Fresh calm accrued since the last gap longer than the lookback window; null when no re-confirmation is pending
   * (a withdraw needs it to reach the lookback window). Absent in states carried from older runs.
   */
  reconfirmCalmMs?: number | null;
  /** Peak of the attack(s) since the last withdraw. */
  peak: PeakStats | null;
  /** Last successful measurement (attack or calm). */
  lastMeasurement: Measurement | null;
  lastClassification: Classification['kind'] | null;
  lastObservationAtMs: number | null;
}

/** Facts about the prefix that are not traffic but gate a withdraw. */
export interface StepContext {
  nowMs: number;
  policy: ProtectionPolicy;
  /** An operator paused auto-withdraw. */
  held: boolean;
  /** Cloudflare or the operator's mapping says the prefix must not be changed. */
  locked: boolean;
  /** When the prefix was last advertised (Cloudflare's advertised_modified_at), if known. */
  advertisedAtMs: number | null;
  /** A failed withdraw is not retried before this time. */
  withdrawNotBeforeMs: number | null;
}

export type WithdrawBlock = 'held' | 'locked' | 'min_advertised' | 'retry_backoff' | 'reconfirming';

export type Decision =
  | { type: 'attack_started'; atMs: number; packets: number; mbps: number }
  | { type: 'calm_started'; atMs: number; afterAttack: boolean }
  | { type: 'telemetry_lost'; sinceMs: number; reason: UnknownReason; detail: string }
  | { type: 'telemetry_restored'; lostForMs: number }
  | { type: 'withdraw'; calmMs: number; peak: PeakStats | null }
  | { type: 'withdraw_blocked'; reason: WithdrawBlock; untilMs: number | null };

export interface StepResult {
  state: CalmState;
  classification: Classification;
  decisions: Decision[];
}

export function initialCalmState(): CalmState {
  return {
    underAttack: false,
    calmSinceMs: null,
    calmAccumulatedMs: 0,
    accrualAnchorMs: null,
    lastAttackAtMs: null,
    unknownSinceMs: null,
    unknownReason: null,
    unknownDetail: null,
    telemetryLostAlerted: false,
    reconfirmCalmMs: null,
    peak: null,
    lastMeasurement: null,
    lastClassification: null,
    lastObservationAtMs: null,
  };
}

/**
 * Turns one observation into attack / calm / unknown. An API error, an empty window, an answer older than
 * maxDataAgeMs and an answer cut off by a result limit that could hide an attack are all unknown.
 */
export function classify(obs: TrafficObservation, policy: ProtectionPolicy, nowMs: number): Classification {
  if (obs.kind === 'error') return { kind: 'unknown', reason: 'api_error', detail: `${obs.errorType}: ${obs.message}` };
  if (obs.newestSampleMs === null) {
    return { kind: 'unknown', reason: 'empty', detail: 'the analytics answer held no data for the window' };
  }
  const dataAgeMs = nowMs - obs.newestSampleMs;
  if (dataAgeMs > policy.maxDataAgeMs) {
    return {
      kind: 'unknown',
      reason: 'stale',
      detail: `newest analytics sample is ${Math.round(dataAgeMs / 1000)}s old`,
    };
  }
  const windowMs = obs.windowEndMs - obs.windowStartMs;
  const mbps = averageMbps(obs.bits, windowMs);
  const pps = averagePps(obs.packets, windowMs);
  const measured = { packets: obs.packets, bits: obs.bits, mbps, pps, systems: [...obs.systems].sort() };
  if (exceedsThresholds(obs.packets, obs.bits, policy)) return { kind: 'attack', ...measured };
  // Rows cut off by a result limit could belong to this prefix: calm only if even all of them could not make it an attack.
  if (exceedsThresholds(obs.packets + obs.unattributedPackets, obs.bits + obs.unattributedBits, policy)) {
    return {
      kind: 'unknown',
      reason: 'partial',
      detail: `the answer was cut off by its row limit; up to ${obs.unattributedPackets} packets are unattributed`,
    };
  }
  return { kind: 'calm', ...measured };
}

/** Advances the state by one observation taken at ctx.nowMs. Pure: same inputs, same outputs. */
export function stepCalm(prev: CalmState, obs: TrafficObservation, ctx: StepContext): StepResult {
  const { nowMs, policy } = ctx;
  const classification = classify(obs, policy, nowMs);
  const decisions: Decision[] = [];
  const state: CalmState = { ...prev, lastObservationAtMs: nowMs, lastClassification: classification.kind };

  if (classification.kind === 'unknown') {
    state.unknownSinceMs = prev.unknownSinceMs ?? nowMs;
    state.unknownReason = classification.reason;
    state.unknownDetail = classification.detail;
    state.accrualAnchorMs = null;
    if (!prev.telemetryLostAlerted && nowMs - state.unknownSinceMs >= policy.telemetryLostAlertMs) {
      state.telemetryLostAlerted = true;
      decisions.push({
        type: 'telemetry_lost',
        sinceMs: state.unknownSinceMs,
        reason: classification.reason,
        detail: classification.detail,
      });
    }
    return { state, classification, decisions };
  }

  if (prev.telemetryLostAlerted && prev.unknownSinceMs !== null) {
    decisions.push({ type: 'telemetry_restored', lostForMs: nowMs - prev.unknownSinceMs });
  }
  state.unknownSinceMs = null;
  state.unknownReason = null;
  state.unknownDetail = null;
  state.telemetryLostAlerted = false;
  const measurement: Measurement = {
    atMs: nowMs,
    packets: classification.packets,
    bits: classification.bits,
    mbps: classification.mbps,
    pps: classification.pps,
    systems: classification.systems,
  };
  state.lastMeasurement = measurement;
  // Part of the time since the last known reading was seen by no window: re-confirm calm after it.
  const lastKnownAtMs = prev.lastMeasurement?.atMs ?? null;
  const unobservedGap = lastKnownAtMs !== null && nowMs - lastKnownAtMs > policy.lookbackMs;

  if (classification.kind === 'attack') {
    if (!prev.underAttack) {
      decisions.push({ type: 'attack_started', atMs: nowMs, packets: measurement.packets, mbps: measurement.mbps });
    }
    state.underAttack = true;
    state.calmSinceMs = null;
    state.calmAccumulatedMs = 0;
    state.accrualAnchorMs = null;
    state.reconfirmCalmMs = null;
    state.lastAttackAtMs = nowMs;
    state.peak = raisePeak(prev.peak, measurement);
    return { state, classification, decisions };
  }

  // Known calm.
  let accrued = 0;
  if (prev.underAttack || prev.calmSinceMs === null) {
    decisions.push({ type: 'calm_started', atMs: nowMs, afterAttack: prev.underAttack });
    state.underAttack = false;
    state.calmSinceMs = nowMs;
    state.calmAccumulatedMs = 0;
  } else if (prev.accrualAnchorMs !== null && nowMs > prev.accrualAnchorMs) {
    // A window only vouches for the lookback before it: a longer gap (worker down) is partly unobserved.
    accrued = Math.min(nowMs - prev.accrualAnchorMs, policy.lookbackMs);
    state.calmAccumulatedMs = prev.calmAccumulatedMs + accrued;
  }
  state.accrualAnchorMs = nowMs;
  if (unobservedGap) state.reconfirmCalmMs = 0;
  else if (prev.reconfirmCalmMs !== undefined && prev.reconfirmCalmMs !== null) {
    const fresh = prev.reconfirmCalmMs + accrued;
    state.reconfirmCalmMs = fresh >= policy.lookbackMs ? null : fresh;
  } else state.reconfirmCalmMs = null;

  if (state.calmAccumulatedMs >= policy.calmPeriodMs) {
    const block = withdrawBlock(ctx) ?? reconfirmBlock(state, ctx);
    decisions.push(
      block
        ? { type: 'withdraw_blocked', reason: block.reason, untilMs: block.untilMs }
        : { type: 'withdraw', calmMs: state.calmAccumulatedMs, peak: state.peak },
    );
  }
  return { state, classification, decisions };
}

/** After a dark gap: no withdraw until a full lookback window of fresh calm readings. */
function reconfirmBlock(state: CalmState, ctx: StepContext): { reason: WithdrawBlock; untilMs: number } | null {
  const fresh = state.reconfirmCalmMs ?? null;
  if (fresh === null) return null;
  return { reason: 'reconfirming', untilMs: ctx.nowMs + (ctx.policy.lookbackMs - fresh) };
}

function withdrawBlock(ctx: StepContext): { reason: WithdrawBlock; untilMs: number | null } | null {
  if (ctx.locked) return { reason: 'locked', untilMs: null };
  if (ctx.held) return { reason: 'held', untilMs: null };
  if (ctx.advertisedAtMs !== null && ctx.nowMs < ctx.advertisedAtMs + ctx.policy.minAdvertisedMs) {
    return { reason: 'min_advertised', untilMs: ctx.advertisedAtMs + ctx.policy.minAdvertisedMs };
  }
  if (ctx.withdrawNotBeforeMs !== null && ctx.nowMs < ctx.withdrawNotBeforeMs) {
    return { reason: 'retry_backoff', untilMs: ctx.withdrawNotBeforeMs };
  }
  return null;
}

function raisePeak(peak: PeakStats | null, m: Measurement): PeakStats {
  if (peak === null) {
    return {
      packets: m.packets,
      bits: m.bits,
      mbps: m.mbps,
      ...(m.pps !== undefined ? { pps: m.pps } : {}),
      systems: m.systems,
      atMs: m.atMs,
      firstAttackAtMs: m.atMs,
    };
  }
  return {
    packets: Math.max(peak.packets, m.packets),
    bits: Math.max(peak.bits, m.bits),
    mbps: Math.max(peak.mbps, m.mbps),
    ...(m.pps !== undefined ? { pps: Math.max(peak.pps ?? 0, m.pps) } : {}),
    systems: [...new Set([...peak.systems, ...m.systems])].sort(),
    atMs: m.packets > peak.packets ? m.atMs : peak.atMs,
    firstAttackAtMs: peak.firstAttackAtMs,
  };
}

/** After a withdraw the next protection episode starts clean: no calm, no peak. */
export function afterWithdraw(_prev: CalmState): CalmState {
  return initialCalmState();
}

/** When auto-withdraw would happen if calm continues; null while under attack, unknown or not yet calm. */
export function projectedWithdrawAtMs(state: CalmState, ctx: StepContext): number | null {
  if (state.underAttack || state.calmSinceMs === null || state.unknownSinceMs !== null) return null;
  const anchor = state.accrualAnchorMs ?? ctx.nowMs;
  let due = anchor + Math.max(0, ctx.policy.calmPeriodMs - state.calmAccumulatedMs);
  if (ctx.advertisedAtMs !== null) due = Math.max(due, ctx.advertisedAtMs + ctx.policy.minAdvertisedMs);
  if (ctx.withdrawNotBeforeMs !== null) due = Math.max(due, ctx.withdrawNotBeforeMs);
  const fresh = state.reconfirmCalmMs ?? null;
  if (fresh !== null) due = Math.max(due, anchor + (ctx.policy.lookbackMs - fresh));
  return due;
}
