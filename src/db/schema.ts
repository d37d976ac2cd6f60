// Drizzle schema of the operators' SQLite database (magic_transit.db), kept column-for-column compatible with the
// tables their Python tools created, plus this controller's own idempotency and notification tables.
//
// Timestamps are TEXT in SQLite's `YYYY-MM-DD HH:MM:SS` UTC form (what CURRENT_TIMESTAMP writes), so the
// operators' `date(created_at) = date('now')` queries keep working. Legacy columns keep their documented declared
// types (DATETIME, BOOLEAN, JSON) so `.schema` output and type affinities match the Python-created database.
import { sql } from 'drizzle-orm';
import { check, customType, index, integer, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** A DATETIME column holding `YYYY-MM-DD HH:MM:SS` UTC text (see toSqliteTimestamp). */
const datetime = customType<{ data: string; driverData: string }>({
  dataType: () => 'DATETIME',
});

/** A BOOLEAN column stored as 0/1, as Python's sqlite3 writes True/False. */
const boolean = customType<{ data: boolean; driverData: number }>({
  dataType: () => 'BOOLEAN',
  toDriver: (value) => (value ? 1 : 0),
  fromDriver: (value) => Number(value) !== 0,
});

/** A JSON column holding the serialised document as text (callers JSON.stringify / JSON.parse). */
const json = customType<{ data: string; driverData: string }>({
  dataType: () => 'JSON',
});

const currentTimestamp = sql`CURRENT_TIMESTAMP`;

// ---------------------------------------------------------------------------------------------------------------
// Tables of the operators' system (names, columns, types, defaults and index names as they documented them).
// ---------------------------------------------------------------------------------------------------------------

/** Every START / END / ADVERTISE / WITHDRAW event. */
export const attackEvents = sqliteTable(
  'attack_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    eventType: text('event_type').notNull(),
    alertType: text('alert_type'),
    attackId: text('attack_id'),
    policyId: text('policy_id'),
    policyName: text('policy_name'),
    prefix: text('prefix'),
    targetIp: text('target_ip'),
    targetPort: integer('target_port'),
    protocol: text('protocol'),
    attackVector: text('attack_vector'),
    /** Documented as TEXT (the webhook receiver stored Cloudflare's strings verbatim). */
    packetsPerSecond: text('packets_per_second'),
    megabitsPerSecond: text('megabits_per_second'),
    severity: text('severity'),
    actionTaken: text('action_taken'),
    rawPayload: text('raw_payload'),
    createdAt: datetime('created_at').default(currentTimestamp),
  },
  (t) => [index('idx_events_attack_id').on(t.attackId)],
);

/** Permanent record of completed (or failed / shadow) withdrawals. */
export const withdrawalHistory = sqliteTable(
  'withdrawal_history',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    prefix: text('prefix').notNull(),
    attackId: text('attack_id'),
    policyId: text('policy_id'),
    policyName: text('policy_name'),
    targetIp: text('target_ip'),
    attackType: text('attack_type'),
    advertisedAt: datetime('advertised_at'),
    attackEndedAt: datetime('attack_ended_at'),
    withdrawnAt: datetime('withdrawn_at'),
    attackDurationSeconds: integer('attack_duration_seconds'),
    protectionDurationSeconds: integer('protection_duration_seconds'),
    withdrawMethod: text('withdraw_method'),
    status: text('status'),
    notes: text('notes'),
    createdAt: datetime('created_at').default(currentTimestamp),
  },
  (t) => [index('idx_history_prefix').on(t.prefix)],
);

/**
 * Deprecated queue of the old cron checker (kept so existing rows and queries survive). Union of both documents'
 * columns: max_retries / next_retry_at come from the db_manager document only.
 */
export const pendingWithdrawals = sqliteTable(
  'pending_withdrawals',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    prefix: text('prefix').notNull(),
    attackId: text('attack_id'),
    policyId: text('policy_id'),
    policyName: text('policy_name'),
    targetIp: text('target_ip'),
    attackType: text('attack_type'),
    advertisedAt: datetime('advertised_at'),
    withdrawAfter: datetime('withdraw_after').notNull(),
    attackEndedAt: datetime('attack_ended_at'),
    createdAt: datetime('created_at').default(currentTimestamp),
    status: text('status').default('pending'),
    retryCount: integer('retry_count').default(0),
    maxRetries: integer('max_retries').default(5),
    nextRetryAt: datetime('next_retry_at'),
    lastError: text('last_error'),
  },
  // idx_pending_unique ON (prefix, COALESCE(attack_id, '')) is an expression index that drizzle-kit cannot generate
  // for SQLite; it is written by hand in drizzle/0000_baseline.sql.
  (t) => [index('idx_pending_status').on(t.status), index('idx_pending_withdraw_after').on(t.withdrawAfter)],
);

/** Every webhook Cloudflare delivered to the operators' receiver. */
export const webhookEvents = sqliteTable(
  'webhook_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    receivedAt: datetime('received_at').default(currentTimestamp),
    alertType: text('alert_type'),
    eventState: text('event_state'),
    alertId: text('alert_id'),
    policyId: text('policy_id'),
    policyName: text('policy_name'),
    targetIp: text('target_ip'),
    targetPrefix: text('target_prefix'),
    sourceIp: text('source_ip'),
    processed: integer('processed').default(1),
    actionTaken: text('action_taken'),
    payload: json('payload'),
  },
  (t) => [
    uniqueIndex('webhook_events_alert_id_event_state_unique').on(t.alertId, t.eventState),
    index('idx_webhook_alert_type').on(t.alertType),
    index('idx_webhook_received_at').on(t.receivedAt),
    index('idx_webhook_target_ip').on(t.targetIp),
  ],
);

/** Events of the operators' Network Analytics monitor (GraphQL polling). */
export const networkAnalyticsEvents = sqliteTable(
  'network_analytics_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    eventHash: text('event_hash').notNull(),
    attackId: text('attack_id'),
    eventDatetime: datetime('event_datetime'),
    attackVector: text('attack_vector'),
    ruleName: text('rule_name'),
    ruleId: text('rule_id'),
    sourceIp: text('source_ip'),
    sourcePort: integer('source_port'),
    sourceAsn: integer('source_asn'),
    sourceAsnName: text('source_asn_name'),
    sourceCountry: text('source_country'),
    destinationIp: text('destination_ip'),
    destinationPort: integer('destination_port'),
    protocol: text('protocol'),
    tcpFlags: text('tcp_flags'),
    coloCode: text('colo_code'),
    coloCountry: text('colo_country'),
    packets: integer('packets'),
    bits: integer('bits'),
    outcome: text('outcome'),
    mitigationReason: text('mitigation_reason'),
    notifiedAt: datetime('notified_at'),
    rawData: json('raw_data'),
  },
  (t) => [
    uniqueIndex('network_analytics_events_event_hash_unique').on(t.eventHash),
    index('idx_network_analytics_hash').on(t.eventHash),
    index('idx_network_analytics_datetime').on(t.eventDatetime),
    index('idx_network_analytics_attack_id').on(t.attackId),
  ],
);

/**
 * Per-prefix calm state for the dashboard, one row per prefix. The two operator documents disagree on its columns;
 * this is their union so both the dashboard's reader and the daemon's INSERT OR REPLACE keep working.
 */
export const prefixCalmStatus = sqliteTable(
  'prefix_calm_status',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    prefix: text('prefix').notNull(),
    advertised: boolean('advertised'),
    underAttack: boolean('under_attack'),
    calmSince: datetime('calm_since'),
    /** Minutes of calm so far (REAL). */
    calmMinutes: real('calm_minutes'),
    droppedPackets: integer('dropped_packets'),
    droppedBits: integer('dropped_bits'),
    lastAttackPackets: integer('last_attack_packets'),
    lastAttackMbps: real('last_attack_mbps'),
    /** Comma-separated mitigation systems. */
    mitigationSystems: text('mitigation_systems'),
    lastUpdated: datetime('last_updated'),
    updatedAt: datetime('updated_at'),
  },
  (t) => [uniqueIndex('prefix_calm_status_prefix_unique').on(t.prefix), index('idx_calm_prefix').on(t.prefix)],
);

// ---------------------------------------------------------------------------------------------------------------
// Tables of this controller.
// ---------------------------------------------------------------------------------------------------------------

/** Idempotency keys of record writes: a key present here means its rows were written (in the same transaction). */
export const operationKeys = sqliteTable('operation_keys', {
  key: text('key').primaryKey(),
  kind: text('kind').notNull(),
  createdAt: text('created_at').notNull().default(currentTimestamp),
  /** JSON describing what the operation wrote (row ids). */
  result: json('result'),
});

export const NOTIFICATION_STATES = ['pending', 'sent', 'failed', 'skipped'] as const;

/** One row per notification the controller meant to send; makes Telegram delivery exactly-once per key. */
export const notificationLog = sqliteTable(
  'notification_log',
  {
    key: text('key').primaryKey(),
    kind: text('kind').notNull(),
    prefix: text('prefix'),
    state: text('state', { enum: NOTIFICATION_STATES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    telegramMessageId: integer('telegram_message_id'),
    createdAt: text('created_at').notNull().default(currentTimestamp),
    updatedAt: text('updated_at').notNull().default(currentTimestamp),
  },
  (t) => [
    index('idx_notification_state').on(t.state),
    check('notification_log_state_check', sql`${t.state} IN ('pending', 'sent', 'failed', 'skipped')`),
  ],
);

export type AttackEventRow = typeof attackEvents.$inferSelect;
export type WithdrawalHistoryRow = typeof withdrawalHistory.$inferSelect;
export type PendingWithdrawalRow = typeof pendingWithdrawals.$inferSelect;
export type WebhookEventRow = typeof webhookEvents.$inferSelect;
export type NetworkAnalyticsEventRow = typeof networkAnalyticsEvents.$inferSelect;
export type PrefixCalmStatusRow = typeof prefixCalmStatus.$inferSelect;
export type OperationKeyRow = typeof operationKeys.$inferSelect;
export type NotificationLogRow = typeof notificationLog.$inferSelect;

// ---------------------------------------------------------------------------------------------------------------
// Timestamp format shared by every table.
// ---------------------------------------------------------------------------------------------------------------

/** Epoch ms → `YYYY-MM-DD HH:MM:SS` (UTC, whole seconds), the form SQLite's CURRENT_TIMESTAMP writes. */
export function toSqliteTimestamp(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`not a finite timestamp: ${ms}`);
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses the timestamps found in this database (ours, CURRENT_TIMESTAMP's, and Python's isoformat / str(datetime),
 * with or without fractional seconds or offset; no offset means UTC). Returns epoch ms, or null when unparseable.
 */
export function parseSqliteTimestamp(value: string | null | undefined): number | null {
  if (value == null) return null;
  const m = TIMESTAMP_RE.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac, zone] = m;
  let iso = `${y}-${mo}-${d}T${h}:${mi}:${s}${frac ? frac.slice(0, 4) : ''}`;
  if (!zone || zone.toUpperCase() === 'Z') iso += 'Z';
  else iso += zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}
