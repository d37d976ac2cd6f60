// Classifies one Cloudflare notification webhook: test message or alert, its dedupe identity, the attack_events rows
// it stands for (the operators' action_taken vocabulary), the prefix it targets and the prefixes it says are advertised.
import { cidrContainsCidr, cidrContainsIp, cidrOfAddress, cidrsOverlap, parseIp, type ParsedCidr } from './cidr';

export const ALERT_STATE_START = 'ALERT_STATE_EVENT_START';
export const ALERT_STATE_END = 'ALERT_STATE_EVENT_END';

/** Alerts of a DDoS attack Cloudflare is mitigating (traffic already flows through Cloudflare). */
export const DDOS_ALERT_TYPES: ReadonlySet<string> = new Set([
  'dos_attack_l4',
  'dos_attack_l7',
  'advanced_ddos_attack_l4_alert',
  'advanced_ddos_attack_l7_alert',
]);

/** Magic Network Monitoring (flow-based) attack alerts: notified, not necessarily mitigated. */
export const MNM_ATTACK_ALERT_TYPES: ReadonlySet<string> = new Set(['fbm_dosd_attack', 'fbm_volumetric_attack']);

export const AUTO_ADVERTISEMENT_ALERT_TYPE = 'fbm_auto_advertisement';

/** advertise_status[].status values meaning "this prefix is advertised now" (compared lower-case). */
const ADVERTISED_STATUSES = new Set(['advertised', 'already advertised', 'already_advertised', 'success', 'active']);

export type AttackEventType = 'START' | 'END' | 'ADVERTISE';

/** attack_events.action_taken values the receiver writes. */
export type WebhookActionTaken = 'mitigating' | 'notified' | 'notified_autowithdraw_handles' | 'auto_advertised';

/** One attack_events row the webhook stands for (created_at and raw_payload are the store's business). */
export interface WebhookAttackEvent {
  eventType: AttackEventType;
  alertType: string | null;
  attackId: string | null;
  policyId: string | null;
  policyName: string | null;
  prefix: string | null;
  targetIp: string | null;
  targetPort: number | null;
  protocol: string | null;
  /** data.attack_vector, falling back to data.attack_type (MNM alerts carry only the latter). */
  attackVector: string | null;
  /** Verbatim text, as the operators' receiver stored it. */
  packetsPerSecond: string | null;
  megabitsPerSecond: string | null;
  severity: string | null;
  actionTaken: WebhookActionTaken;
}

export interface WebhookAlert {
  alertType: string | null;
  /** Top-level alert_event verbatim (ALERT_STATE_EVENT_START / _END), or null when absent. */
  eventState: string | null;
  /** data.attack_id, else alert_correlation_id; null when neither exists (the store then uses a content hash). */
  alertId: string | null;
  alertIdSource: 'attack_id' | 'alert_correlation_id' | null;
  policyId: string | null;
  policyName: string | null;
  targetIp: string | null;
  /** The most specific configured prefix containing the target (target_ip, else data.prefix, else advertise_status). */
  targetPrefix: string | null;
  attackEvents: WebhookAttackEvent[];
  /** Configured prefixes this alert says are (being) advertised: the supervisor should reconcile now. */
  advertisedPrefixes: string[];
  /** Canonical JSON of the whole payload (sorted keys): the dedupe identity when there is no alert id. */
  contentKey: string;
  /**
   * Why this looks like a notification Cloudflare sends from "Send test notification" (a loopback target, "fake-"
   * placeholders), or null for a real alert. A test is stored as a webhook only: no attack event, no reconcile.
   */
  testReason: string | null;
}

export type ClassifiedWebhook = { kind: 'test'; text: string } | { kind: 'alert'; alert: WebhookAlert };

export type ClassifyResult = { ok: true; webhook: ClassifiedWebhook } | { ok: false; problem: string };

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A non-empty trimmed string, or null. */
function text(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const t = v.trim();
  return t === '' ? null : t;
}

/** Numbers and strings as the text the operators' columns hold ("750000", "1.2 Mpps"). */
function verbatim(v: unknown): string | null {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return text(v);
}

function port(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v.trim()) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= 65_535 ? n : null;
}

function truthy(v: unknown): boolean {
  return v === true || (typeof v === 'string' && v.trim().toLowerCase() === 'true');
}

/** JSON text with object keys sorted at every level, so equal documents give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** An address or prefix as a CIDR ("185.54.82.10" → /32, "185.54.82.4/32" kept); null when it is neither. */
export function toCidr(value: string): ParsedCidr | null {
  try {
    const [address = '', length, extra] = value.trim().split('/');
    if (extra !== undefined) return null;
    if (length === undefined) return cidrOfAddress(address, parseIp(address).family === 4 ? 32 : 128);
    // Alerts may name a host inside the prefix ("185.54.82.10/24"): host bits are tolerated here.
    return /^\d{1,3}$/.test(length) ? cidrOfAddress(address, Number(length)) : null;
  } catch {
    return null;
  }
}

/** The most specific configured prefix containing the address or prefix; null when none does. */
export function containingPrefix(value: string | null, prefixes: readonly string[]): string | null {
  if (value === null) return null;
  const target = toCidr(value);
  if (!target) return null;
  let best: { text: string; length: number } | null = null;
  for (const p of prefixes) {
    const cidr = toCidr(p);
    if (!cidr || !cidrContainsCidr(cidr, target)) continue;
    if (!best || cidr.length > best.length) best = { text: p, length: cidr.length };
  }
  return best?.text ?? null;
}

/** Configured prefixes sharing any address with the given address or prefix. */
export function overlappingPrefixes(value: string | null, prefixes: readonly string[]): string[] {
  if (value === null) return [];
  const target = toCidr(value);
  if (!target) return [];
  return prefixes.filter((p) => {
    const cidr = toCidr(p);
    return cidr !== null && cidrsOverlap(cidr, target);
  });
}

function advertiseStatuses(data: Json): Array<{ prefix: string; status: string }> {
  const list = data.advertise_status;
  if (!Array.isArray(list)) return [];
  return list
    .filter(isRecord)
    .map((e) => ({ prefix: text(e.prefix) ?? '', status: (text(e.status) ?? '').toLowerCase() }))
    .filter((e) => e.prefix !== '');
}

const LOOPBACK = ['127.0.0.0/8', '::1/128', '::ffff:127.0.0.0/104'];

/** 127.0.0.0/8, ::1 (and the IPv4-mapped form): no real attack targets them. */
function isLoopback(value: string | null): boolean {
  if (value === null) return false;
  try {
    const ip = parseIp(value.split('/')[0] ?? '');
    return LOOPBACK.some((c) => cidrContainsIp(c, ip));
  } catch {
    return false;
  }
}

const PLACEHOLDER = /^fake[-_ ]/i;

/** The marks of Cloudflare's test notification: a loopback target, or "fake-" placeholder values. */
function testAlertReason(data: Json): string | null {
  const target = text(data.target_ip);
  if (isLoopback(target)) return `target_ip ${target} is a loopback address`;
  for (const key of ['attack_vector', 'attack_type', 'rule_name']) {
    const v = text(data[key]);
    if (v !== null && PLACEHOLDER.test(v)) return `${key} "${v}" is a placeholder`;
  }
  return null;
}

function ipOf(value: string | null): string | null {
  if (value === null) return null;
  const bare = value.split('/')[0] ?? '';
  try {
    parseIp(bare);
    return bare;
  } catch {
    return null;
  }
}

/**
 * Parses a webhook body (already JSON-decoded). Cloudflare's "Save and Test" message carries only `text`; anything
 * else must look like a notification (alert_type, alert_event or data). Unknown fields are kept in the payload.
 */
export function classifyWebhook(payload: unknown, prefixes: readonly string[]): ClassifyResult {
  if (!isRecord(payload)) return { ok: false, problem: 'the payload must be a JSON object' };
  for (const key of ['alert_type', 'alert_event', 'alert_correlation_id', 'policy_id', 'policy_name', 'text']) {
    const v = payload[key];
    if (v !== undefined && v !== null && typeof v !== 'string')
      return { ok: false, problem: `${key} must be a string` };
  }
  if (payload.data !== undefined && payload.data !== null && !isRecord(payload.data))
    return { ok: false, problem: 'data must be a JSON object' };

  const alertType = text(payload.alert_type);
  const eventState = text(payload.alert_event);
  const hasData = isRecord(payload.data);
  if (alertType === null && eventState === null && !hasData) {
    if (typeof payload.text === 'string') return { ok: true, webhook: { kind: 'test', text: payload.text } };
    return { ok: false, problem: 'not a Cloudflare notification: it has no alert_type, alert_event, data or text' };
  }
  const data: Json = hasData ? (payload.data as Json) : {};

  const attackId = text(data.attack_id);
  const correlationId = text(payload.alert_correlation_id);
  const alertId = attackId ?? correlationId;
  const policyId = text(payload.policy_id);
  const policyName = text(payload.policy_name) ?? text(payload.name);
  const targetIp = text(data.target_ip);
  const statuses = advertiseStatuses(data);
  const targetPrefix =
    containingPrefix(targetIp, prefixes) ??
    containingPrefix(text(data.prefix), prefixes) ??
    statuses.map((s) => containingPrefix(s.prefix, prefixes)).find((p) => p !== null) ??
    null;

  const isEnd = eventState === ALERT_STATE_END;
  // No alert_event at all is how the older alert types arrive: the operators' receiver treated them as a start.
  const isStart = eventState === null || eventState === ALERT_STATE_START;
  const isDdos = alertType !== null && DDOS_ALERT_TYPES.has(alertType);
  const isMnm = alertType !== null && MNM_ATTACK_ALERT_TYPES.has(alertType);
  const testReason = testAlertReason(data);

  const base = {
    alertType,
    attackId: alertId,
    policyId,
    policyName,
    targetIp,
    targetPort: port(data.target_port),
    protocol: text(data.protocol),
    attackVector: text(data.attack_vector) ?? text(data.attack_type),
    packetsPerSecond: verbatim(data.packets_per_second) ?? verbatim(data.max_rate),
    megabitsPerSecond: verbatim(data.megabits_per_second),
    severity: text(data.severity),
  };

  const attackEvents: WebhookAttackEvent[] = [];
  if ((isDdos || isMnm) && (isStart || isEnd) && testReason === null) {
    attackEvents.push({
      ...base,
      eventType: isEnd ? 'END' : 'START',
      prefix: targetPrefix,
      actionTaken: isEnd ? 'notified_autowithdraw_handles' : isDdos ? 'mitigating' : 'notified',
    });
  }

  const advertised = new Set<string>();
  if (alertType === AUTO_ADVERTISEMENT_ALERT_TYPE && testReason === null) {
    for (const s of statuses.filter((x) => ADVERTISED_STATUSES.has(x.status))) {
      const cidr = toCidr(s.prefix);
      attackEvents.push({
        ...base,
        eventType: 'ADVERTISE',
        prefix: cidr ? cidr.canonical : s.prefix,
        targetIp: null,
        actionTaken: 'auto_advertised',
      });
    }
  }
  if (!isEnd && testReason === null) {
    for (const s of statuses.filter((x) => ADVERTISED_STATUSES.has(x.status)))
      overlappingPrefixes(s.prefix, prefixes).forEach((p) => advertised.add(p));
    if (isMnm && truthy(data.auto_advertised)) {
      overlappingPrefixes(text(data.prefix), prefixes).forEach((p) => advertised.add(p));
      const viaIp = containingPrefix(ipOf(targetIp), prefixes);
      if (viaIp) advertised.add(viaIp);
    }
    // Cloudflare only mitigates (and alerts on) traffic it receives: the prefix is advertised now.
    if (isDdos) {
      const viaIp = containingPrefix(ipOf(targetIp), prefixes);
      if (viaIp) advertised.add(viaIp);
    }
  }

  return {
    ok: true,
    webhook: {
      kind: 'alert',
      alert: {
        alertType,
        eventState,
        alertId,
        alertIdSource: attackId !== null ? 'attack_id' : correlationId !== null ? 'alert_correlation_id' : null,
        policyId,
        policyName,
        targetIp,
        targetPrefix,
        attackEvents,
        advertisedPrefixes: [...advertised].sort(),
        contentKey: canonicalJson(payload),
        testReason,
      },
    },
  };
}

/** True when `ip` (text) lies inside one of the prefixes. */
export function isInPrefixes(ip: string, prefixes: readonly string[]): boolean {
  const bare = ipOf(ip);
  return bare !== null && prefixes.some((p) => cidrContainsIp(p, bare));
}
