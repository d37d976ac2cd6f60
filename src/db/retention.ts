// Retention of the records: deletes rows older than each table's keep period, in short batches so the receiver
// and the worker are never locked out for long. withdrawal_history is a permanent record and is never pruned.
import type { DatabaseHandle } from './connection';
import { toSqliteTimestamp } from './schema';

export interface RetentionPolicy {
  /** webhook_events by received_at; null keeps them forever. */
  webhooksMs: number | null;
  /** attack_events by created_at; null keeps them forever. */
  attackEventsMs: number | null;
  /** network_analytics_events by event_datetime; null keeps them forever. */
  networkEventsMs: number | null;
}

export interface RetentionResult {
  /** Rows older than these (`YYYY-MM-DD HH:MM:SS` UTC) were deleted; null = table kept. */
  cutoffs: { webhookEvents: string | null; attackEvents: string | null; networkAnalyticsEvents: string | null };
  deleted: { webhookEvents: number; attackEvents: number; networkAnalyticsEvents: number };
  batches: number;
}

export interface RetentionOptions {
  nowMs: number;
  policy: RetentionPolicy;
  /** Rows per DELETE (one short transaction each); default 5000. */
  batchSize?: number;
  /** Called after every batch (activity heartbeats). */
  onBatch?: (table: string, deleted: number) => void;
}

const TABLES = [
  { key: 'webhookEvents', table: 'webhook_events', column: 'received_at', policy: 'webhooksMs' },
  { key: 'attackEvents', table: 'attack_events', column: 'created_at', policy: 'attackEventsMs' },
  {
    key: 'networkAnalyticsEvents',
    table: 'network_analytics_events',
    column: 'event_datetime',
    policy: 'networkEventsMs',
  },
] as const;

export function applyRetention(handle: DatabaseHandle, opts: RetentionOptions): RetentionResult {
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 5000));
  const result: RetentionResult = {
    cutoffs: { webhookEvents: null, attackEvents: null, networkAnalyticsEvents: null },
    deleted: { webhookEvents: 0, attackEvents: 0, networkAnalyticsEvents: 0 },
    batches: 0,
  };
  for (const t of TABLES) {
    const keepMs = opts.policy[t.policy];
    if (keepMs === null) continue;
    const cutoff = toSqliteTimestamp(opts.nowMs - keepMs);
    result.cutoffs[t.key] = cutoff;
    // datetime() reads every stored form (ours, CURRENT_TIMESTAMP's, Python's isoformat); NULL or unreadable
    // timestamps compare as NULL, so rows of unknown age are kept.
    const batch = handle.sqlite.prepare<[string, number]>(
      `DELETE FROM ${t.table} WHERE id IN (
         SELECT id FROM ${t.table} WHERE datetime(${t.column}) < datetime(?) ORDER BY id LIMIT ?)`,
    );
    for (;;) {
      const n = batch.run(cutoff, batchSize).changes;
      result.batches += 1;
      result.deleted[t.key] += n;
      opts.onBatch?.(t.table, n);
      if (n < batchSize) break;
    }
  }
  return result;
}
