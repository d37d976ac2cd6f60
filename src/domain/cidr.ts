// Pure IPv4/IPv6 address and CIDR arithmetic on bigints: parsing, RFC 5952 canonical text, containment.

export type IpFamily = 4 | 6;

export interface ParsedIp {
  family: IpFamily;
  value: bigint;
}

export interface ParsedCidr {
  family: IpFamily;
  /** Network address (host bits are zero). */
  network: bigint;
  length: number;
  /** Lower-case, RFC 5952 compressed for IPv6, e.g. "2001:db8::/32". */
  canonical: string;
}

/** Thrown for any address or prefix that does not parse; the message names the offending input. */
export class CidrParseError extends Error {
  override readonly name = 'CidrParseError';
  constructor(
    readonly input: string,
    reason: string,
  ) {
    // A reason that already quotes the input reads best alone.
    super(reason.includes(input) && input !== '' ? reason : `${JSON.stringify(input)} is not valid: ${reason}`);
  }
}

const BITS: Record<IpFamily, number> = { 4: 32, 6: 128 };

export function familyBits(family: IpFamily): number {
  return BITS[family];
}

function describe(input: unknown): string {
  return typeof input === 'string' ? input : String(input);
}

function parseIpv4(s: string, input: string): bigint {
  const parts = s.split('.');
  if (parts.length !== 4) throw new CidrParseError(input, 'an IPv4 address has four dot-separated numbers');
  let value = 0n;
  for (const part of parts) {
    // Leading zeros are refused because some tools read them as octal.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) {
      throw new CidrParseError(input, `"${part}" is not a decimal number from 0 to 255`);
    }
    const n = Number(part);
    if (n > 255) throw new CidrParseError(input, `"${part}" is greater than 255`);
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseHexGroups(groups: string[], input: string): bigint[] {
  return groups.map((g) => {
    if (!/^[0-9a-f]{1,4}$/.test(g)) throw new CidrParseError(input, `"${g}" is not a 1-4 digit hex group`);
    return BigInt(`0x${g}`);
  });
}

function parseIpv6(raw: string, input: string): bigint {
  let s = raw.toLowerCase();
  if (s.includes('%')) throw new CidrParseError(input, 'zone identifiers (%...) are not supported');
  // A dotted IPv4 tail (e.g. ::ffff:1.2.3.4) stands for the last two groups.
  let tail: bigint[] = [];
  const lastColon = s.lastIndexOf(':');
  const last = s.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = parseIpv4(last, input);
    tail = [v4 >> 16n, v4 & 0xffffn];
    s = s.slice(0, lastColon + 1);
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const groupsOf = (text: string): bigint[] => (text === '' ? [] : parseHexGroups(text.split(':'), input));
  const halves = s.split('::');
  if (halves.length > 2) throw new CidrParseError(input, '"::" may appear only once');
  let groups: bigint[];
  if (halves.length === 2) {
    const left = groupsOf(halves[0] ?? '');
    const right = [...groupsOf(halves[1] ?? ''), ...tail];
    const missing = 8 - left.length - right.length;
    // RFC 4291 lets "::" stand for one or more zero groups, never for none.
    if (missing < 1) throw new CidrParseError(input, 'too many groups for an IPv6 address with "::"');
    groups = [...left, ...Array<bigint>(missing).fill(0n), ...right];
  } else {
    groups = [...groupsOf(s), ...tail];
    if (groups.length !== 8) throw new CidrParseError(input, 'an IPv6 address has eight groups (or uses "::")');
  }
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** Parses an IPv4 or IPv6 address (any RFC 4291 text form, case-insensitive). */
export function parseIp(s: string): ParsedIp {
  if (typeof s !== 'string' || s.length === 0) throw new CidrParseError(describe(s), 'empty address');
  if (/\s/.test(s)) throw new CidrParseError(s, 'contains whitespace');
  if (s.includes(':')) return { family: 6, value: parseIpv6(s, s) };
  if (s.includes('.')) return { family: 4, value: parseIpv4(s, s) };
  throw new CidrParseError(s, 'not an IPv4 or IPv6 address');
}

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => ((value >> shift) & 0xffn).toString()).join('.');
}

function formatIpv6(value: bigint): string {
  const groups: bigint[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push((value >> shift) & 0xffffn);
  // RFC 5952 §5: IPv4-mapped addresses keep the dotted tail.
  if (value >> 32n === 0xffffn) return `::ffff:${formatIpv4(value & 0xffffffffn)}`;
  // RFC 5952 §4.2: compress the longest run (first on ties) of two or more zero groups.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0n) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0n) j += 1;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Text form of an address: dotted quad, or RFC 5952 lower-case compressed IPv6. */
export function formatIp(family: IpFamily, value: bigint): string {
  return family === 4 ? formatIpv4(value) : formatIpv6(value);
}

/** Canonical text of an address, e.g. "2001:DB8:0:0::1" → "2001:db8::1". */
export function canonicalIp(s: string): string {
  const ip = parseIp(s);
  return formatIp(ip.family, ip.value);
}

function hostMask(family: IpFamily, length: number): bigint {
  return (1n << BigInt(BITS[family] - length)) - 1n;
}

/** The network address of `value` under a prefix of `length` bits. */
export function maskAddress(family: IpFamily, value: bigint, length: number): bigint {
  return value & ~hostMask(family, length) & ((1n << BigInt(BITS[family])) - 1n);
}

function formatCidr(family: IpFamily, network: bigint, length: number): string {
  return `${formatIp(family, network)}/${length}`;
}

/** Parses "address/length"; refuses host bits, out-of-range lengths and anything else. */
export function parseCidr(s: string): ParsedCidr {
  if (typeof s !== 'string' || s.length === 0) throw new CidrParseError(describe(s), 'empty prefix');
  const slash = s.indexOf('/');
  if (slash < 0) throw new CidrParseError(s, 'missing "/length" (e.g. 192.0.2.0/24)');
  const lengthText = s.slice(slash + 1);
  const ip = parseIp(s.slice(0, slash));
  const max = BITS[ip.family];
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lengthText)) {
    throw new CidrParseError(s, `prefix length "${lengthText}" is not a number from 0 to ${max}`);
  }
  const length = Number(lengthText);
  if (length > max) throw new CidrParseError(s, `prefix length ${length} is longer than ${max} for IPv${ip.family}`);
  const network = maskAddress(ip.family, ip.value, length);
  if (network !== ip.value) {
    const suggestion = formatCidr(ip.family, network, length);
    throw new CidrParseError(s, `${s} has host bits set; did you mean ${suggestion}?`);
  }
  return { family: ip.family, network, length, canonical: formatCidr(ip.family, network, length) };
}

/** Canonical text of a prefix (lower-case, RFC 5952 compressed IPv6). Throws like parseCidr. */
export function canonicalCidr(s: string): string {
  return parseCidr(s).canonical;
}

export function isValidCidr(s: string): boolean {
  try {
    parseCidr(s);
    return true;
  } catch {
    return false;
  }
}

/** The prefix of `length` bits that contains the address `ip`, e.g. ("192.0.2.7", 24) → "192.0.2.0/24". */
export function cidrOfAddress(ip: string, length: number): ParsedCidr {
  const parsed = parseIp(ip);
  const max = BITS[parsed.family];
  if (!Number.isInteger(length) || length < 0 || length > max) {
    throw new CidrParseError(ip, `prefix length ${length} is out of range for IPv${parsed.family}`);
  }
  const network = maskAddress(parsed.family, parsed.value, length);
  return { family: parsed.family, network, length, canonical: formatCidr(parsed.family, network, length) };
}

/** Number of addresses in a prefix. */
export function cidrSize(cidr: ParsedCidr): bigint {
  return 1n << BigInt(BITS[cidr.family] - cidr.length);
}

function asCidr(c: string | ParsedCidr): ParsedCidr {
  return typeof c === 'string' ? parseCidr(c) : c;
}

function asIp(ip: string | ParsedIp): ParsedIp {
  return typeof ip === 'string' ? parseIp(ip) : ip;
}

export function cidrContainsIp(cidr: string | ParsedCidr, ip: string | ParsedIp): boolean {
  const c = asCidr(cidr);
  const a = asIp(ip);
  return c.family === a.family && maskAddress(a.family, a.value, c.length) === c.network;
}

/** True when every address of `inner` lies in `outer` (a prefix contains itself). */
export function cidrContainsCidr(outer: string | ParsedCidr, inner: string | ParsedCidr): boolean {
  const o = asCidr(outer);
  const i = asCidr(inner);
  return o.family === i.family && o.length <= i.length && maskAddress(i.family, i.network, o.length) === o.network;
}

/** Two prefixes overlap exactly when one contains the other. */
export function cidrsOverlap(a: string | ParsedCidr, b: string | ParsedCidr): boolean {
  return cidrContainsCidr(a, b) || cidrContainsCidr(b, a);
}
