// Reads and validates the operators' prefix mapping file: { "<cidr>": { parent_prefix_id, bgp_prefix_id, description } }.
import { readFileSync } from 'node:fs';
import { cidrSize, parseCidr } from '../domain/cidr';
import { parseDuration } from '../domain/durations';
import type { PrefixIdentity, ProtectionPolicy } from '../domain/types';

/** Per-prefix overrides an operator may set next to the IDs. */
export type PolicyOverrides = Partial<Pick<ProtectionPolicy, 'minDroppedPackets' | 'minDroppedBits' | 'calmPeriodMs'>>;

export interface PrefixEntry extends PrefixIdentity {
  /** The operator says: never change this prefix, whatever Cloudflare reports. */
  locked: boolean;
  overrides: PolicyOverrides;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0] : `invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

const ID = /^[A-Za-z0-9_-]{1,32}$/;
const KNOWN_KEYS = new Set([
  'parent_prefix_id',
  'bgp_prefix_id',
  'description',
  'locked',
  'min_dropped_packets',
  'min_dropped_bits',
  'calm_period',
  // Tolerated for compatibility with the operators' existing files; not used.
  'prefix_id',
  'name',
  'notes',
]);

/** Loads the mapping file; every problem names the file and the prefix key it concerns. */
export function loadPrefixMapping(path: string): PrefixEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError([
      code === 'ENOENT'
        ? `PREFIX_MAPPING_FILE: ${path} does not exist (copy config/prefix_mapping.example.json and fill in your Cloudflare IDs)`
        : `PREFIX_MAPPING_FILE: cannot read ${path}: ${(err as Error).message}`,
    ]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([`PREFIX_MAPPING_FILE: ${path} is not valid JSON: ${(err as Error).message}`]);
  }
  return parsePrefixMapping(json, path);
}

export function parsePrefixMapping(json: unknown, source: string): PrefixEntry[] {
  const problems: string[] = [];
  const where = `PREFIX_MAPPING_FILE ${source}`;
  if (!isObject(json)) throw new ConfigError([`${where}: expected a JSON object of "<cidr>": {…} entries`]);
  const table = 'prefixes' in json ? json.prefixes : json;
  if (!isObject(table)) throw new ConfigError([`${where}: "prefixes" must be an object of "<cidr>": {…} entries`]);

  const entries: PrefixEntry[] = [];
  for (const [key, raw] of Object.entries(table)) {
    const at = `${where}: "${key}"`;
    let cidr: string;
    try {
      cidr = parseCidr(key).canonical;
    } catch (err) {
      problems.push(`${at} is not a valid prefix: ${(err as Error).message}`);
      continue;
    }
    if (!isObject(raw)) {
      problems.push(`${at} must be an object with parent_prefix_id, bgp_prefix_id and description`);
      continue;
    }
    const unknown = Object.keys(raw).filter((k) => !KNOWN_KEYS.has(k));
    if (unknown.length > 0) problems.push(`${at} has unknown setting(s): ${unknown.join(', ')}`);
    const parent = raw.parent_prefix_id;
    const bgp = raw.bgp_prefix_id;
    if (typeof parent !== 'string' || !ID.test(parent)) {
      problems.push(`${at}: parent_prefix_id must be a Cloudflare ID (1-32 letters, digits, - or _)`);
    }
    if (typeof bgp !== 'string' || !ID.test(bgp)) {
      problems.push(`${at}: bgp_prefix_id must be a Cloudflare ID (1-32 letters, digits, - or _)`);
    }
    const description = raw.description ?? '';
    if (typeof description !== 'string') problems.push(`${at}: description must be a string`);
    const locked = raw.locked ?? false;
    if (typeof locked !== 'boolean') problems.push(`${at}: locked must be true or false`);
    const overrides: PolicyOverrides = {};
    for (const [field, prop] of [
      ['min_dropped_packets', 'minDroppedPackets'],
      ['min_dropped_bits', 'minDroppedBits'],
    ] as const) {
      const v = raw[field];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
        problems.push(`${at}: ${field} must be a whole number ≥ 0`);
      else overrides[prop] = v;
    }
    if (raw.calm_period !== undefined) {
      try {
        if (typeof raw.calm_period !== 'string') throw new Error('must be a duration string like "15m"');
        overrides.calmPeriodMs = parseDuration(raw.calm_period);
        if (overrides.calmPeriodMs <= 0) throw new Error('must be positive');
      } catch (err) {
        problems.push(`${at}: calm_period ${(err as Error).message}`);
      }
    }
    if (typeof parent === 'string' && typeof bgp === 'string' && typeof description === 'string') {
      entries.push({ cidr, parentPrefixId: parent, bgpPrefixId: bgp, description, locked: locked === true, overrides });
    }
  }
  if (entries.length === 0 && problems.length === 0) problems.push(`${where}: no prefixes configured`);

  const seen = new Map<string, string>();
  for (const e of entries) {
    if (seen.has(e.cidr)) problems.push(`${where}: "${e.cidr}" is listed twice`);
    seen.set(e.cidr, e.bgpPrefixId);
  }
  const bgpIds = new Map<string, string>();
  for (const e of entries) {
    const other = bgpIds.get(e.bgpPrefixId);
    if (other && other !== e.cidr)
      problems.push(`${where}: "${e.cidr}" and "${other}" share bgp_prefix_id ${e.bgpPrefixId}`);
    bgpIds.set(e.bgpPrefixId, e.cidr);
  }
  // Overlapping prefixes would count the same dropped traffic twice and could withdraw one under attack.
  for (const [a, b] of overlappingPairs(entries.map((e) => e.cidr))) problems.push(`${where}: "${a}" overlaps "${b}"`);
  if (problems.length > 0) throw new ConfigError(problems);
  return entries.sort((a, b) => a.cidr.localeCompare(b.cidr));
}

/**
 * Every pair of distinct overlapping prefixes, the enclosing one first. Two CIDRs overlap only by nesting, so after
 * sorting by first address (shorter first) a prefix can only enclose the ones that start before its end: O(n log n)
 * plus the pairs, where comparing every pair took minutes for 10,000 prefixes.
 */
function overlappingPairs(cidrs: readonly string[]): [string, string][] {
  const ranges = [...new Set(cidrs)]
    .map((text) => {
      const c = parseCidr(text);
      return { text, family: c.family, first: c.network, last: c.network + cidrSize(c) - 1n, length: c.length };
    })
    .sort((x, y) => x.family - y.family || (x.first < y.first ? -1 : x.first > y.first ? 1 : x.length - y.length));
  const pairs: [string, string][] = [];
  for (let i = 0; i < ranges.length; i++) {
    const outer = ranges[i]!;
    for (let j = i + 1; j < ranges.length; j++) {
      const inner = ranges[j]!;
      if (inner.family !== outer.family || inner.first > outer.last) break;
      pairs.push([outer.text, inner.text]);
    }
  }
  return pairs;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
