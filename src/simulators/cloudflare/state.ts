// BGP prefix store of the simulator: on-demand state, the lock, the (configurable) 15-minute rules and the PATCH log.
import { canonicalCidr } from '../../domain/cidr';

export interface SimPrefix {
  parentPrefixId: string;
  bgpPrefixId: string;
  cidr: string;
  asn: number | null;
  asnPrependCount: number;
  autoAdvertiseWithdraw: boolean;
  onDemandEnabled: boolean;
  advertised: boolean;
  locked: boolean;
  advertisedModifiedAtMs: number | null;
  createdAtMs: number;
  modifiedAtMs: number;
}

export interface AddPrefixInput {
  parentPrefixId: string;
  bgpPrefixId: string;
  cidr: string;
  advertised: boolean;
  locked?: boolean;
  onDemandEnabled?: boolean;
  advertisedModifiedAtMs?: number | null;
  asn?: number | null;
}

export type PatchOutcome =
  | 'changed'
  | 'noop'
  | 'locked'
  | 'too_soon'
  | 'not_on_demand'
  | 'invalid'
  | 'not_found'
  | 'unauthorized'
  | 'rate_limited'
  | 'fault';

export interface PatchLogEntry {
  atMs: number;
  parentPrefixId: string;
  bgpPrefixId: string;
  cidr: string | null;
  /** The requested on_demand.advertised, or null when the body did not set it. */
  advertised: boolean | null;
  outcome: PatchOutcome;
  httpStatus: number;
  /** lost_answer fault: the outcome stands, but the client never got the answer (httpStatus is what it would have had). */
  answerLost?: true;
}

/** A PATCH body after validation. */
export interface PrefixPatch {
  advertised?: boolean;
  asnPrependCount?: number;
  autoAdvertiseWithdraw?: boolean;
}

export type PatchResult =
  | { ok: true; prefix: SimPrefix; outcome: 'changed' | 'noop' }
  | { ok: false; outcome: 'locked' | 'not_on_demand' | 'not_found' }
  | { ok: false; outcome: 'too_soon'; rule: 'readvertise' | 'min_advertised'; waitMs: number; ruleMs: number };

export interface PrefixState {
  addPrefix(input: AddPrefixInput): SimPrefix;
  get(bgpPrefixId: string): SimPrefix | undefined;
  list(parentPrefixId?: string): SimPrefix[];
  hasParent(parentPrefixId: string): boolean;
  /** Operator/admin change that bypasses every rule (no PATCH log entry). */
  set(
    bgpPrefixId: string,
    change: Partial<Pick<SimPrefix, 'advertised' | 'locked' | 'onDemandEnabled' | 'advertisedModifiedAtMs'>>,
  ): SimPrefix;
  /** Applies a PATCH as Cloudflare would (rules included). */
  patch(parentPrefixId: string, bgpPrefixId: string, change: PrefixPatch): PatchResult;
  log(entry: PatchLogEntry): void;
  patchLog(): readonly PatchLogEntry[];
  clearPatchLog(): void;
  clear(): void;
}

const DEFAULT_LAST_CHANGE_AGE_MS = 24 * 3_600_000;

export interface PrefixStateOptions {
  clock: () => number;
  readvertiseCooldownMs: number;
  minAdvertisedMs: number;
}

export function createPrefixState(opts: PrefixStateOptions): PrefixState {
  const prefixes = new Map<string, SimPrefix>();
  const entries: PatchLogEntry[] = [];

  function must(id: string): SimPrefix {
    const p = prefixes.get(id);
    if (!p) throw new Error(`no BGP prefix ${id} in the simulator`);
    return p;
  }

  return {
    addPrefix(input) {
      if (!input.parentPrefixId || !input.bgpPrefixId) throw new Error('parentPrefixId and bgpPrefixId are required');
      if (prefixes.has(input.bgpPrefixId)) throw new Error(`BGP prefix ${input.bgpPrefixId} already exists`);
      const now = opts.clock();
      const onDemandEnabled = input.onDemandEnabled ?? true;
      const p: SimPrefix = {
        parentPrefixId: input.parentPrefixId,
        bgpPrefixId: input.bgpPrefixId,
        cidr: canonicalCidr(input.cidr),
        asn: input.asn === undefined ? 64_512 : input.asn,
        asnPrependCount: 0,
        autoAdvertiseWithdraw: false,
        onDemandEnabled,
        advertised: input.advertised,
        locked: input.locked ?? false,
        // By default the last change is a day old, so neither 15-minute rule blocks the first PATCH of a test.
        advertisedModifiedAtMs:
          input.advertisedModifiedAtMs === undefined ? now - DEFAULT_LAST_CHANGE_AGE_MS : input.advertisedModifiedAtMs,
        createdAtMs: now,
        modifiedAtMs: now,
      };
      prefixes.set(p.bgpPrefixId, p);
      return { ...p };
    },
    get: (id) => {
      const p = prefixes.get(id);
      return p ? { ...p } : undefined;
    },
    list: (parent) =>
      [...prefixes.values()].filter((p) => parent === undefined || p.parentPrefixId === parent).map((p) => ({ ...p })),
    hasParent: (parent) => [...prefixes.values()].some((p) => p.parentPrefixId === parent),
    set(id, change) {
      const p = must(id);
      Object.assign(p, change);
      return { ...p };
    },
    patch(parent, id, change) {
      const p = prefixes.get(id);
      if (!p || p.parentPrefixId !== parent) return { ok: false, outcome: 'not_found' };
      const now = opts.clock();
      let outcome: 'changed' | 'noop' = 'noop';
      if (change.advertised !== undefined) {
        if (!p.onDemandEnabled) return { ok: false, outcome: 'not_on_demand' };
        if (p.locked) return { ok: false, outcome: 'locked' };
        if (change.advertised !== p.advertised) {
          const since = now - (p.advertisedModifiedAtMs ?? -Infinity);
          const ruleMs = change.advertised ? opts.readvertiseCooldownMs : opts.minAdvertisedMs;
          if (since < ruleMs) {
            return {
              ok: false,
              outcome: 'too_soon',
              rule: change.advertised ? 'readvertise' : 'min_advertised',
              waitMs: ruleMs - since,
              ruleMs,
            };
          }
          p.advertised = change.advertised;
          p.advertisedModifiedAtMs = now;
          outcome = 'changed';
        }
      }
      if (change.asnPrependCount !== undefined && change.asnPrependCount !== p.asnPrependCount) {
        p.asnPrependCount = change.asnPrependCount;
        outcome = 'changed';
      }
      if (change.autoAdvertiseWithdraw !== undefined && change.autoAdvertiseWithdraw !== p.autoAdvertiseWithdraw) {
        p.autoAdvertiseWithdraw = change.autoAdvertiseWithdraw;
        outcome = 'changed';
      }
      if (outcome === 'changed') p.modifiedAtMs = now;
      return { ok: true, prefix: { ...p }, outcome };
    },
    log: (entry) => {
      entries.push(entry);
    },
    patchLog: () => [...entries],
    clearPatchLog: () => {
      entries.length = 0;
    },
    clear: () => {
      prefixes.clear();
      entries.length = 0;
    },
  };
}
