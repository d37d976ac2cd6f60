// Retention of the records: deletes rows older than each table's keep period, in short batches that yield to the
// event loop in between, so the receiver, the worker's other activities and its heartbeats keep running.
// withdrawal_history is a permanent record and is never pruned.
import { setImmediate as nextTurn } from 'node:timers/promises';
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

/**
 * operation_keys rows of network analytics monitor runs (one per run, kind 'analytics_monitor') are only read by a
 * retry of the same run, which ends within its 15-minute execution timeout: a week is generous. Keys of withdrawals
 * and advertisements are kept (one per action, and they guard records against duplicates).
 */
export const MONITOR_RUN_KEYS_KEEP_MS = 7 * 86_400_000;

export type RetentionTable = 'webhook_events' | 'attack_events' | 'network_analytics_events' | 'operation_keys';

export interface RetentionResult {
  /** Rows older than these (`YYYY-MM-DD HH:MM:SS` UTC) were deleted; null = table kept. */
  cutoffs: {
    webhookEvents: string | null;
    attackEvents: string | null;
    networkAnalyticsEvents: string | null;
    monitorRunKeys: string | null;
  };
  deleted: { webhookEvents: number; attackEvents: number; networkAnalyticsEvents: number; monitorRunKeys: number };
  batches: number;
}

export interface RetentionProgress {
  table: RetentionTable;
  /** Rows this batch deleted. */
  deleted: number;
  /** Rows deleted from this table so far. */
  tableTotal: number;
  batches: number;
}

export interface RetentionOptions {
  nowMs: number;
  policy: RetentionPolicy;
  /** Keep period of the monitor's run keys; default MONITOR_RUN_KEYS_KEEP_MS, null keeps them. */
  monitorRunKeysMs?: number | null;
  /** Rows per DELETE (one short transaction each); default 5000. */
  batchSize?: number;
  /** Called after every batch, before yielding (activity heartbeats). */
  onBatch?: (progress: RetentionProgress) => void;
}

type ResultKey = keyof RetentionResult['deleted'];

interface Target {
  key: ResultKey;
  table: RetentionTable;
  keepMs: number | null;
  /** DELETE of at most `limit` rows older than the cut-off (parameters: cut-off, limit). */
  sql: string;
}

function targets(opts: RetentionOptions): Target[] {
  // datetime() reads every stored form (ours, CURRENT_TIMESTAMP's, Cloudflare's RFC 3339, Python's isoformat);
  // NULL or unreadable timestamps compare as NULL, so rows of unknown age are kept.
  const byAge = (table: string, column: string) =>
    `DELETE FROM ${table} WHERE id IN (
       SELECT id FROM ${table} WHERE datetime(${column}) < datetime(?) ORDER BY id LIMIT ?)`;
  return [
    {
      key: 'webhookEvents',
      table: 'webhook_events',
      keepMs: opts.policy.webhooksMs,
      sql: byAge('webhook_events', 'received_at'),
    },
    {
      key: 'attackEvents',
      table: 'attack_events',
      keepMs: opts.policy.attackEventsMs,
      sql: byAge('attack_events', 'created_at'),
    },
    {
      key: 'networkAnalyticsEvents',
      table: 'network_analytics_events',
      keepMs: opts.policy.networkEventsMs,
      sql: byAge('network_analytics_events', 'event_datetime'),
    },
    {
      key: 'monitorRunKeys',
      table: 'operation_keys',
      keepMs: opts.monitorRunKeysMs === undefined ? MONITOR_RUN_KEYS_KEEP_MS : opts.monitorRunKeysMs,
      sql: `DELETE FROM operation_keys WHERE rowid IN (
              SELECT rowid FROM operation_keys WHERE kind = 'analytics_monitor'
                AND datetime(created_at) < datetime(?) ORDER BY rowid LIMIT ?)`,
    },
  ];
}

/**
 * Deletes batch by batch; between two batches it waits for the next turn of the event loop (timers, I/O,
 * heartbeats run there). Each batch is its own short transaction, so a cancelled or failed run leaves whole batches
 * deleted and the next run carries on: the cut-offs come from `nowMs`, so a retry deletes what the first try meant to.
 */
export async function applyRetention(handle: DatabaseHandle, opts: RetentionOptions): Promise<RetentionResult> {
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 5000));
  const result: RetentionResult = {
    cutoffs: { webhookEvents: null, attackEvents: null, networkAnalyticsEvents: null, monitorRunKeys: null },
    deleted: { webhookEvents: 0, attackEvents: 0, networkAnalyticsEvents: 0, monitorRunKeys: 0 },
    batches: 0,
  };
  for (const t of targets(opts)) {
    if (t.keepMs === null) continue;
    const cutoff = toSqliteTimestamp(opts.nowMs - t.keepMs);
    result.cutoffs[t.key] = cutoff;
    const batch = handle.sqlite.prepare<[string, number]>(t.sql);
    for (;;) {
      const n = batch.run(cutoff, batchSize).changes;
      result.batches += 1;
      result.deleted[t.key] += n;
      opts.onBatch?.({ table: t.table, deleted: n, tableTotal: result.deleted[t.key], batches: result.batches });
      if (n < batchSize) break;
      await nextTurn();
    }
  }
  return result;
}
