// The records repository (src/db/types.ts `Records`): every write is synchronous, idempotent by key, and lands in the
// operators' tables in the shape their dashboards and sqlite3 queries expect.
import { and, eq, ne, sql } from 'drizzle-orm';
import type { DatabaseHandle, Db } from './connection';
import {
  attackEvents,
  notificationLog,
  operationKeys,
  parseSqliteTimestamp,
  prefixCalmStatus,
  toSqliteTimestamp,
  withdrawalHistory,
  type NotificationLogRow,
} from './schema';
import type {
  AdvertiseRecordInput,
  CalmStatusInput,
  NotificationLogEntry,
  Records,
  WithdrawalRecordInput,
} from './types';

export interface RecordsOptions {
  /** Clock for the rows' bookkeeping timestamps (withdrawal_history.created_at, operation_keys.created_at). */
  now?: () => number;
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** attack_events.alert_type per withdraw method (the daemon wrote 'autowithdraw_daemon'). */
export const WITHDRAW_ALERT_TYPE: Record<WithdrawalRecordInput['method'], string> = {
  autowithdraw_daemon: 'autowithdraw_daemon',
  manual: 'manual',
  external: 'cloudflare',
};

/** operation_keys.kind values. */
export const OPERATION_KIND = { withdrawal: 'withdrawal', advertise: 'advertise' } as const;

const ts = toSqliteTimestamp;
const tsOrNull = (ms: number | null): string | null => (ms == null ? null : ts(ms));

/** Rates go into TEXT columns (packets_per_second, megabits_per_second): at most two decimals. */
function formatRate(value: number | null | undefined): string | null {
  if (value == null || !Number.isFinite(value)) return null;
  return String(Math.round(value * 100) / 100);
}

const intOrNull = (value: number | null): number | null =>
  value == null || !Number.isFinite(value) ? null : Math.round(value);

/** Whole seconds from `fromMs` to `toMs` (never negative), or null when either end is unknown. */
function secondsBetween(fromMs: number | null, toMs: number | null): number | null {
  if (fromMs == null || toMs == null) return null;
  return Math.max(0, Math.round((toMs - fromMs) / 1000));
}

/** raw_payload: the fixed fields first, then the caller's details (which cannot override them). */
function payload(core: Record<string, unknown>, details: Record<string, unknown>): string {
  const extra = Object.fromEntries(Object.entries(details).filter(([k]) => !(k in core)));
  return JSON.stringify({ ...core, ...extra });
}

/** Claims an idempotency key; false when it was already claimed (its rows exist). */
function claimKey(tx: Tx, key: string, kind: string, atMs: number): boolean {
  return (
    tx
      .insert(operationKeys)
      .values({ key, kind, createdAt: ts(atMs) })
      .onConflictDoNothing()
      .run().changes > 0
  );
}

function setKeyResult(tx: Tx, key: string, result: Record<string, unknown>): void {
  tx.update(operationKeys)
    .set({ result: JSON.stringify(result) })
    .where(eq(operationKeys.key, key))
    .run();
}

function toEntry(row: NotificationLogRow): NotificationLogEntry {
  return {
    key: row.key,
    kind: row.kind,
    prefix: row.prefix,
    state: row.state,
    attempts: row.attempts,
    lastError: row.lastError,
    telegramMessageId: row.telegramMessageId,
    createdAtMs: parseSqliteTimestamp(row.createdAt) ?? 0,
    updatedAtMs: parseSqliteTimestamp(row.updatedAt) ?? 0,
  };
}

export function createRecords(handle: DatabaseHandle, opts: RecordsOptions = {}): Records {
  const { db } = handle;
  const now = opts.now ?? Date.now;

  const getNotification = (key: string): NotificationLogEntry | null => {
    const row = db.select().from(notificationLog).where(eq(notificationLog.key, key)).get();
    return row ? toEntry(row) : null;
  };

  /** A guarded update that changed nothing is fine (state already moved on) unless the row does not exist. */
  const requireNotification = (key: string, changes: number): void => {
    if (changes === 0 && !getNotification(key)) {
      throw new Error(`notification_log has no row for key ${JSON.stringify(key)}; call beginNotification first`);
    }
  };

  return {
    recordWithdrawal(input: WithdrawalRecordInput): { inserted: boolean } {
      return db.transaction(
        (tx) => {
          if (!claimKey(tx, input.idempotencyKey, OPERATION_KIND.withdrawal, now())) return { inserted: false };
          const withdrawnAt = ts(input.withdrawnAtMs);
          // Only a real withdraw is a WITHDRAW event (dashboards count them, as the daemon wrote them only on
          // success); failed rounds and shadow decisions are kept in withdrawal_history alone.
          const event =
            input.status === 'success'
              ? tx
                  .insert(attackEvents)
                  .values({
                    eventType: 'WITHDRAW',
                    alertType: WITHDRAW_ALERT_TYPE[input.method],
                    prefix: input.prefix,
                    packetsPerSecond: formatRate(input.peakPps),
                    megabitsPerSecond: formatRate(input.peak?.mbps),
                    actionTaken: input.actionTaken,
                    rawPayload: payload(
                      {
                        eventId: input.eventId,
                        description: input.description,
                        method: input.method,
                        status: input.status,
                        calmMs: input.calmMs,
                        calmMinutes: Math.round((input.calmMs / 60_000) * 100) / 100,
                        peak: input.peak,
                        advertisedAt: tsOrNull(input.advertisedAtMs),
                        attackEndedAt: tsOrNull(input.attackEndedAtMs),
                        notes: input.notes,
                      },
                      input.details,
                    ),
                    createdAt: withdrawnAt,
                  })
                  .returning({ id: attackEvents.id })
                  .get()
              : null;
          const history = tx
            .insert(withdrawalHistory)
            .values({
              prefix: input.prefix,
              advertisedAt: tsOrNull(input.advertisedAtMs),
              attackEndedAt: tsOrNull(input.attackEndedAtMs),
              withdrawnAt,
              attackDurationSeconds: secondsBetween(input.advertisedAtMs, input.attackEndedAtMs),
              protectionDurationSeconds: secondsBetween(input.advertisedAtMs, input.withdrawnAtMs),
              withdrawMethod: input.method,
              status: input.status,
              notes: input.notes,
              createdAt: ts(now()),
            })
            .returning({ id: withdrawalHistory.id })
            .get();
          setKeyResult(tx, input.idempotencyKey, { attackEventId: event?.id ?? null, withdrawalHistoryId: history.id });
          return { inserted: true };
        },
        { behavior: 'immediate' },
      );
    },

    recordAdvertise(input: AdvertiseRecordInput): { inserted: boolean } {
      return db.transaction(
        (tx) => {
          if (!claimKey(tx, input.idempotencyKey, OPERATION_KIND.advertise, now())) return { inserted: false };
          const event = tx
            .insert(attackEvents)
            .values({
              eventType: 'ADVERTISE',
              alertType: 'manual',
              prefix: input.prefix,
              actionTaken: input.actionTaken,
              rawPayload: payload(
                {
                  eventId: input.eventId,
                  description: input.description,
                  status: input.status,
                  notes: input.notes,
                },
                input.details,
              ),
              createdAt: ts(input.advertisedAtMs),
            })
            .returning({ id: attackEvents.id })
            .get();
          setKeyResult(tx, input.idempotencyKey, { attackEventId: event.id });
          return { inserted: true };
        },
        { behavior: 'immediate' },
      );
    },

    upsertCalmStatus(input: CalmStatusInput): void {
      const at = ts(input.atMs);
      const values = {
        advertised: input.advertised,
        underAttack: input.underAttack,
        calmSince: tsOrNull(input.calmSinceMs),
        calmMinutes: input.calmMinutes,
        droppedPackets: intOrNull(input.droppedPackets),
        droppedBits: intOrNull(input.droppedBits),
        lastAttackPackets: intOrNull(input.lastAttackPackets),
        lastAttackMbps: input.lastAttackMbps,
        mitigationSystems: input.mitigationSystems.join(','),
        lastUpdated: at,
        updatedAt: at,
      };
      db.insert(prefixCalmStatus)
        .values({ prefix: input.prefix, ...values })
        .onConflictDoUpdate({ target: prefixCalmStatus.prefix, set: values })
        .run();
    },

    beginNotification({ key, kind, prefix, atMs }): NotificationLogEntry {
      const at = ts(atMs);
      db.insert(notificationLog)
        .values({ key, kind, prefix, state: 'pending', attempts: 0, createdAt: at, updatedAt: at })
        .onConflictDoNothing()
        .run();
      const entry = getNotification(key);
      if (!entry) throw new Error(`notification_log row ${JSON.stringify(key)} vanished`);
      return entry;
    },

    /** pending/failed/skipped → sent (counts the successful attempt); a second call keeps the first message id. */
    markNotificationSent(key: string, telegramMessageId: number | null, atMs: number): void {
      const { changes } = db
        .update(notificationLog)
        .set({
          state: 'sent',
          telegramMessageId,
          attempts: sql`${notificationLog.attempts} + 1`,
          updatedAt: ts(atMs),
        })
        .where(and(eq(notificationLog.key, key), ne(notificationLog.state, 'sent')))
        .run();
      requireNotification(key, changes);
    },

    /** One failed delivery attempt of a pending notification: attempts + 1, last_error, still pending. */
    markNotificationAttemptFailed(key: string, error: string, atMs: number): void {
      const { changes } = db
        .update(notificationLog)
        .set({ attempts: sql`${notificationLog.attempts} + 1`, lastError: error, updatedAt: ts(atMs) })
        .where(and(eq(notificationLog.key, key), eq(notificationLog.state, 'pending')))
        .run();
      requireNotification(key, changes);
    },

    /** Final failure of a pending notification (attempts are counted by markNotificationAttemptFailed). */
    markNotificationFailed(key: string, error: string, atMs: number): void {
      const { changes } = db
        .update(notificationLog)
        .set({ state: 'failed', lastError: error, updatedAt: ts(atMs) })
        .where(and(eq(notificationLog.key, key), eq(notificationLog.state, 'pending')))
        .run();
      requireNotification(key, changes);
    },

    /** A pending notification that will not be sent (reason kept in last_error). */
    markNotificationSkipped(key: string, reason: string, atMs: number): void {
      const { changes } = db
        .update(notificationLog)
        .set({ state: 'skipped', lastError: reason, updatedAt: ts(atMs) })
        .where(and(eq(notificationLog.key, key), eq(notificationLog.state, 'pending')))
        .run();
      requireNotification(key, changes);
    },

    getNotification,
  };
}
