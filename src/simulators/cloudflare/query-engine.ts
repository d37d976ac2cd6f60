// Evaluates an adaptive-groups node over samples: filter (all operators, AND/OR), group by dimensions, sum, order, limit.
// Every function takes the node's dimension table (default: the MT node's).
import { GraphQLError } from 'graphql';
import { AVG_DIVISORS, DIMENSION_TYPES, type DimensionScalar } from './schema';
import type { DimensionValue, Sample } from './traffic';

export interface GroupRow {
  sum: { packets: number; bits: number };
  avg: Record<string, number>;
  dimensions: Record<string, DimensionValue>;
}

type Filter = Record<string, unknown>;
type Types = ReadonlyMap<string, DimensionScalar>;

const SUFFIXES = ['_notlike', '_notin', '_like', '_neq', '_geq', '_leq', '_gt', '_lt', '_in'];

function splitKey(key: string, types: Types): { name: string; op: string } {
  for (const s of SUFFIXES) {
    if (key.endsWith(s) && types.has(key.slice(0, -s.length))) return { name: key.slice(0, -s.length), op: s };
  }
  if (types.has(key)) return { name: key, op: '' };
  throw new GraphQLError(`unknown filter field ${key}`);
}

function defaultOf(type: DimensionScalar): DimensionValue {
  return type === 'string' || type === 'Time' || type === 'Date' ? '' : 0;
}

export function dimensionValue(sample: Sample, name: string, types: Types = DIMENSION_TYPES): DimensionValue {
  const v = sample.dims[name];
  return v ?? defaultOf(types.get(name) ?? 'string');
}

function comparable(type: DimensionScalar, v: unknown): number | string {
  if (type === 'Time') return typeof v === 'string' ? Date.parse(v) : NaN;
  if (type === 'string' || type === 'Date') return String(v);
  return Number(v);
}

function likeToRegExp(pattern: string): RegExp {
  const body = [...pattern]
    .map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 's');
}

function test(op: string, type: DimensionScalar, actual: DimensionValue, expected: unknown): boolean {
  const a = comparable(type, actual);
  const list = () => (Array.isArray(expected) ? expected.map((e) => comparable(type, e)) : []);
  switch (op) {
    case '':
      return a === comparable(type, expected);
    case '_neq':
      return a !== comparable(type, expected);
    case '_gt':
      return a > comparable(type, expected);
    case '_geq':
      return a >= comparable(type, expected);
    case '_lt':
      return a < comparable(type, expected);
    case '_leq':
      return a <= comparable(type, expected);
    case '_in':
      return list().includes(a);
    case '_notin':
      return !list().includes(a);
    case '_like':
      return likeToRegExp(String(expected)).test(String(actual));
    case '_notlike':
      return !likeToRegExp(String(expected)).test(String(actual));
    default:
      throw new GraphQLError(`unsupported filter operator ${op}`);
  }
}

export function matches(sample: Sample, filter: Filter, types: Types = DIMENSION_TYPES): boolean {
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined || value === null) continue;
    if (key === 'AND') {
      if (!(value as Filter[]).every((f) => matches(sample, f, types))) return false;
      continue;
    }
    if (key === 'OR') {
      const subs = value as Filter[];
      if (subs.length > 0 && !subs.some((f) => matches(sample, f, types))) return false;
      continue;
    }
    const { name, op } = splitKey(key, types);
    const type = types.get(name) ?? 'string';
    if (!test(op, type, dimensionValue(sample, name, types), value)) return false;
  }
  return true;
}

/** The [from, to) the filter confines `datetime` to (top level and AND only: OR can only widen). */
export function timeBounds(filter: Filter): { fromMs?: number; toMs?: number } {
  let fromMs: number | undefined;
  let toMs: number | undefined;
  const visit = (f: Filter) => {
    const at = (k: string) => (typeof f[k] === 'string' ? Date.parse(f[k]) : NaN);
    const lower = Math.max(...[at('datetime_geq'), at('datetime_gt') + 1, at('datetime')].filter(Number.isFinite));
    const upper = Math.min(...[at('datetime_lt'), at('datetime_leq') + 1, at('datetime') + 1].filter(Number.isFinite));
    if (Number.isFinite(lower)) fromMs = Math.max(fromMs ?? -Infinity, lower);
    if (Number.isFinite(upper)) toMs = Math.min(toMs ?? Infinity, upper);
    if (Array.isArray(f.AND)) (f.AND as Filter[]).forEach(visit);
  };
  visit(filter);
  return { ...(fromMs !== undefined ? { fromMs } : {}), ...(toMs !== undefined ? { toMs } : {}) };
}

interface OrderKey {
  kind: 'sum' | 'avg' | 'dim';
  field: string;
  desc: boolean;
}

function parseOrder(value: string, dimensions: readonly string[]): OrderKey {
  const desc = value.endsWith('_DESC');
  const field = value.replace(/_(ASC|DESC)$/, '');
  if (field === 'sum_packets' || field === 'sum_bits') return { kind: 'sum', field: field.slice(4), desc };
  if (field.startsWith('avg_') && field.slice(4) in AVG_DIVISORS) return { kind: 'avg', field: field.slice(4), desc };
  if (dimensions.includes(field)) return { kind: 'dim', field, desc };
  throw new GraphQLError(`cannot order by ${field}: it is not one of the requested dimensions`);
}

function orderValue(row: GroupRow, key: OrderKey, types: Types): number | string {
  if (key.kind === 'sum') return key.field === 'packets' ? row.sum.packets : row.sum.bits;
  if (key.kind === 'avg') return row.avg[key.field] ?? 0;
  const type = types.get(key.field) ?? 'string';
  return comparable(type, row.dimensions[key.field]);
}

export function groupSamples(
  samples: readonly Sample[],
  query: { filter: Filter; limit: number; orderBy: readonly string[]; dimensions: readonly string[] },
  types: Types = DIMENSION_TYPES,
): GroupRow[] {
  const order = query.orderBy.map((v) => parseOrder(v, query.dimensions));
  const groups = new Map<string, GroupRow>();
  for (const sample of samples) {
    if (!matches(sample, query.filter, types)) continue;
    const dims = query.dimensions.map((d) => dimensionValue(sample, d, types));
    const key = JSON.stringify(dims);
    let row = groups.get(key);
    if (!row) {
      row = {
        sum: { packets: 0, bits: 0 },
        avg: {},
        dimensions: Object.fromEntries(query.dimensions.map((d, i) => [d, dims[i]!])),
      };
      groups.set(key, row);
    }
    row.sum.packets += sample.packets;
    row.sum.bits += sample.bits;
  }
  const rows = [...groups.entries()];
  for (const [, row] of rows) {
    for (const [name, seconds] of Object.entries(AVG_DIVISORS)) {
      row.avg[name] = Math.floor((name.startsWith('bit') ? row.sum.bits : row.sum.packets) / seconds);
    }
  }
  rows.sort(([ka, a], [kb, b]) => {
    for (const key of order) {
      const va = orderValue(a, key, types);
      const vb = orderValue(b, key, types);
      if (va !== vb) return (va < vb ? -1 : 1) * (key.desc ? -1 : 1);
    }
    // Ties break on the group key so equal answers come back in the same order every time.
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  return rows.slice(0, query.limit).map(([, row]) => row);
}
