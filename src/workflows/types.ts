// Inputs, carried state and status shapes of the workflows (plain JSON: they travel through histories and queries).
import type { ProtectionSettings } from '../activities';
import type { CalmState } from '../domain/calm-engine';
import type { Hold } from '../domain/hold';
import type { ProtectionStateLabel } from '../domain/state-label';
import type { LivePrefixState, PeakStats } from '../domain/types';
import type { OutboxEntry } from './outbox';

/**
 * idle: started by an operator for a prefix that is not advertised (waits for an advertise, queued or not);
 * advertising / withdrawing: a change is in flight; cooldown: withdrawn, Cloudflare's re-advertise rule running.
 */
export type ProtectionPhase = 'idle' | 'protecting' | 'withdrawing' | 'advertising' | 'cooldown' | 'ended';

export interface ProtectionInput {
  cidr: string;
  /** Advertisement state as the starter last saw it. */
  live?: LivePrefixState;
  /** Set by continue-as-new: the previous run's state, carried exactly. */
  carried?: ProtectionState;
  /** Test hook: continue-as-new after this many history events even if the server does not suggest it. */
  maxHistoryEvents?: number;
  /**
   * Set when an operator's update-with-start creates the workflow: what the update validators need before the
   * settings activity has answered (the update is validated in the very first workflow task).
   */
  operatorStart?: OperatorStart;
}

export interface OperatorStart {
  /** Our last successful withdraw of this prefix as recorded in the database. */
  lastWithdrawAtMs: number | null;
  readvertiseCooldownMs: number;
  minAdvertisedMs: number;
}

/** Who asked, and why: carried into the records, the notification and the history. */
export interface OperatorRequest {
  /** e.g. "alice@noc1". */
  actor: string;
  reason: string;
}

/** A manual withdraw: never under attack or with unknown traffic (there is no override). */
export type WithdrawRequest = OperatorRequest;

export interface AdvertiseRequest extends OperatorRequest {
  /** Inside the re-advertise cooldown: queue it (durably) instead of refusing. */
  whenAllowed?: boolean;
}

export interface HoldRequest extends OperatorRequest {
  /** Resume by itself after this long; absent or null: until `resume`. */
  forMs?: number | null;
}

export type ResumeRequest = OperatorRequest;

export interface WithdrawResult {
  cidr: string;
  eventId: string;
  withdrawnAtMs: number;
  /** False when Cloudflare already showed it withdrawn, or in shadow mode. */
  changed: boolean;
  shadow: boolean;
  /** When an advertise becomes possible again (null in shadow mode: nothing changed). */
  cooldownUntilMs: number | null;
}

export interface AdvertiseResult {
  cidr: string;
  outcome: 'advertised' | 'queued';
  /** Set once advertised. */
  eventId: string | null;
  /** When it was advertised, or when the queued advertise is due. */
  atMs: number;
  changed: boolean;
  shadow: boolean;
}

export interface HoldResult {
  cidr: string;
  hold: Hold;
}

export interface ResumeResult {
  cidr: string;
  resumedAtMs: number;
  /** The hold that was lifted. */
  hold: Hold;
}

export interface QueuedAdvertise extends OperatorRequest {
  requestedAtMs: number;
  /** Failed attempts so far (Cloudflare unavailable at the due time): retried with back-off, never dropped silently. */
  failures: number;
  retryAtMs: number | null;
  lastError: string | null;
}

export interface PendingWithdraw {
  trigger: 'auto' | 'manual';
  /** Manual withdraws: who asked and why. */
  operator?: OperatorRequest;
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
  lastWithdraw: {
    eventId: string;
    atMs: number;
    trigger: 'auto' | 'manual';
    changed: boolean;
    actor?: string;
  } | null;
  lockedNotified: boolean;
  /** Decisions of the last cycle ("withdraw", "withdraw_blocked:held", …), published for metrics. */
  lastDecisions: string[];
  /** Shadow mode: when this episode's withdraw was decided (and not made); no second one until a new attack. */
  shadowWithdrawnAtMs: number | null;
  runs: number;
  /** Auto-withdraw paused by an operator (added with operator control: older carried states lack it). */
  hold?: Hold | null;
  /** An advertise requested during the cooldown, performed when it ends. */
  queuedAdvertise?: QueuedAdvertise | null;
  lastAdvertise?: LastAdvertise | null;
  /** Idle phase: since when nothing has been asked of this workflow. */
  idleSinceMs?: number | null;
  /** Notifications not delivered yet; carried across continue-as-new and re-issued by the next run. */
  outbox?: OutboxEntry[];
  /** Consecutive cycles whose due withdraw waited because the live state could not be read. */
  withdrawDeferrals?: WithdrawDeferrals;
  /** The last queued advertise that failed for good (the prefix stayed withdrawn). */
  lastAdvertiseFailure?: AdvertiseFailure | null;
}

export interface WithdrawDeferrals {
  cycles: number;
  sinceMs: number | null;
  lastError: string | null;
  /** The on-call team was told (once per stretch of deferrals). */
  alerted: boolean;
}

export interface AdvertiseFailure {
  atMs: number;
  actor: string;
  reason: string;
  requestedAtMs: number;
  error: string;
}

export interface LastAdvertise {
  eventId: string;
  atMs: number;
  trigger: 'manual' | 'queued';
  actor: string;
  changed: boolean;
}

/**
 * not_on_demand: Cloudflare reports no on-demand state (advertised null); prefix_missing: Cloudflare does not know the
 * BGP prefix (404). Both end protection without any change: nothing can be withdrawn.
 */
export type ProtectionEndReason =
  'cooldown_elapsed' | 'withdrawn_externally' | 'not_advertised' | 'not_on_demand' | 'prefix_missing';

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
  /** One word: calm, under_attack, held, locked, cooldown, advertise_queued, idle… (MtState in the Web UI). */
  state: ProtectionStateLabel;
  advertised: boolean | null;
  locked: boolean;
  /** Auto-withdraw paused by an operator (the prefix is still measured). */
  held: boolean;
  hold: Hold | null;
  queuedAdvertise: QueuedAdvertise | null;
  /** When not advertised: when Cloudflare will accept the next advertise. */
  advertiseAvailableAtMs: number | null;
  lastAdvertise: LastAdvertise | null;
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
  /** Shadow mode: decisions are recorded and notified, nothing is changed at Cloudflare. */
  shadow: boolean;
  /**
   * Shadow mode: when this episode's withdraw was decided (and not made); while set, no auto-withdraw is projected
   * (withdrawDueAtMs null, withdrawBlockedBy 'shadow_decided') until a new attack starts a new episode.
   */
  shadowWithdrawnAtMs: number | null;
  withdrawDeferrals: WithdrawDeferrals;
  lastAdvertiseFailure: AdvertiseFailure | null;
  /** Decisions of the last cycle: "attack_started", "withdraw", "withdraw_blocked:locked", "telemetry_lost:stale", … */
  lastDecisions: string[];
  /** Runs of this workflow so far (continue-as-new starts a new run). */
  runs: number;
  /** The calm engine's whole state (lets `mtctl check` step it once more without acting). */
  engine: CalmState;
  nowMs: number;
}

export interface LiveStateUpdate {
  live: LivePrefixState;
  configDigest: string;
}

/** What the supervisor before paged reconciles kept per child (carried by its runs into the current code). */
export interface LegacySupervisorChild {
  liveDigest: string;
  configDigest: string;
  startedAtMs: number;
}

/** The carried state of the supervisor before paged reconciles. */
export interface LegacySupervisorState {
  children: Record<string, LegacySupervisorChild>;
  cycles: number;
  lastReconcileAtMs: number | null;
  lastError: string | null;
  runs: number;
  missing?: Record<string, number>;
  outbox?: OutboxEntry[];
}

/** A reconcile in progress: which page comes next. Carried when the run continues as new in the middle of it. */
export interface ReconcileCursor {
  /** Names the reconcile for the activity's shared list reads; kept when a new run resumes it. */
  id: string;
  cycle: number;
  /** The next page to read. */
  page: number;
  /** Pages of the mapping, once one page told (null before the first answer). */
  pages: number | null;
  /** When its lists were read (the first page's answer). */
  atMs: number | null;
  /** What went wrong so far, by parent prefix or page (a handful: one per failing parent). */
  errors: Record<string, string>;
}

export interface SupervisorState {
  /**
   * The protected prefixes: CIDR → digest of the live state and configuration last told to its workflow (about 30
   * bytes each: carried into continue-as-new, so it stays compact).
   */
  children: Record<string, string>;
  cycles: number;
  lastReconcileAtMs: number | null;
  lastError: string | null;
  runs: number;
  /** Configured prefixes Cloudflare does not list under their parent, since when (alerted once per stretch). */
  missing: Record<string, number>;
  /** Notifications not delivered yet (carried across continue-as-new). */
  outbox: OutboxEntry[];
  /** The reconcile a previous run did not finish (the start cap or its history size ended it): resumed first. */
  reconcile: ReconcileCursor | null;
  /** Pages of the mapping at the last successful read, and the check interval then. */
  pages: number | null;
  checkIntervalMs: number;
  /** Where reconciles fall inside the interval (absent in runs begun before it was read: the plain grid). */
  reconcileOffsetMs?: number;
  /** A reconcile was asked for (webhook) while one ran: the next one starts without waiting. */
  reconcileRequested: boolean;
}

export interface SupervisorInput {
  carried?: SupervisorState | LegacySupervisorState;
  maxHistoryEvents?: number;
  /**
   * Children started in one run before it continues as new (default 1,000). Temporal counts every child a run
   * started and that still runs as pending, and refuses the run's workflow task at 2,000; a new run has none.
   */
  maxChildStartsPerRun?: number;
  /** Child starts and signals in flight at once (default 500; the server refuses 2,000 pending of each). */
  maxInFlight?: number;
  /** Prefixes per snapshot page (default 500: about 100 KB per answer, far from the 512 KiB warning). */
  snapshotPageSize?: number;
}

export interface SupervisorStatus {
  protected: string[];
  /** How many (the length of `protected`). */
  protectedCount?: number;
  /** A reconcile in progress (page of pages), or null between reconciles. */
  reconcile?: { cycle: number; page: number; pages: number | null } | null;
  /** Configured prefixes Cloudflare does not list (not protected). */
  missing: string[];
  cycles: number;
  lastReconcileAtMs: number | null;
  lastError: string | null;
  runs: number;
}
