// Read helpers for the CLI and dashboard: the same views the operators' db_manager offered (recent events, history,
// calm status, get_stats counters), over drizzle.
import { and, count, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { DatabaseHandle } from './connection';
import {
  attackEvents,
  parseSqliteTimestamp,
  pendingWithdrawals,
  prefixCalmStatus,
  toSqliteTimestamp,
  webhookEvents,
  withdrawalHistory,
  type AttackEventRow,
  type PrefixCalmStatusRow,
  type WithdrawalHistoryRow,
} from './schema';

/** The counters of the operators' get_stats() (pending_withdrawals, total_withdrawals, ...), camel-cased. */
export interface DatabaseStats {
  /** pending_withdrawals rows with status 'pending' (deprecated queue). */
  pendingWithdrawals: number;
  /** withdrawal_history rows. */
  totalWithdrawals: number;
  /** withdrawal_history rows with status 'success'. */
  successfulWithdrawals: number;
  /** attack_events rows. */
  totalEvents: number;
  /** attack_events created today (UTC). */
  eventsToday: number;
  /** webhook_events rows. */
  totalWebhooks: number;
  /** webhook_events received today (UTC). */
  webhooksToday: number;
}

export type LastWithdrawal = WithdrawalHistoryRow & { withdrawnAtMs: number | null };

export interface Queries {
  /** Newest attack_events first (default limit 100, like get_attack_events). */
  recentAttackEvents(opts?: { limit?: number; prefix?: string; eventType?: string }): AttackEventRow[];
  /** Newest withdrawal_history first (default limit 50, like get_attack_history). */
  withdrawalHistory(opts?: { limit?: number; prefix?: string; method?: string }): WithdrawalHistoryRow[];
  /** Every prefix_calm_status row, by prefix. */
  calmStatus(): PrefixCalmStatusRow[];
  stats(): DatabaseStats;
  /**
   * The newest withdrawal_history row of a prefix with the given status (default 'success'; null = any status),
   * with withdrawn_at parsed to epoch ms.
   */
  lastWithdrawal(prefix: string, opts?: { status?: string | null }): LastWithdrawal | null;
}

export interface QueriesOptions {
  /** Clock deciding what "today" is (UTC). */
  now?: () => number;
}

const clampLimit = (limit: number | undefined, fallback: number): number =>
  Math.max(1, Math.min(10_000, Math.floor(limit ?? fallback)));

export function createQueries(handle: DatabaseHandle, opts: QueriesOptions = {}): Queries {
  const { db } = handle;
  const now = opts.now ?? Date.now;

  const countOf = (table: SQLiteTable, where?: SQL): number =>
    db.select({ n: count() }).from(table).where(where).get()?.n ?? 0;

  return {
    recentAttackEvents({ limit, prefix, eventType } = {}) {
      const conditions = [
        prefix !== undefined ? eq(attackEvents.prefix, prefix) : undefined,
        eventType !== undefined ? eq(attackEvents.eventType, eventType) : undefined,
      ];
      return db
        .select()
        .from(attackEvents)
        .where(and(...conditions))
        .orderBy(desc(attackEvents.id))
        .limit(clampLimit(limit, 100))
        .all();
    },

    withdrawalHistory({ limit, prefix, method } = {}) {
      const conditions = [
        prefix !== undefined ? eq(withdrawalHistory.prefix, prefix) : undefined,
        method !== undefined ? eq(withdrawalHistory.withdrawMethod, method) : undefined,
      ];
      return db
        .select()
        .from(withdrawalHistory)
        .where(and(...conditions))
        .orderBy(desc(withdrawalHistory.id))
        .limit(clampLimit(limit, 50))
        .all();
    },

    calmStatus() {
      return db.select().from(prefixCalmStatus).orderBy(prefixCalmStatus.prefix).all();
    },

    stats() {
      const today = toSqliteTimestamp(now());
      return {
        pendingWithdrawals: countOf(pendingWithdrawals, eq(pendingWithdrawals.status, 'pending')),
        totalWithdrawals: countOf(withdrawalHistory),
        successfulWithdrawals: countOf(withdrawalHistory, eq(withdrawalHistory.status, 'success')),
        totalEvents: countOf(attackEvents),
        eventsToday: countOf(attackEvents, sql`date(${attackEvents.createdAt}) = date(${today})`),
        totalWebhooks: countOf(webhookEvents),
        webhooksToday: countOf(webhookEvents, sql`date(${webhookEvents.receivedAt}) = date(${today})`),
      };
    },

    lastWithdrawal(prefix, { status = 'success' } = {}) {
      const row = db
        .select()
        .from(withdrawalHistory)
        .where(
          and(eq(withdrawalHistory.prefix, prefix), status === null ? undefined : eq(withdrawalHistory.status, status)),
        )
        .orderBy(desc(withdrawalHistory.id))
        .limit(1)
        .get();
      return row ? { ...row, withdrawnAtMs: parseSqliteTimestamp(row.withdrawnAt) } : null;
    },
  };
}
