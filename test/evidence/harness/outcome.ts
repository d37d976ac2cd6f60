// What a scenario run produced, as comparable data: applied PATCHes in order, database rows per prefix (times and ids
// reduced to "set"/null, every row kept), notification log and Telegram messages by kind and prefix.
import Database from 'better-sqlite3';
import type { PatchLogEntry } from '../../../src/simulators/cloudflare';
import type { RecordedMessage } from '../../../src/simulators/telegram';
import { PREFIXES } from './scenario';

export interface AppliedPatch {
  prefix: string;
  body: { on_demand: { advertised: boolean | null } };
}

export type Row = Record<string, unknown>;

/** The part of a run that must be identical to the baseline. */
export interface ComparableOutcome {
  /** PATCHes Cloudflare applied (outcome "changed"), in the order they happened. */
  patches: AppliedPatch[];
  /** attack_events rows per prefix, in insertion order. */
  attackEvents: Record<string, Row[]>;
  withdrawals: Record<string, Row[]>;
  webhooks: Row[];
  calmStatus: Row[];
  /** notification_log rows (kind, prefix, state), worker start-up messages left out. */
  notificationLog: string[];
  /** Telegram messages as "kind prefix", sorted; worker start-up messages counted apart. */
  telegram: string[];
}

export interface CapturedOutcome extends ComparableOutcome {
  /** Every PATCH the simulator saw, failed ones included. */
  patchLog: PatchLogEntry[];
  telegramStarts: number;
  /** Every Telegram message's plain text, in delivery order. */
  telegramTexts: string[];
  /** Raw rows for timing checks. */
  rawWithdrawals: Row[];
  rawAttackEvents: Row[];
  rawNotificationLog: Row[];
}

const TIME_COLUMNS = new Set([
  'created_at',
  'advertised_at',
  'attack_ended_at',
  'withdrawn_at',
  'received_at',
  'calm_since',
  'last_updated',
  'updated_at',
]);
/** Derived from timestamps (seconds between two of them): presence is kept, the value varies with cycle timing. */
const DURATION_COLUMNS = new Set(['attack_duration_seconds', 'protection_duration_seconds', 'calm_minutes']);
/** Fields of our WITHDRAW rows' raw_payload that are times or depend on the exact cycle a decision fell on. */
const VOLATILE_PAYLOAD = new Set(['eventId', 'calmMs', 'calmMinutes', 'advertisedAt', 'attackEndedAt']);

const presence = (v: unknown): 'set' | null => (v === null || v === undefined ? null : 'set');

function normaliseRow(row: Row, drop: readonly string[] = []): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    if (k === 'id' || drop.includes(k)) continue;
    if (TIME_COLUMNS.has(k) || DURATION_COLUMNS.has(k)) out[k] = presence(v);
    else if (k === 'raw_payload' || k === 'payload') out[k] = normalisePayload(v);
    else out[k] = v;
  }
  return out;
}

function normalisePayload(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  let json: unknown;
  try {
    json = JSON.parse(v);
  } catch {
    return v;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return json;
  const o = json as Record<string, unknown>;
  // Our own rows carry an eventId; webhooks' payloads are Cloudflare's and are kept verbatim.
  if (!('eventId' in o)) return o;
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(o)) {
    if (VOLATILE_PAYLOAD.has(k)) out[k] = presence(val);
    else if (k === 'peak' && val && typeof val === 'object') {
      const { atMs, firstAttackAtMs, ...rest } = val as Record<string, unknown>;
      out[k] = { ...rest, atMs: presence(atMs), firstAttackAtMs: presence(firstAttackAtMs) };
    } else out[k] = val;
  }
  return out;
}

function byPrefix(rows: Row[]): Record<string, Row[]> {
  const out: Record<string, Row[]> = {};
  for (const r of rows) {
    const key = typeof r.prefix === 'string' ? r.prefix : '(none)';
    (out[key] ??= []).push(normaliseRow(r));
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

const TITLES: Array<[RegExp, string]> = [
  [/AUTO-WITHDRAW WORKER STARTED/, 'worker_started'],
  [/PREFIX AUTO-WITHDRAWN/, 'prefix_withdrawn'],
  [/MANUAL PREFIX WITHDRAWAL/, 'prefix_withdrawn_manual'],
  [/WITHDRAWAL FAILED/, 'withdraw_failed'],
  [/TRAFFIC DATA LOST/, 'telemetry_lost'],
  [/TRAFFIC DATA RESTORED/, 'telemetry_restored'],
  [/WITHDRAW SKIPPED — PREFIX LOCKED/, 'withdraw_skipped_locked'],
  [/NEW ATTACKS? MITIGATED/, 'network_attacks_detected'],
  [/PREFIX ADVERTISEMENT/, 'prefix_advertised'],
];

export function messageKind(m: Pick<RecordedMessage, 'plainText'>): string {
  for (const [re, kind] of TITLES) if (re.test(m.plainText)) return kind;
  return `other:${m.plainText.split('\n').find((l) => l.trim() !== '') ?? ''}`;
}

export function messagePrefix(m: Pick<RecordedMessage, 'plainText'>): string {
  return PREFIXES.find((p) => m.plainText.includes(p.cidr))?.cidr ?? '-';
}

export function describeMessage(m: Pick<RecordedMessage, 'plainText'>): string {
  return `${messageKind(m)} ${messagePrefix(m)}`;
}

export function captureOutcome(input: {
  databasePath: string;
  patchLog: readonly PatchLogEntry[];
  messages: readonly RecordedMessage[];
}): CapturedOutcome {
  const db = new Database(input.databasePath, { readonly: true });
  try {
    const all = (sql: string) => db.prepare(sql).all() as Row[];
    const rawAttackEvents = all('SELECT * FROM attack_events ORDER BY id');
    const rawWithdrawals = all('SELECT * FROM withdrawal_history ORDER BY id');
    const rawNotificationLog = all('SELECT * FROM notification_log ORDER BY created_at, key');
    const webhooks = all(
      'SELECT alert_type, event_state, alert_id, policy_id, policy_name, target_ip, target_prefix, action_taken, payload FROM webhook_events ORDER BY id',
    ).map((r) => normaliseRow(r));
    const calmStatus = all('SELECT prefix, advertised, under_attack FROM prefix_calm_status ORDER BY prefix');
    const patches = input.patchLog
      .filter((p) => p.outcome === 'changed')
      .map((p) => ({ prefix: p.cidr ?? p.bgpPrefixId, body: { on_demand: { advertised: p.advertised } } }));
    const kinds = input.messages.map(describeMessage);
    return {
      patches,
      attackEvents: byPrefix(rawAttackEvents),
      withdrawals: byPrefix(rawWithdrawals),
      webhooks,
      calmStatus,
      notificationLog: rawNotificationLog
        .filter((r) => r.kind !== 'worker_started')
        .map((r) => `${String(r.kind)} ${typeof r.prefix === 'string' ? r.prefix : '-'} ${String(r.state)}`)
        .sort(),
      telegram: kinds.filter((k) => !k.startsWith('worker_started')).sort(),
      patchLog: [...input.patchLog],
      telegramStarts: kinds.filter((k) => k.startsWith('worker_started')).length,
      telegramTexts: input.messages.map((m) => m.plainText),
      rawWithdrawals,
      rawAttackEvents,
      rawNotificationLog,
    };
  } finally {
    db.close();
  }
}

/** Only the fields that must match between runs. */
export function comparable(o: ComparableOutcome): ComparableOutcome {
  return {
    patches: o.patches,
    attackEvents: o.attackEvents,
    withdrawals: o.withdrawals,
    webhooks: o.webhooks,
    calmStatus: o.calmStatus,
    notificationLog: o.notificationLog,
    telegram: o.telegram,
  };
}
