// Inputs, carried state and status shapes of the workflows (plain JSON: they travel through histories and queries).
import type { ProtectionSettings } from '../activities';
import type { CalmState } from '../domain/calm-engine';
import type { LivePrefixState, PeakStats } from '../domain/types';

export type ProtectionPhase = 'protecting' | 'withdrawing' | 'cooldown' | 'ended';

export interface ProtectionInput {
  cidr: string;
  /** Advertisement state as the starter last saw it. */
  live?: LivePrefixState;
  /** Set by continue-as-new: the previous run's state, carried exactly. */
  carried?: ProtectionState;
  /** Test hook: continue-as-new after this many history events even if the server does not suggest it. */
  maxHistoryEvents?: number;
}

export interface PendingWithdraw {
  trigger: 'auto' | 'manual';
  eventId: string;
  key: string;
  decidedAtMs: number;
  calmMs: number;
  peak: PeakStats | null;
}

export interface ProtectionState {
  phase: ProtectionPhase;
  settings: ProtectionSettings | null;
  /** The supervisor noticed a configuration change: reload settings at the next cycle. */
  settingsStale: boolean;
  live: LivePrefixState | null;
  calm: CalmState;
  /** Start of the current protection episode (workflow start, or the re-advertise after a cooldown). */
  episodeStartedAtMs: number;
  cycles: number;
  lastCycleAtMs: number | null;
  pending: PendingWithdraw | null;
  withdrawFailures: { rounds: number; notBeforeMs: number | null; lastError: string | null };
  withdrawnAtMs: number | null;
  cooldownUntilMs: number | null;
  lastWithdraw: { eventId: string; atMs: number; trigger: 'auto' | 'manual'; changed: boolean } | null;
  lockedNotified: boolean;
  /** Decisions of the last cycle ("withdraw", "withdraw_blocked:held", …), published for metrics. */
  lastDecisions: string[];
  /** Shadow mode: when this episode's withdraw was decided (and not made); no second one until a new attack. */
  shadowWithdrawnAtMs: number | null;
  runs: number;
}

export type ProtectionEndReason = 'cooldown_elapsed' | 'withdrawn_externally' | 'not_advertised';

export interface ProtectionOutcome {
  cidr: string;
  reason: ProtectionEndReason;
  withdrawnAtMs: number | null;
  lastWithdrawEventId: string | null;
}

/** What the status query answers: everything an operator needs at 3 a.m., flattened. */
export interface ProtectionStatus {
  cidr: string;
  description: string;
  phase: ProtectionPhase;
  advertised: boolean | null;
  locked: boolean;
  /** Auto-withdraw paused by an operator (the prefix is still measured). */
  held: boolean;
  underAttack: boolean;
  telemetry: 'ok' | 'unknown' | 'lost' | 'not_measured';
  unknownReason: string | null;
  unknownSinceMs: number | null;
  calmSinceMs: number | null;
  calmAccumulatedMs: number;
  calmPeriodMs: number;
  withdrawDueAtMs: number | null;
  withdrawBlockedBy: string | null;
  peak: PeakStats | null;
  lastMeasurement: CalmState['lastMeasurement'];
  lastCycleAtMs: number | null;
  cycles: number;
  pending: PendingWithdraw | null;
  withdrawFailures: ProtectionState['withdrawFailures'];
  cooldownUntilMs: number | null;
  lastWithdraw: ProtectionState['lastWithdraw'];
  shadow: boolean;
  shadowWithdrawnAtMs: number | null;
  /** Decisions of the last cycle: "attack_started", "withdraw", "withdraw_blocked:locked", "telemetry_lost:stale", … */
  lastDecisions: string[];
  /** Runs of this workflow so far (continue-as-new starts a new run). */
  runs: number;
  nowMs: number;
}

export interface LiveStateUpdate {
  live: LivePrefixState;
  configDigest: string;
}

export interface SupervisorChild {
  liveDigest: string;
  configDigest: string;
  startedAtMs: number;
}

export interface SupervisorState {
  children: Record<string, SupervisorChild>;
  cycles: number;
  lastReconcileAtMs: number | null;
  lastError: string | null;
  runs: number;
}

export interface SupervisorInput {
  carried?: SupervisorState;
  maxHistoryEvents?: number;
}

export interface SupervisorStatus {
  protected: string[];
  cycles: number;
  lastReconcileAtMs: number | null;
  lastError: string | null;
  runs: number;
}
