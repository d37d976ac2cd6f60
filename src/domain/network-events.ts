// Dropped-traffic events of the dosd analytics node: one row per sample group, its dedupe key (the operators' monitor
// hashed the same five fields) and the per-attack summary a monitor run announces.

/** The dimensions the monitor asks for, in the order they are selected. */
export const NETWORK_EVENT_DIMENSIONS = [
  'datetime',
  'attackId',
  'attackVector',
  'ruleName',
  'ruleId',
  'mitigationReason',
  'outcome',
  'ipSourceAddress',
  'sourcePort',
  'sourceAsn',
  'sourceAsnName',
  'sourceCountry',
  'ipDestinationAddress',
  'destinationPort',
  'ipProtocolName',
  'tcpFlagsString',
  'coloCode',
  'coloCountry',
] as const;

export interface NetworkEvent {
  /** Cloudflare's datetime verbatim (RFC 3339); the hash is computed over this text. */
  datetime: string;
  datetimeMs: number;
  attackId: string | null;
  attackVector: string | null;
  ruleName: string | null;
  ruleId: string | null;
  mitigationReason: string | null;
  outcome: string | null;
  sourceIp: string | null;
  sourcePort: number | null;
  sourceAsn: number | null;
  sourceAsnName: string | null;
  sourceCountry: string | null;
  destinationIp: string | null;
  destinationPort: number | null;
  protocol: string | null;
  tcpFlags: string | null;
  coloCode: string | null;
  coloCountry: string | null;
  packets: number;
  bits: number;
  /** The group as Cloudflare returned it ({dimensions, sum}), kept in raw_data. */
  raw: Record<string, unknown>;
  /** Text the dedupe hash is computed over (see eventHashKey). */
  hashKey: string;
}

/** The answer did not have the shape asked for. */
export class NetworkEventShapeError extends Error {
  override readonly name = 'NetworkEventShapeError';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Python's f-string rendering, which the operators' monitor hashed: absent → "None", numbers and strings as is. */
function pyText(v: unknown): string {
  if (v === undefined || v === null) return 'None';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean')
    return typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v);
  return JSON.stringify(v);
}

/**
 * `datetime|attackId|ipSourceAddress|ipDestinationAddress|destinationPort`: the text the operators' monitor hashed
 * (SHA-256, first 32 hex digits), so rows it already stored are recognised after the switch-over.
 */
export function eventHashKey(dimensions: Record<string, unknown>): string {
  return ['datetime', 'attackId', 'ipSourceAddress', 'ipDestinationAddress', 'destinationPort']
    .map((k) => pyText(dimensions[k]))
    .join('|');
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function int(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return null;
}

function count(v: unknown, what: string): number {
  const n = int(v);
  if (n === null || n < 0) throw new NetworkEventShapeError(`${what} is not a non-negative number`);
  return n;
}

/** One dosd group ({dimensions, sum}) as a NetworkEvent; throws NetworkEventShapeError on a malformed group. */
export function toNetworkEvent(group: unknown): NetworkEvent {
  if (!isRecord(group) || !isRecord(group.dimensions) || !isRecord(group.sum))
    throw new NetworkEventShapeError('a row has no dimensions or sum');
  const d = group.dimensions;
  const datetime = str(d.datetime);
  const datetimeMs = datetime === null ? NaN : Date.parse(datetime);
  if (datetime === null || !Number.isFinite(datetimeMs))
    throw new NetworkEventShapeError(`datetime ${JSON.stringify(d.datetime)} is not a time`);
  return {
    datetime,
    datetimeMs,
    attackId: str(d.attackId),
    attackVector: str(d.attackVector),
    ruleName: str(d.ruleName),
    ruleId: str(d.ruleId),
    mitigationReason: str(d.mitigationReason),
    outcome: str(d.outcome),
    sourceIp: str(d.ipSourceAddress),
    sourcePort: int(d.sourcePort),
    sourceAsn: int(d.sourceAsn),
    sourceAsnName: str(d.sourceAsnName),
    sourceCountry: str(d.sourceCountry),
    destinationIp: str(d.ipDestinationAddress),
    destinationPort: int(d.destinationPort),
    protocol: str(d.ipProtocolName),
    tcpFlags: str(d.tcpFlagsString),
    coloCode: str(d.coloCode),
    coloCountry: str(d.coloCountry),
    packets: count(group.sum.packets, 'sum.packets'),
    bits: count(group.sum.bits, 'sum.bits'),
    raw: { dimensions: d, sum: group.sum },
    hashKey: eventHashKey(d),
  };
}

/**
 * Which attack an event belongs to: its attack ID, or (rows without one) its vector and destination address,
 * so unattributed drops to one target still count as one attack rather than one per row.
 */
export function attackKeyOf(e: Pick<NetworkEvent, 'attackId' | 'attackVector' | 'destinationIp'>): string {
  if (e.attackId !== null && e.attackId !== '') return `id:${e.attackId}`;
  return `unattributed:${e.attackVector ?? ''}|${e.destinationIp ?? ''}`;
}

export interface RankedValue {
  value: string;
  packets: number;
}

export interface AttackSummary {
  key: string;
  /** null for drops without an attack ID. */
  attackId: string | null;
  attackVector: string | null;
  ruleName: string | null;
  events: number;
  packets: number;
  bits: number;
  firstSeenMs: number;
  lastSeenMs: number;
  /** "ip:port" targets, most packets first (at most 3). */
  topTargets: RankedValue[];
  /** Source addresses with country / ASN, most packets first (at most 3). */
  topSources: RankedValue[];
  distinctSources: number;
  /** Cloudflare data centres ("FRA (DE)"), most packets first (at most 5). */
  colos: string[];
  protocols: string[];
}

function rank(tally: Map<string, number>, n: number): RankedValue[] {
  return [...tally.entries()]
    .sort(([va, a], [vb, b]) => b - a || (va < vb ? -1 : va > vb ? 1 : 0))
    .slice(0, n)
    .map(([value, packets]) => ({ value, packets }));
}

function add(tally: Map<string, number>, key: string | null, packets: number): void {
  if (key === null || key === '') return;
  tally.set(key, (tally.get(key) ?? 0) + packets);
}

/** Groups events per attack (biggest first): what one summary message says about each attack. */
export function summariseAttacks(events: readonly NetworkEvent[]): AttackSummary[] {
  const groups = new Map<string, NetworkEvent[]>();
  for (const e of events) {
    const key = attackKeyOf(e);
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const out: AttackSummary[] = [];
  for (const [key, list] of groups) {
    const targets = new Map<string, number>();
    const sources = new Map<string, number>();
    const colos = new Map<string, number>();
    const protocols = new Map<string, number>();
    const vectors = new Map<string, number>();
    const rules = new Map<string, number>();
    const distinct = new Set<string>();
    for (const e of list) {
      add(targets, e.destinationIp === null ? null : `${e.destinationIp}:${e.destinationPort ?? '?'}`, e.packets);
      if (e.sourceIp) {
        distinct.add(e.sourceIp);
        const where = [e.sourceCountry, e.sourceAsn ? `AS${e.sourceAsn}` : null].filter(Boolean).join(' ');
        add(sources, where ? `${e.sourceIp} (${where})` : e.sourceIp, e.packets);
      }
      add(colos, e.coloCode ? `${e.coloCode}${e.coloCountry ? ` (${e.coloCountry})` : ''}` : null, e.packets);
      add(protocols, e.protocol, e.packets);
      add(vectors, e.attackVector, e.packets);
      add(rules, e.ruleName, e.packets);
    }
    const first = list[0]!;
    out.push({
      key,
      attackId: first.attackId !== null && first.attackId !== '' ? first.attackId : null,
      attackVector: rank(vectors, 1)[0]?.value ?? null,
      ruleName: rank(rules, 1)[0]?.value ?? null,
      events: list.length,
      packets: list.reduce((s, e) => s + e.packets, 0),
      bits: list.reduce((s, e) => s + e.bits, 0),
      firstSeenMs: Math.min(...list.map((e) => e.datetimeMs)),
      lastSeenMs: Math.max(...list.map((e) => e.datetimeMs)),
      topTargets: rank(targets, 3),
      topSources: rank(sources, 3),
      distinctSources: distinct.size,
      colos: rank(colos, 5).map((r) => r.value),
      protocols: rank(protocols, 5).map((r) => r.value),
    });
  }
  return out.sort((a, b) => b.packets - a.packets || (a.key < b.key ? -1 : 1));
}
