// Contract of the records repository: what activities and clients may write and read, all idempotent by key.
import type { PeakStats } from '../domain/types';

/** attack_events.action_taken values written by this system (the operators' vocabulary, plus withdrawn_external). */
export type ActionTaken =
  | 'withdrawn_auto'
  | 'withdrawn_manual'
  | 'withdrawn_external'
  | 'advertised_manual'
  | 'shadow_withdraw'
  | 'withdraw_failed';

export interface WithdrawalRecordInput {
  /** Same key => the same rows; a retried activity writes nothing new. */
  idempotencyKey: string;
  prefix: string;
  description: string;
  eventId: string;
  /** withdrawal_history.withdraw_method: 'autowithdraw_daemon' | 'manual' | 'external'. */
  method: 'autowithdraw_daemon' | 'manual' | 'external';
  actionTaken: ActionTaken;
  /** withdrawal_history.status: 'success' | 'failed' | 'shadow'. */
  status: 'success' | 'failed' | 'shadow';
  withdrawnAtMs: number;
  advertisedAtMs: number | null;
  /** Last attack observation, when there was one. */
  attackEndedAtMs: number | null;
  calmMs: number;
  peak: PeakStats | null;
  /** Peak dropped packets per second, when the caller knows it (attack_events.packets_per_second; else NULL). */
  peakPps?: number | null;
  notes: string;
  /** Extra JSON kept in attack_events.raw_payload. */
  details: Record<string, unknown>;
}

export interface AdvertiseRecordInput {
  idempotencyKey: string;
  prefix: string;
  description: string;
  eventId: string;
  actionTaken: 'advertised_manual';
  status: 'success' | 'shadow';
  advertisedAtMs: number;
  notes: string;
  details: Record<string, unknown>;
}

/** One row of prefix_calm_status (the dashboard's view), written every cycle. */
export interface CalmStatusInput {
  prefix: string;
  advertised: boolean;
  underAttack: boolean;
  calmSinceMs: number | null;
  calmMinutes: number;
  /** Last measured dropped traffic (null when never measured). */
  droppedPackets: number | null;
  droppedBits: number | null;
  lastAttackPackets: number | null;
  lastAttackMbps: number | null;
  mitigationSystems: string[];
  atMs: number;
}

export type NotificationState = 'pending' | 'sent' | 'failed' | 'skipped';

export interface NotificationLogEntry {
  key: string;
  kind: string;
  prefix: string | null;
  state: NotificationState;
  attempts: number;
  lastError: string | null;
  telegramMessageId: number | null;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface Records {
  /** withdrawal_history, plus attack_events (event_type WITHDRAW) for a real withdraw (status success); once per key. */
  recordWithdrawal(input: WithdrawalRecordInput): { inserted: boolean };
  /** attack_events (event_type ADVERTISE), once per idempotency key. */
  recordAdvertise(input: AdvertiseRecordInput): { inserted: boolean };
  /** INSERT OR REPLACE into prefix_calm_status by prefix. */
  upsertCalmStatus(input: CalmStatusInput): void;
  /** Ensure a notification_log row exists for key; returns its current state. */
  beginNotification(input: { key: string; kind: string; prefix: string | null; atMs: number }): NotificationLogEntry;
  markNotificationSent(key: string, telegramMessageId: number | null, atMs: number): void;
  markNotificationAttemptFailed(key: string, error: string, atMs: number): void;
  markNotificationFailed(key: string, error: string, atMs: number): void;
  markNotificationSkipped(key: string, reason: string, atMs: number): void;
  getNotification(key: string): NotificationLogEntry | null;
}
