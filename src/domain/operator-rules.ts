// Whether an operator's withdraw, advertise, hold or resume is allowed right now, and why not: one verdict per request.
import { formatAtAndIn } from './clock-format';
import { formatDuration } from './durations';
import { cooldownEndsAtMs } from './protection';

/** Where a prefix's protection workflow stands (mirrors the workflow phases, as plain strings). */
export type OperatorPhase = 'idle' | 'protecting' | 'withdrawing' | 'advertising' | 'cooldown' | 'ended';

/** Everything a verdict depends on, read from the prefix workflow's state at the moment of the request. */
export interface OperatorFacts {
  cidr: string;
  nowMs: number;
  phase: OperatorPhase;
  /** Cloudflare's on_demand.advertised as last seen; null when unknown. */
  advertised: boolean | null;
  /** Locked at Cloudflare or in the mapping file. */
  locked: boolean;
  underAttack: boolean;
  /** The latest traffic reading was unknown (API error, empty, stale, partial); never measured is not unknown. */
  trafficUnknown: boolean;
  /** Why it is unknown ("api_error: HTTP 503"), when known. */
  trafficUnknownDetail?: string | null;
  /** Cloudflare's advertised_modified_at. */
  advertisedModifiedAtMs: number | null;
  /** Our own last withdraw (workflow state or database). */
  lastWithdrawAtMs: number | null;
  readvertiseCooldownMs: number;
  minAdvertisedMs: number;
  /** A withdraw already decided and in flight. */
  pendingWithdraw: 'auto' | 'manual' | null;
  /** A queued advertise waiting for the cooldown to end. */
  queuedAdvertise: { notBeforeMs: number } | null;
  held: boolean;
}

export type RefusalCode =
  | 'locked'
  | 'not_advertised'
  | 'already_advertised'
  | 'cooldown'
  | 'min_advertised'
  | 'in_progress'
  | 'under_attack'
  | 'traffic_unknown'
  | 'ended'
  | 'not_held'
  | 'invalid';

export type Verdict = { ok: true } | { ok: false; code: RefusalCode; message: string; availableAtMs?: number };

const refuse = (code: RefusalCode, message: string, availableAtMs?: number): Verdict => ({
  ok: false,
  code,
  message,
  ...(availableAtMs !== undefined ? { availableAtMs } : {}),
});

/** When Cloudflare accepts the next advertise: the later of our withdraw and its advertised_modified_at, plus the cooldown. */
export function advertiseAvailableAtMs(
  f: Pick<OperatorFacts, 'lastWithdrawAtMs' | 'advertisedModifiedAtMs' | 'readvertiseCooldownMs'>,
): number {
  return cooldownEndsAtMs(f.lastWithdrawAtMs, f.advertisedModifiedAtMs, f.readvertiseCooldownMs);
}

/** "advertise available at 14:45:30 UTC, in 3m 21s". */
export function describeAdvertiseAvailability(availableAtMs: number, nowMs: number): string {
  return `advertise available at ${formatAtAndIn(availableAtMs, nowMs)}`;
}

function inFlight(f: OperatorFacts): Verdict | null {
  if (f.phase === 'ended') return refuse('ended', `protection of ${f.cidr} is ending; try again in a few seconds`);
  if (f.phase === 'withdrawing') {
    const which = f.pendingWithdraw === 'auto' ? 'an automatic' : f.pendingWithdraw === 'manual' ? 'a manual' : 'a';
    return refuse('in_progress', `${which} withdraw of ${f.cidr} is already in progress`);
  }
  if (f.phase === 'advertising') return refuse('in_progress', `an advertise of ${f.cidr} is already in progress`);
  return null;
}

/**
 * A manual withdraw needs an advertised, unlocked prefix with no other change in flight, past Cloudflare's minimum
 * advertised time, and never goes ahead under attack or with unknown traffic (safety rule 1, no override). The
 * validator refuses what is known now (an attack, an unknown latest reading); a reading that is missing or older than
 * one check interval is taken fresh by the handler first (see manualWithdrawReading).
 */
export function checkWithdraw(f: OperatorFacts): Verdict {
  const busy = inFlight(f);
  if (busy) return busy;
  if (f.locked) return refuse('locked', `${f.cidr} is locked: it is never changed`);
  if (f.phase !== 'protecting' || f.advertised === false)
    return refuse('not_advertised', `${f.cidr} is not advertised: nothing to withdraw`);
  if (f.advertisedModifiedAtMs !== null && f.nowMs < f.advertisedModifiedAtMs + f.minAdvertisedMs) {
    const at = f.advertisedModifiedAtMs + f.minAdvertisedMs;
    return refuse(
      'min_advertised',
      `${f.cidr} was advertised less than ${formatDuration(f.minAdvertisedMs)} ago; withdraw available at ${formatAtAndIn(at, f.nowMs)}`,
      at,
    );
  }
  if (f.underAttack) return refuse('under_attack', underAttackMessage(f.cidr));
  if (f.trafficUnknown)
    return refuse('traffic_unknown', trafficUnknownMessage(f.cidr, f.trafficUnknownDetail ?? undefined));
  return { ok: true };
}

export function underAttackMessage(cidr: string, detail?: string): string {
  return `${cidr} is under attack${detail ? ` (${detail})` : ''}: it is never withdrawn during an attack; auto-withdraw takes it back after the calm period`;
}

export function trafficUnknownMessage(cidr: string, detail?: string): string {
  return `traffic of ${cidr} is unknown right now${detail ? ` (${detail})` : ''}: it is never withdrawn without a known calm reading; try again once the analytics answer`;
}

/** What the latest reading says for a manual withdraw: go, refuse, or take a fresh reading first. */
export type ReadingGate =
  | { kind: 'calm' }
  | { kind: 'refuse'; code: 'under_attack' | 'traffic_unknown'; message: string }
  | { kind: 'measure' };

export interface LatestReading {
  underAttack: boolean;
  /** The latest reading was unknown (the calm timer is frozen). */
  unknown: boolean;
  unknownDetail: string | null;
  lastClassification: 'attack' | 'calm' | 'unknown' | null;
  /** When the latest reading's window ended (its cycle time); null before the first reading. */
  lastReadingAtMs: number | null;
}

export function manualWithdrawReading(
  cidr: string,
  r: LatestReading,
  checkIntervalMs: number,
  nowMs: number,
): ReadingGate {
  if (r.underAttack) return { kind: 'refuse', code: 'under_attack', message: underAttackMessage(cidr) };
  if (r.unknown)
    return {
      kind: 'refuse',
      code: 'traffic_unknown',
      message: trafficUnknownMessage(cidr, r.unknownDetail ?? undefined),
    };
  const fresh = r.lastReadingAtMs !== null && nowMs - r.lastReadingAtMs <= checkIntervalMs;
  return fresh && r.lastClassification === 'calm' ? { kind: 'calm' } : { kind: 'measure' };
}

/** "cannot advertise X yet: Cloudflare requires 15m …; advertise available at 14:45:30 UTC, in 3m 21s (…)". */
export function cooldownRefusalMessage(
  cidr: string,
  readvertiseCooldownMs: number,
  availableAtMs: number,
  nowMs: number,
): string {
  return `cannot advertise ${cidr} yet: Cloudflare requires ${formatDuration(readvertiseCooldownMs)} between a withdraw and the next advertise; ${describeAdvertiseAvailability(availableAtMs, nowMs)} (add --when-allowed to queue it)`;
}

/**
 * An advertise needs an unlocked prefix that is not advertised and no change in flight. Inside the re-advertise
 * cooldown it is refused with the time it becomes possible, unless the operator asked to queue it.
 */
export function checkAdvertise(f: OperatorFacts, opts: { whenAllowed: boolean }): Verdict {
  const busy = inFlight(f);
  if (busy) return busy;
  if (f.locked) return refuse('locked', `${f.cidr} is locked: it is never changed`);
  if (f.advertised === true || f.phase === 'protecting')
    return refuse('already_advertised', `${f.cidr} is already advertised`);
  const at = advertiseAvailableAtMs(f);
  if (f.nowMs < at && !opts.whenAllowed)
    return refuse('cooldown', cooldownRefusalMessage(f.cidr, f.readvertiseCooldownMs, at, f.nowMs), at);
  return { ok: true };
}

/** A hold pauses auto-withdraw of an advertised prefix; a duration, when given, must be positive. */
export function checkHold(f: OperatorFacts, opts: { forMs?: number | null }): Verdict {
  if (opts.forMs !== undefined && opts.forMs !== null && !(Number.isFinite(opts.forMs) && opts.forMs > 0))
    return refuse('invalid', `hold duration must be positive (got ${String(opts.forMs)} ms)`);
  const busy = inFlight(f);
  if (busy) return busy;
  if (f.phase !== 'protecting') return refuse('not_advertised', `${f.cidr} is not advertised: nothing to hold`);
  return { ok: true };
}

export function checkResume(f: OperatorFacts): Verdict {
  if (f.phase === 'ended') return refuse('ended', `protection of ${f.cidr} is ending`);
  if (!f.held) return refuse('not_held', `${f.cidr} is not held`);
  return { ok: true };
}
