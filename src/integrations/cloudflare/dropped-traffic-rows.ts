// Reads the rows of a dropped-traffic answer: shape checks, uint64 numbers, subnet and address text.
import { cidrOfAddress, parseIp, type ParsedCidr, type ParsedIp } from '../../domain/cidr';
import { isRecord } from './body';

/** ipDestinationSubnet is computed as /24 (IPv4) and /64 (IPv6). */
export const SUBNET_BITS = { 4: 24, 6: 64 } as const;

export interface Row {
  packets: number;
  bits: number;
  key: string;
  system: string;
}

export interface Sums {
  packets: number;
  bits: number;
}

/** The answer did not have the shape we asked for; carries a short reason for the operator message. */
export class ShapeProblem extends Error {
  override readonly name = 'ShapeProblem';
}

/** uint64 arrives as a JSON number or a numeric string. */
export function toCount(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  throw new ShapeProblem(`${what} is not a non-negative number`);
}

export function groupsOf(account: Record<string, unknown>, alias: string): unknown[] {
  const groups = account[alias];
  if (!Array.isArray(groups)) throw new ShapeProblem(`node "${alias}" is missing`);
  return groups;
}

export function toRow(group: unknown, alias: string, keyField: string): Row {
  if (!isRecord(group) || !isRecord(group.sum)) throw new ShapeProblem(`a "${alias}" row has no sum`);
  const dims = isRecord(group.dimensions) ? group.dimensions : {};
  const key = dims[keyField];
  return {
    packets: toCount(group.sum.packets, `${alias}.sum.packets`),
    bits: toCount(group.sum.bits, `${alias}.sum.bits`),
    key: typeof key === 'string' ? key : '',
    system: typeof dims.mitigationSystem === 'string' ? dims.mitigationSystem : '',
  };
}

export function sumRows(rows: readonly Row[]): Sums {
  return rows.reduce((acc, r) => ({ packets: acc.packets + r.packets, bits: acc.bits + r.bits }), {
    packets: 0,
    bits: 0,
  });
}

/** The subnet format is unconfirmed: "192.0.2.0/24", bare "192.0.2.0" (implied /24 or /64), any canonicalisable form. */
export function parseSubnet(text: string): ParsedCidr | null {
  try {
    if (text.includes('/')) {
      const [addr = '', len = '', extra] = text.split('/');
      if (extra !== undefined || !/^\d{1,3}$/.test(len)) return null;
      return cidrOfAddress(addr, Number(len));
    }
    const ip = parseIp(text);
    return cidrOfAddress(text, SUBNET_BITS[ip.family]);
  } catch {
    return null;
  }
}

export function tryParseIp(text: string): ParsedIp | null {
  try {
    return parseIp(text);
  } catch {
    return null;
  }
}

export function firstAccount(data: unknown): Record<string, unknown> | null {
  if (!isRecord(data) || !isRecord(data.viewer)) throw new ShapeProblem('data.viewer is missing');
  const accounts = data.viewer.accounts;
  if (!Array.isArray(accounts)) throw new ShapeProblem('viewer.accounts is not a list');
  const account: unknown = accounts[0];
  if (account === undefined) return null;
  if (!isRecord(account)) throw new ShapeProblem('viewer.accounts[0] is not an object');
  return account;
}

export interface AccountDrops {
  total: Sums;
  /** Dropped traffic per /24 or /64 subnet and mitigation system. */
  rows: Row[];
  newestSampleMs: number | null;
}

/** Reads the `total`, `rows` and `newest` nodes; null when Cloudflare returned no account at all. */
export function readAccountDrops(data: unknown): AccountDrops | null {
  const account = firstAccount(data);
  if (account === null) return null;
  // With no dimensions the node is one aggregate row, or no row at all when nothing was dropped.
  const total = sumRows(groupsOf(account, 'total').map((g) => toRow(g, 'total', '')));
  const rows = groupsOf(account, 'rows').map((g) => toRow(g, 'rows', 'ipDestinationSubnet'));
  const newest = groupsOf(account, 'newest')[0];
  if (newest === undefined) return { total, rows, newestSampleMs: null };
  const minute = isRecord(newest) && isRecord(newest.dimensions) ? newest.dimensions.datetimeMinute : undefined;
  const ms = typeof minute === 'string' ? Date.parse(minute) : NaN;
  if (!Number.isFinite(ms)) throw new ShapeProblem('newest.dimensions.datetimeMinute is not a time');
  return { total, rows, newestSampleMs: ms };
}

/** Reads the `addresses` node of the address-level query; null when there is no account. */
export function readAddressRows(data: unknown): Row[] | null {
  const account = firstAccount(data);
  return account === null
    ? null
    : groupsOf(account, 'addresses').map((g) => toRow(g, 'addresses', 'ipDestinationAddress'));
}
