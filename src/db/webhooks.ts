// webhook_events and the attack_events rows webhooks stand for: one transaction per webhook, deduplicated on
// (alert_id, event_state) exactly as the operators' UNIQUE constraint says, plus the reads of the records toolkit.
import { createHash } from 'node:crypto';
import type { WebhookAlert } from '../domain/webhook-alert';
import type { DatabaseHandle } from './connection';
import { toSqliteTimestamp, type AttackEventRow, type WebhookEventRow } from './schema';

export type WebhookActionTakenValue = 'received' | 'imported' | 'test_notification';

export interface StoreWebhookInput {
  alert: WebhookAlert;
  /** The payload exactly as stored (webhook_events.payload and attack_events.raw_payload). */
  payloadJson: string;
  sourceIp: string | null;
  /**
   * webhook_events.action_taken: 'received' by the receiver, 'imported' by the import tool, 'test_notification' for
   * Cloudflare's test notifications (whoever stored them).
   */
  actionTaken: WebhookActionTakenValue;
  receivedAtMs: number;
  /** Stored with processed = 0 because a follow-up (the supervisor signal) is still to come. */
  followUpPending: boolean;
}

export interface StoreWebhookResult {
  /** False when (alert_id, event_state) was already stored: nothing was written. */
  stored: boolean;
  alertId: string;
  webhookId: number | null;
  attackEventIds: number[];
}

export interface WebhookStats {
  total: number;
  today: number;
  last7Days: number;
  byType: Array<{ alertType: string | null; count: number }>;
  byState: Array<{ eventState: string | null; count: number }>;
  /** Alert ids with both a START and an END webhook. */
  completedAttacks: number;
}

export interface WebhookStore {
  /** Stores the webhook (and its attack events) unless it is a duplicate. */
  store(input: StoreWebhookInput): StoreWebhookResult;
  /** Would this webhook be stored? (dry runs) */
  isDuplicate(alert: WebhookAlert): boolean;
  markProcessed(webhookIds: readonly number[]): void;
  /**
   * Webhooks the receiver stored with processed = 0 (the supervisor is still to be told), oldest first: left by a
   * Temporal outage or by a shutdown that could not deliver every signal in time.
   */
  unprocessed(limit?: number): UnprocessedWebhook[];
  recent(opts?: { limit?: number; alertType?: string; days?: number }): WebhookEventRow[];
  stats(): WebhookStats;
  byAlertId(alertId: string): WebhookEventRow[];
  attackEventsByAttackId(attackId: string): AttackEventRow[];
  /**
   * The attack_events rows stored with a webhook (same transaction: same payload and time). Alerts without an
   * attack id (their alert_id is a content hash) have attack_id NULL there; this is how they are found.
   */
  attackEventsOfWebhook(webhookId: number): AttackEventRow[];
  /** WITHDRAW attack_events of a prefix, oldest first. */
  withdrawalsOfPrefix(prefix: string): AttackEventRow[];
}

export interface UnprocessedWebhook {
  id: number;
  alertId: string | null;
  alertType: string | null;
  targetPrefix: string | null;
  receivedAt: string | null;
}

/** alert_id of a webhook: its own id, or `sha256:` + 32 hex digits of its canonical JSON when it has none. */
export function webhookAlertId(alert: Pick<WebhookAlert, 'alertId' | 'contentKey'>): string {
  return alert.alertId ?? `sha256:${createHash('sha256').update(alert.contentKey).digest('hex').slice(0, 32)}`;
}

const clampLimit = (limit: number | undefined, fallback: number): number =>
  Math.max(1, Math.min(10_000, Math.floor(limit ?? fallback)));

/** Columns as drizzle names them, so callers get the same row type as the schema's. */
const WEBHOOK_COLUMNS = `id, received_at AS receivedAt, alert_type AS alertType, event_state AS eventState,
  alert_id AS alertId, policy_id AS policyId, policy_name AS policyName, target_ip AS targetIp,
  target_prefix AS targetPrefix, source_ip AS sourceIp, processed, action_taken AS actionTaken, payload`;
const EVENT_COLUMNS = `id, event_type AS eventType, alert_type AS alertType, attack_id AS attackId,
  policy_id AS policyId, policy_name AS policyName, prefix, target_ip AS targetIp, target_port AS targetPort,
  protocol, attack_vector AS attackVector, packets_per_second AS packetsPerSecond,
  megabits_per_second AS megabitsPerSecond, severity, action_taken AS actionTaken, raw_payload AS rawPayload,
  created_at AS createdAt`;

export function createWebhookStore(handle: DatabaseHandle, opts: { now?: () => number } = {}): WebhookStore {
  const db = handle.sqlite;
  const now = opts.now ?? Date.now;
  // NULL event states never collide under UNIQUE, so the duplicate check is explicit (and NULL-safe with IS).
  const findDuplicate = db.prepare<[string, string | null], { id: number }>(
    'SELECT id FROM webhook_events WHERE alert_id = ? AND event_state IS ? LIMIT 1',
  );
  const insertWebhook = db.prepare(
    `INSERT INTO webhook_events (received_at, alert_type, event_state, alert_id, policy_id, policy_name, target_ip,
       target_prefix, source_ip, processed, action_taken, payload)
     VALUES (@receivedAt, @alertType, @eventState, @alertId, @policyId, @policyName, @targetIp, @targetPrefix,
       @sourceIp, @processed, @actionTaken, @payload)`,
  );
  const insertEvent = db.prepare(
    `INSERT INTO attack_events (event_type, alert_type, attack_id, policy_id, policy_name, prefix, target_ip,
       target_port, protocol, attack_vector, packets_per_second, megabits_per_second, severity, action_taken,
       raw_payload, created_at)
     VALUES (@eventType, @alertType, @attackId, @policyId, @policyName, @prefix, @targetIp, @targetPort, @protocol,
       @attackVector, @packetsPerSecond, @megabitsPerSecond, @severity, @actionTaken, @rawPayload, @createdAt)`,
  );

  const store = db.transaction((input: StoreWebhookInput): StoreWebhookResult => {
    const { alert } = input;
    const alertId = webhookAlertId(alert);
    if (findDuplicate.get(alertId, alert.eventState))
      return { stored: false, alertId, webhookId: null, attackEventIds: [] };
    const at = toSqliteTimestamp(input.receivedAtMs);
    const webhookId = Number(
      insertWebhook.run({
        receivedAt: at,
        alertType: alert.alertType,
        eventState: alert.eventState,
        alertId,
        policyId: alert.policyId,
        policyName: alert.policyName,
        targetIp: alert.targetIp,
        targetPrefix: alert.targetPrefix,
        sourceIp: input.sourceIp,
        processed: input.followUpPending ? 0 : 1,
        actionTaken: input.actionTaken,
        payload: input.payloadJson,
      }).lastInsertRowid,
    );
    const attackEventIds = alert.attackEvents.map((e) =>
      Number(insertEvent.run({ ...e, rawPayload: input.payloadJson, createdAt: at }).lastInsertRowid),
    );
    return { stored: true, alertId, webhookId, attackEventIds };
  });

  const count = (where = '', ...params: unknown[]): number =>
    (db.prepare(`SELECT COUNT(*) AS n FROM webhook_events ${where}`).get(...params) as { n: number }).n;

  return {
    // IMMEDIATE: the check and the insert hold the write lock together, also against the import tool's process.
    store: (input) => store.immediate(input),

    isDuplicate: (alert) => findDuplicate.get(webhookAlertId(alert), alert.eventState) !== undefined,

    markProcessed(ids) {
      const mark = db.prepare('UPDATE webhook_events SET processed = 1 WHERE id = ?');
      db.transaction(() => ids.forEach((id) => mark.run(id)))();
    },

    unprocessed: (limit = 500) =>
      db
        .prepare(
          `SELECT id, alert_id AS alertId, alert_type AS alertType, target_prefix AS targetPrefix,
             received_at AS receivedAt
           FROM webhook_events WHERE processed = 0 AND action_taken = 'received' ORDER BY id LIMIT ?`,
        )
        .all(clampLimit(limit, 500)) as UnprocessedWebhook[],

    recent({ limit, alertType, days } = {}) {
      const where: string[] = [];
      const params: unknown[] = [];
      if (alertType !== undefined) {
        where.push('alert_type = ?');
        params.push(alertType);
      }
      if (days !== undefined) {
        where.push('datetime(received_at) >= datetime(?)');
        params.push(toSqliteTimestamp(now() - days * 86_400_000));
      }
      return db
        .prepare(
          `SELECT ${WEBHOOK_COLUMNS} FROM webhook_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
           ORDER BY id DESC LIMIT ${clampLimit(limit, 10)}`,
        )
        .all(...params) as WebhookEventRow[];
    },

    stats() {
      const today = toSqliteTimestamp(now());
      const weekAgo = toSqliteTimestamp(now() - 7 * 86_400_000);
      return {
        total: count(),
        today: count('WHERE date(received_at) = date(?)', today),
        last7Days: count('WHERE datetime(received_at) >= datetime(?)', weekAgo),
        byType: db
          .prepare(
            'SELECT alert_type AS alertType, COUNT(*) AS count FROM webhook_events GROUP BY alert_type ORDER BY count DESC, alert_type',
          )
          .all() as WebhookStats['byType'],
        byState: db
          .prepare(
            'SELECT event_state AS eventState, COUNT(*) AS count FROM webhook_events GROUP BY event_state ORDER BY count DESC, event_state',
          )
          .all() as WebhookStats['byState'],
        completedAttacks: (
          db
            .prepare(
              `SELECT COUNT(DISTINCT w1.alert_id) AS n FROM webhook_events w1
               WHERE w1.event_state = 'ALERT_STATE_EVENT_START' AND EXISTS (
                 SELECT 1 FROM webhook_events w2 WHERE w2.alert_id = w1.alert_id AND w2.event_state = 'ALERT_STATE_EVENT_END')`,
            )
            .get() as { n: number }
        ).n,
      };
    },

    byAlertId: (alertId) =>
      db
        .prepare(`SELECT ${WEBHOOK_COLUMNS} FROM webhook_events WHERE alert_id = ? ORDER BY datetime(received_at), id`)
        .all(alertId) as WebhookEventRow[],

    attackEventsByAttackId: (attackId) =>
      db
        .prepare(`SELECT ${EVENT_COLUMNS} FROM attack_events WHERE attack_id = ? ORDER BY datetime(created_at), id`)
        .all(attackId) as AttackEventRow[],

    attackEventsOfWebhook: (webhookId) =>
      db
        .prepare(
          `SELECT ${EVENT_COLUMNS} FROM attack_events WHERE id IN (
             SELECT e.id FROM attack_events e JOIN webhook_events w ON w.id = ?
             WHERE e.raw_payload = w.payload AND e.created_at IS w.received_at
               AND (e.attack_id IS NULL OR e.attack_id = w.alert_id))
           ORDER BY id`,
        )
        .all(webhookId) as AttackEventRow[],

    withdrawalsOfPrefix: (prefix) =>
      db
        .prepare(
          `SELECT ${EVENT_COLUMNS} FROM attack_events WHERE event_type = 'WITHDRAW' AND prefix = ?
           ORDER BY datetime(created_at), id`,
        )
        .all(prefix) as AttackEventRow[],
  };
}
