// What a withdraw writes to the operators' records and tells Telegram: pure builders used by PrefixProtection.
import type { RecordActivities } from '../activities';
import type { CalmState } from '../domain/calm-engine';
import { eventIdFor } from '../domain/protection';
import type { LivePrefixState } from '../domain/types';
import type { Notification } from '../notifications/types';
import type { OperatorRequest, PendingWithdraw } from './types';

type WithdrawalRecordInput = Parameters<RecordActivities['recordWithdrawal']>[0];

interface Subject {
  cidr: string;
  description: string;
  workflowId: string;
}

const minutes = (ms: number): number => Math.round(ms / 60_000);

/** A withdraw that went through (or, in shadow mode, was decided): withdrawal_history, and attack_events if real. */
export function withdrawalRecord(
  who: Subject,
  w: {
    pending: PendingWithdraw;
    changed: boolean;
    shadow: boolean;
    withdrawnAtMs: number;
    /** Live state read right before the PATCH. */
    before: LivePrefixState;
    lastAttackAtMs: number | null;
    lookbackMs: number;
  },
): WithdrawalRecordInput {
  const { pending, shadow, changed } = w;
  const operator = pending.operator;
  const by = operator ? `by ${operator.actor} (${operator.reason})` : '';
  const auto = pending.trigger === 'auto';
  return {
    idempotencyKey: pending.key,
    prefix: who.cidr,
    description: who.description,
    eventId: pending.eventId,
    method: auto ? 'autowithdraw_daemon' : 'manual',
    actionTaken: shadow ? 'shadow_withdraw' : auto ? 'withdrawn_auto' : 'withdrawn_manual',
    status: shadow ? 'shadow' : 'success',
    withdrawnAtMs: w.withdrawnAtMs,
    advertisedAtMs: w.before.advertisedModifiedAtMs,
    attackEndedAtMs: w.lastAttackAtMs,
    calmMs: pending.calmMs,
    peak: pending.peak,
    peakPps: pending.peak?.pps ?? null,
    notes: shadow
      ? `SHADOW MODE: would have withdrawn${by ? ` ${by}` : ''} at ${new Date(w.withdrawnAtMs).toISOString()} after ${minutes(pending.calmMs)} min calm; nothing changed`
      : `${auto ? 'Auto-withdrawn' : `Withdrawn ${by}`} after ${minutes(pending.calmMs)} min calm${
          changed ? '' : ' (Cloudflare already showed it withdrawn)'
        }`,
    details: {
      workflowId: who.workflowId,
      changed,
      shadow,
      lookbackMs: w.lookbackMs,
      ...(operator ? { actor: operator.actor, reason: operator.reason } : {}),
    },
  };
}

/** A withdraw round Cloudflare refused after its retries: withdrawal_history (status failed) only. */
export function failedWithdrawalRecord(
  who: Subject,
  f: {
    pending: PendingWithdraw;
    error: string;
    round: number;
    nextAttemptAtMs: number;
    atMs: number;
    advertisedAtMs: number | null;
    lastAttackAtMs: number | null;
  },
): WithdrawalRecordInput {
  const operator = f.pending.operator;
  return {
    idempotencyKey: `${f.pending.key}/failed`,
    prefix: who.cidr,
    description: who.description,
    eventId: f.pending.eventId,
    method: f.pending.trigger === 'auto' ? 'autowithdraw_daemon' : 'manual',
    actionTaken: 'withdraw_failed',
    status: 'failed',
    withdrawnAtMs: f.atMs,
    advertisedAtMs: f.advertisedAtMs,
    attackEndedAtMs: f.lastAttackAtMs,
    calmMs: f.pending.calmMs,
    peak: f.pending.peak,
    peakPps: f.pending.peak?.pps ?? null,
    notes: f.error,
    details: {
      round: f.round,
      nextAttemptAtMs: f.nextAttemptAtMs,
      ...(operator ? { actor: operator.actor, reason: operator.reason } : {}),
    },
  };
}

/** Someone else withdrew the prefix: recorded once, keyed by when Cloudflare saw the change. */
export function externalWithdrawalRecord(
  who: Subject,
  live: LivePrefixState | null,
  calm: CalmState,
): WithdrawalRecordInput {
  const atMs = live?.advertisedModifiedAtMs ?? live?.observedAtMs ?? Date.now();
  return {
    idempotencyKey: `${who.cidr}/external/${atMs}`,
    prefix: who.cidr,
    description: who.description,
    eventId: eventIdFor(atMs, 'withdraw'),
    method: 'external',
    actionTaken: 'withdrawn_external',
    status: 'success',
    withdrawnAtMs: atMs,
    advertisedAtMs: null,
    attackEndedAtMs: calm.lastAttackAtMs,
    calmMs: calm.calmAccumulatedMs,
    peak: calm.peak,
    peakPps: calm.peak?.pps ?? null,
    notes: 'Withdrawn outside mt-autowithdraw (seen in Cloudflare state)',
    details: { workflowId: who.workflowId },
  };
}

/** The withdraw message: prefix, description, calm duration, peak, event ID, time; who asked when manual. */
export function withdrawnNotification(
  who: Subject,
  w: { pending: PendingWithdraw; shadow: boolean; withdrawnAtMs: number },
): Notification {
  const operator: OperatorRequest | undefined = w.pending.operator;
  return {
    kind: 'prefix_withdrawn',
    trigger: w.pending.trigger,
    prefix: { cidr: who.cidr, description: who.description },
    eventId: w.pending.eventId,
    calmMs: w.pending.calmMs,
    peak: w.pending.peak,
    ...(operator ? { actor: `${operator.actor}: ${operator.reason}` } : {}),
    shadow: w.shadow,
    atMs: w.withdrawnAtMs,
  };
}
