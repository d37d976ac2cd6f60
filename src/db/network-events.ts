// network_analytics_events: a monitor run's rows inserted once (INSERT OR IGNORE on the SHA-256 event hash) and the
// run's outcome remembered under an operation key, so a retried run reports the same new attacks instead of none.
// As in the operators' table, event_datetime is Cloudflare's datetime text verbatim and notified_at is when the
// Telegram message announcing the row's attack was sent (NULL until then, and for rows of attacks announced before).
import { createHash } from 'node:crypto';
import { attackKeyOf, summariseAttacks, type AttackSummary, type NetworkEvent } from '../domain/network-events';
import type { DatabaseHandle } from './connection';
import { toSqliteTimestamp, type NetworkAnalyticsEventRow } from './schema';

export interface NetworkRunResult {
  /** Rows the run read from Cloudflare. */
  fetched: number;
  /** Rows stored for the first time. */
  inserted: number;
  /** Attacks with rows in this run and none stored by an earlier run, biggest first. */
  newAttacks: AttackSummary[];
  /** New rows of attacks an earlier run had already recorded. */
  continuingEvents: number;
  /** id range of the rows this run inserted (null when none). */
  firstId: number | null;
  lastId: number | null;
  /** The query's row limit was reached (smaller groups may be missing). */
  truncated: boolean;
  /** True when this result was recorded by an earlier attempt of the same run (nothing was written now). */
  replayed: boolean;
}

export interface NetworkRunInput {
  /** Operation key of the run: the same key always returns the first attempt's result. */
  runKey: string;
  events: readonly NetworkEvent[];
  truncated: boolean;
  atMs: number;
}

export interface NetworkEventCounts {
  total: number;
  /** Rows notified today (UTC): the operators' `date(notified_at) = date('now')`. */
  today: number;
  attacks: number;
}

export interface MarkNotifiedResult {
  /** Rows stamped now (0 when the summary was not sent, or a retry found them stamped). */
  marked: number;
  /** When the summary was sent (notification_log), `YYYY-MM-DD HH:MM:SS` UTC; null when it was not. */
  notifiedAt: string | null;
}

export interface NetworkEventStore {
  /** Records one monitor run; the same runKey always returns the first attempt's result. */
  recordRun(input: NetworkRunInput): NetworkRunResult;
  /**
   * Stamps notified_at on the rows of the attacks a run announced, with the time its summary message was sent
   * (read from notification_log under summaryKey); nothing when it was not sent. Idempotent.
   */
  markNotified(runKey: string, summaryKey: string): MarkNotifiedResult;
  recent(limit?: number): NetworkAnalyticsEventRow[];
  counts(): NetworkEventCounts;
}

/** The operators' monitor kept the first 32 hex digits of SHA-256 over eventHashKey(). */
export function networkEventHash(hashKey: string): string {
  return createHash('sha256').update(hashKey).digest('hex').slice(0, 32);
}

export const NETWORK_RUN_KIND = 'analytics_monitor';

const COLUMNS = `id, event_hash AS eventHash, attack_id AS attackId, event_datetime AS eventDatetime,
  attack_vector AS attackVector, rule_name AS ruleName, rule_id AS ruleId, source_ip AS sourceIp,
  source_port AS sourcePort, source_asn AS sourceAsn, source_asn_name AS sourceAsnName,
  source_country AS sourceCountry, destination_ip AS destinationIp, destination_port AS destinationPort, protocol,
  tcp_flags AS tcpFlags, colo_code AS coloCode, colo_country AS coloCountry, packets, bits, outcome,
  mitigation_reason AS mitigationReason, notified_at AS notifiedAt, raw_data AS rawData`;

export function createNetworkEventStore(handle: DatabaseHandle, opts: { now?: () => number } = {}): NetworkEventStore {
  const db = handle.sqlite;
  const now = opts.now ?? Date.now;
  const claim = db.prepare<[string, string, string]>(
    'INSERT OR IGNORE INTO operation_keys (key, kind, created_at) VALUES (?, ?, ?)',
  );
  const previous = db.prepare<[string], { result: string | null }>('SELECT result FROM operation_keys WHERE key = ?');
  const saveResult = db.prepare<[string, string]>('UPDATE operation_keys SET result = ? WHERE key = ?');
  const maxId = db.prepare<[], { id: number | null }>('SELECT MAX(id) AS id FROM network_analytics_events');
  const insert = db.prepare(
    `INSERT OR IGNORE INTO network_analytics_events (event_hash, attack_id, event_datetime, attack_vector, rule_name,
       rule_id, source_ip, source_port, source_asn, source_asn_name, source_country, destination_ip, destination_port,
       protocol, tcp_flags, colo_code, colo_country, packets, bits, outcome, mitigation_reason, notified_at, raw_data)
     VALUES (@eventHash, @attackId, @eventDatetime, @attackVector, @ruleName, @ruleId, @sourceIp, @sourcePort,
       @sourceAsn, @sourceAsnName, @sourceCountry, @destinationIp, @destinationPort, @protocol, @tcpFlags, @coloCode,
       @coloCountry, @packets, @bits, @outcome, @mitigationReason, @notifiedAt, @rawData)`,
  );
  const seenById = db.prepare<[string, number], { n: number }>(
    'SELECT 1 AS n FROM network_analytics_events WHERE attack_id = ? AND id <= ? LIMIT 1',
  );
  const seenUnattributed = db.prepare<[string, string, number], { n: number }>(
    `SELECT 1 AS n FROM network_analytics_events WHERE COALESCE(attack_id, '') = ''
       AND COALESCE(attack_vector, '') = ? AND COALESCE(destination_ip, '') = ? AND id <= ? LIMIT 1`,
  );

  const seenBefore = (e: NetworkEvent, lastOldId: number): boolean =>
    e.attackId !== null && e.attackId !== ''
      ? seenById.get(e.attackId, lastOldId) !== undefined
      : seenUnattributed.get(e.attackVector ?? '', e.destinationIp ?? '', lastOldId) !== undefined;

  const recordRun = db.transaction((input: NetworkRunInput): NetworkRunResult => {
    const at = toSqliteTimestamp(input.atMs);
    if (claim.run(input.runKey, NETWORK_RUN_KIND, at).changes === 0) {
      const stored = previous.get(input.runKey)?.result;
      if (stored) return { ...(JSON.parse(stored) as NetworkRunResult), replayed: true };
    }
    const lastOldId = maxId.get()?.id ?? 0;
    const fresh: NetworkEvent[] = [];
    let firstId: number | null = null;
    let lastId: number | null = null;
    for (const e of input.events) {
      const info = insert.run({
        eventHash: networkEventHash(e.hashKey),
        attackId: e.attackId,
        // Verbatim, as the operators' monitor stored it (the hash is computed over this same text).
        eventDatetime: e.datetime,
        attackVector: e.attackVector,
        ruleName: e.ruleName,
        ruleId: e.ruleId,
        sourceIp: e.sourceIp,
        sourcePort: e.sourcePort,
        sourceAsn: e.sourceAsn,
        sourceAsnName: e.sourceAsnName,
        sourceCountry: e.sourceCountry,
        destinationIp: e.destinationIp,
        destinationPort: e.destinationPort,
        protocol: e.protocol,
        tcpFlags: e.tcpFlags,
        coloCode: e.coloCode,
        coloCountry: e.coloCountry,
        packets: e.packets,
        bits: e.bits,
        outcome: e.outcome,
        mitigationReason: e.mitigationReason,
        // Set once the run's summary message is sent (markNotified).
        notifiedAt: null,
        rawData: JSON.stringify(e.raw),
      });
      if (info.changes === 0) continue;
      const id = Number(info.lastInsertRowid);
      firstId ??= id;
      lastId = id;
      fresh.push(e);
    }
    const known = new Map<string, boolean>();
    const newOnes = fresh.filter((e) => {
      const key = attackKeyOf(e);
      if (!known.has(key)) known.set(key, seenBefore(e, lastOldId));
      return !known.get(key);
    });
    const result: NetworkRunResult = {
      fetched: input.events.length,
      inserted: fresh.length,
      newAttacks: summariseAttacks(newOnes),
      continuingEvents: fresh.length - newOnes.length,
      firstId,
      lastId,
      truncated: input.truncated,
      replayed: false,
    };
    saveResult.run(JSON.stringify(result), input.runKey);
    return result;
  });

  const summarySent = db.prepare<[string], { state: string; updated_at: string }>(
    'SELECT state, updated_at FROM notification_log WHERE key = ?',
  );
  const runRows = db.prepare<
    [number, number],
    { id: number; attackId: string | null; attackVector: string | null; destinationIp: string | null }
  >(
    `SELECT id, attack_id AS attackId, attack_vector AS attackVector, destination_ip AS destinationIp
     FROM network_analytics_events WHERE id BETWEEN ? AND ? AND notified_at IS NULL ORDER BY id`,
  );
  const stamp = db.prepare<[string, number]>(
    'UPDATE network_analytics_events SET notified_at = ? WHERE id = ? AND notified_at IS NULL',
  );

  const markNotified = db.transaction((runKey: string, summaryKey: string): MarkNotifiedResult => {
    const sent = summarySent.get(summaryKey);
    if (sent?.state !== 'sent') return { marked: 0, notifiedAt: null };
    const stored = previous.get(runKey)?.result;
    if (!stored) return { marked: 0, notifiedAt: sent.updated_at };
    const run = JSON.parse(stored) as NetworkRunResult;
    if (run.firstId === null || run.lastId === null) return { marked: 0, notifiedAt: sent.updated_at };
    const announced = new Set(run.newAttacks.map((a) => a.key));
    let marked = 0;
    for (const row of runRows.all(run.firstId, run.lastId)) {
      if (announced.has(attackKeyOf(row))) marked += stamp.run(sent.updated_at, row.id).changes;
    }
    return { marked, notifiedAt: sent.updated_at };
  });

  return {
    recordRun: (input) => recordRun.immediate(input),

    markNotified: (runKey, summaryKey) => markNotified.immediate(runKey, summaryKey),

    recent: (limit = 20) =>
      db
        .prepare(
          `SELECT ${COLUMNS} FROM network_analytics_events ORDER BY id DESC LIMIT ${Math.max(1, Math.min(10_000, Math.floor(limit)))}`,
        )
        .all() as NetworkAnalyticsEventRow[],

    counts() {
      const today = toSqliteTimestamp(now());
      const row = db
        .prepare(
          `SELECT COUNT(*) AS total, SUM(date(notified_at) = date(?)) AS today,
             COUNT(DISTINCT NULLIF(attack_id, '')) AS attacks FROM network_analytics_events`,
        )
        .get(today) as { total: number; today: number | null; attacks: number };
      return { total: row.total, today: row.today ?? 0, attacks: row.attacks };
    },
  };
}
