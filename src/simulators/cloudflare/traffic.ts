// Scriptable, deterministic traffic model: flows become per-interval (default per-minute) samples; answers depend on the window and clock only.
import { cidrOfAddress, cidrSize, formatIp, parseCidr, parseIp, type IpFamily } from '../../domain/cidr';

export type MitigationSystem = 'dosd' | 'flowtrackd' | 'magic-firewall';
export type DimensionValue = string | number;

export interface FlowSpec {
  /** A prefix ("185.54.81.0/24") or one address ("185.54.81.7"). */
  destination: string;
  /** Distinct destination addresses, evenly spaced across the prefix (256 = every address of a /24); default 1. */
  spread?: number;
  startMs: number;
  /** Exclusive; default open-ended. */
  endMs?: number;
  packetsPerSecond: number;
  /** Default: packetsPerSecond × 8000 (1000-byte packets). */
  bitsPerSecond?: number;
  outcome: 'drop' | 'pass';
  /** Default "dosd" for drops, "" for passed traffic; any other text is passed through as is. */
  mitigationSystem?: MitigationSystem | (string & {});
  ipSourceAddress?: string;
  sourcePort?: number;
  destinationPort?: number;
  ipProtocolName?: string;
  tcpFlagsString?: string;
  coloCode?: string;
  coloCountry?: string;
  sourceAsn?: number;
  sourceAsnName?: string;
  sourceCountry?: string;
  /** Attack dimensions of the dosd node (samples of dosd-mitigated flows only appear there). */
  attackId?: string;
  attackVector?: string;
  ruleId?: string;
  ruleName?: string;
  mitigationReason?: string;
  /** Any other dimension, e.g. { coloCity: "Frankfurt", ipProtocol: 6 }. */
  dimensions?: Record<string, DimensionValue>;
  label?: string;
}

export interface Flow extends Readonly<FlowSpec> {
  readonly id: number;
}

export interface DarkPeriod {
  id: number;
  fromMs: number;
  untilMs: number;
  /** error: the analytics API fails while clock() is inside; no_data: samples stamped inside are missing. */
  mode: 'error' | 'no_data';
}

export interface Sample {
  timeMs: number;
  packets: number;
  bits: number;
  dims: Readonly<Record<string, DimensionValue>>;
}

export type SubnetFormat = 'cidr' | 'bare';

interface Prepared {
  flow: Flow;
  family: IpFamily;
  addresses: { address: string; subnet: string }[];
  bitsPerSecond: number;
  base: Record<string, DimensionValue>;
}

export interface TrafficModel {
  addFlow(spec: FlowSpec): number;
  addFlows(specs: readonly FlowSpec[]): number[];
  /** Steady passed traffic to one address of the prefix (keeps analytics "fresh"). */
  addBackground(
    destination: string,
    opts?: { packetsPerSecond?: number; bitsPerSecond?: number; startMs?: number; endMs?: number },
  ): number;
  addDarkPeriod(period: { fromMs: number; untilMs: number; mode?: DarkPeriod['mode'] }): number;
  removeFlow(id: number): boolean;
  clear(): void;
  flows(): readonly Flow[];
  darkPeriods(): readonly DarkPeriod[];
  /** The "error" dark period covering this instant, if any. */
  darkAt(nowMs: number): DarkPeriod | undefined;
  /** Samples stamped in [fromMs, toMs), built only from traffic before visibleUntilMs (the ingest cut). */
  samples(range: { fromMs: number; toMs: number }, visibleUntilMs: number): Sample[];
}

const MINUTE = 60_000;
const SUBNET_BITS = { 4: 24, 6: 64 } as const;
/** Bounds the work per flow; an attack over more addresses than this is spread over this many. */
const MAX_SPREAD = 65_536;

function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function floorTo(ms: number, step: number): number {
  return Math.floor(ms / step) * step;
}

export function timeDimensions(ms: number): Record<string, string> {
  return {
    datetime: isoSeconds(ms),
    datetimeTenSeconds: isoSeconds(floorTo(ms, 10_000)),
    datetimeMinute: isoSeconds(floorTo(ms, MINUTE)),
    datetimeFiveMinutes: isoSeconds(floorTo(ms, 5 * MINUTE)),
    datetimeFifteenMinutes: isoSeconds(floorTo(ms, 15 * MINUTE)),
    datetimeHour: isoSeconds(floorTo(ms, 60 * MINUTE)),
    date: new Date(ms).toISOString().slice(0, 10),
  };
}

function finite(v: unknown, what: string, min = 0): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min)
    throw new Error(`${what} must be a finite number ≥ ${min}`);
  return v;
}

function spreadAddresses(destination: string, spread: number, format: SubnetFormat) {
  let family: IpFamily;
  let first: bigint;
  let size: bigint;
  if (destination.includes('/')) {
    const cidr = parseCidr(destination);
    family = cidr.family;
    first = cidr.network;
    size = cidrSize(cidr);
  } else {
    const ip = parseIp(destination);
    family = ip.family;
    first = ip.value;
    size = 1n;
  }
  const n = BigInt(Math.min(spread, MAX_SPREAD)) > size ? size : BigInt(Math.min(spread, MAX_SPREAD));
  const addresses: { address: string; subnet: string }[] = [];
  for (let i = 0n; i < n; i += 1n) {
    const address = formatIp(family, first + (i * size) / n);
    const subnet = cidrOfAddress(address, SUBNET_BITS[family]);
    addresses.push({ address, subnet: format === 'cidr' ? subnet.canonical : formatIp(family, subnet.network) });
  }
  return { family, addresses };
}

const NAMED_DIMENSIONS = [
  'ipSourceAddress',
  'sourcePort',
  'destinationPort',
  'ipProtocolName',
  'tcpFlagsString',
  'coloCode',
  'coloCountry',
  'sourceAsn',
  'sourceAsnName',
  'sourceCountry',
  'attackId',
  'attackVector',
  'ruleId',
  'ruleName',
  'mitigationReason',
] as const;

function prepare(flow: Flow, format: SubnetFormat): Prepared {
  const { family, addresses } = spreadAddresses(flow.destination, flow.spread ?? 1, format);
  const base: Record<string, DimensionValue> = {
    outcome: flow.outcome,
    mitigationSystem: flow.mitigationSystem ?? (flow.outcome === 'drop' ? 'dosd' : ''),
    direction: 'inbound',
    ethertype: family === 4 ? 2048 : 34525,
    sampleInterval: 1,
  };
  for (const name of NAMED_DIMENSIONS) {
    const v = flow[name];
    if (v !== undefined) base[name] = v;
  }
  if (flow.ipSourceAddress !== undefined) {
    base.ipSourceSubnet = cidrOfAddress(
      flow.ipSourceAddress,
      SUBNET_BITS[parseIp(flow.ipSourceAddress).family],
    ).canonical;
  }
  Object.assign(base, flow.dimensions ?? {});
  return { flow, family, addresses, bitsPerSecond: flow.bitsPerSecond ?? flow.packetsPerSecond * 8000, base };
}

/** Whole units delivered in [flowStart, t) at `rate` per second: integer and additive across buckets. */
function cumulative(rate: number, flowStart: number, t: number): number {
  return Math.floor((rate * (t - flowStart)) / 1000);
}

export function createTrafficModel(
  opts: { subnetFormat?: SubnetFormat; sampleIntervalMs?: number } = {},
): TrafficModel {
  const format = opts.subnetFormat ?? 'cidr';
  // Real data arrives in per-minute buckets; demos and short-period tests use finer ones.
  const step = opts.sampleIntervalMs ?? MINUTE;
  if (!(step >= 1000 && step <= MINUTE && MINUTE % step === 0))
    throw new Error('sampleIntervalMs must divide a minute, ≥ 1000');
  let nextId = 1;
  const prepared = new Map<number, Prepared>();
  const dark = new Map<number, DarkPeriod>();

  function addFlow(spec: FlowSpec): number {
    finite(spec.startMs, 'startMs', -Infinity);
    if (spec.endMs !== undefined && !(spec.endMs > spec.startMs)) throw new Error('endMs must be after startMs');
    finite(spec.packetsPerSecond, 'packetsPerSecond');
    if (spec.bitsPerSecond !== undefined) finite(spec.bitsPerSecond, 'bitsPerSecond');
    if (spec.outcome !== 'drop' && spec.outcome !== 'pass') throw new Error('outcome must be "drop" or "pass"');
    if (spec.spread !== undefined && (!Number.isInteger(spec.spread) || spec.spread < 1)) {
      throw new Error('spread must be a positive integer');
    }
    const flow: Flow = { ...spec, id: nextId++ };
    prepared.set(flow.id, prepare(flow, format));
    return flow.id;
  }

  function samples(range: { fromMs: number; toMs: number }, visibleUntilMs: number): Sample[] {
    const out: Sample[] = [];
    const holes = [...dark.values()].filter((d) => d.mode === 'no_data');
    for (const p of prepared.values()) {
      const { flow } = p;
      // Traffic after the ingest cut does not exist yet; the window only selects which samples are returned.
      const end = Math.min(flow.endMs ?? Infinity, visibleUntilMs);
      const hi = Math.min(end, range.toMs);
      for (let bucket = floorTo(Math.max(flow.startMs, range.fromMs), step); bucket < hi; bucket += step) {
        const a = Math.max(bucket, flow.startMs);
        const b = Math.min(bucket + step, end);
        if (!(b > a) || a < range.fromMs || a >= range.toMs) continue;
        if (holes.some((h) => a >= h.fromMs && a < h.untilMs)) continue;
        const packets =
          cumulative(flow.packetsPerSecond, flow.startMs, b) - cumulative(flow.packetsPerSecond, flow.startMs, a);
        const bits = cumulative(p.bitsPerSecond, flow.startMs, b) - cumulative(p.bitsPerSecond, flow.startMs, a);
        const n = p.addresses.length;
        const times = timeDimensions(a);
        p.addresses.forEach((addr, i) => {
          // Integer split: the first (total mod n) addresses carry one extra unit.
          const share = (total: number) => Math.floor(total / n) + (i < total % n ? 1 : 0);
          const sp = share(packets);
          const sb = share(bits);
          if (sp === 0 && sb === 0) return;
          out.push({
            timeMs: a,
            packets: sp,
            bits: sb,
            dims: { ...p.base, ...times, ipDestinationAddress: addr.address, ipDestinationSubnet: addr.subnet },
          });
        });
      }
    }
    return out;
  }

  return {
    addFlow,
    addFlows: (specs) => specs.map(addFlow),
    addBackground(destination, o = {}) {
      return addFlow({
        destination,
        startMs: o.startMs ?? 0,
        ...(o.endMs !== undefined ? { endMs: o.endMs } : {}),
        packetsPerSecond: o.packetsPerSecond ?? 10,
        ...(o.bitsPerSecond !== undefined ? { bitsPerSecond: o.bitsPerSecond } : {}),
        outcome: 'pass',
        label: 'background',
      });
    },
    addDarkPeriod(period) {
      finite(period.fromMs, 'fromMs', -Infinity);
      if (!(period.untilMs > period.fromMs)) throw new Error('untilMs must be after fromMs');
      const d: DarkPeriod = {
        id: nextId++,
        fromMs: period.fromMs,
        untilMs: period.untilMs,
        mode: period.mode ?? 'error',
      };
      dark.set(d.id, d);
      return d.id;
    },
    removeFlow: (id) => prepared.delete(id) || dark.delete(id),
    clear() {
      prepared.clear();
      dark.clear();
    },
    flows: () => [...prepared.values()].map((p) => p.flow),
    darkPeriods: () => [...dark.values()],
    darkAt: (nowMs) => [...dark.values()].find((d) => d.mode === 'error' && nowMs >= d.fromMs && nowMs < d.untilMs),
    samples,
  };
}
