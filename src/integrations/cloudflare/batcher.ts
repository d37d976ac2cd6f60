// Shares one dropped-traffic request among every caller asking for the same window (in flight or recently answered).
import type { DroppedTrafficApi, DroppedTrafficReport } from './types';

export interface DroppedTrafficBatcherOptions {
  /** How long a successful report is served to later callers; default 60 s (one check cycle). */
  cacheTtlMs?: number;
  /** Most windows kept (oldest dropped first); default 64. */
  maxEntries?: number;
  now?: () => number;
}

export interface DroppedTrafficBatcher {
  get(window: { startMs: number; endMs: number }): Promise<DroppedTrafficReport>;
  /**
   * requests: calls to the API; hits: answered from cache; joins: attached to a request in flight;
   * prefixSets: times the prefix set was read afresh (a new list from prefixes()), not once per call.
   */
  stats(): { requests: number; hits: number; joins: number; prefixSets: number };
}

interface Entry {
  promise: Promise<DroppedTrafficReport>;
  /** Set once the request succeeded; undefined while in flight. */
  settledAtMs?: number;
}

/**
 * prefixes() should return the same array while the set is unchanged: the set's identity is worked out (sorted,
 * O(n log n)) only when a new array appears, since every prefix of every cycle calls get().
 */
export function createDroppedTrafficBatcher(
  api: DroppedTrafficApi,
  prefixes: () => readonly string[],
  opts: DroppedTrafficBatcherOptions = {},
): DroppedTrafficBatcher {
  const ttlMs = opts.cacheTtlMs ?? 60_000;
  const maxEntries = Math.max(1, opts.maxEntries ?? 64);
  const now = opts.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const counters = { requests: 0, hits: 0, joins: 0, prefixSets: 0 };
  let seenList: readonly string[] | null = null;
  let seenSignature = '';
  /** Changes whenever the prefix set's contents change; part of every key. */
  let setVersion = 0;

  function currentSet(): { list: readonly string[]; version: number } {
    const list = prefixes();
    if (list !== seenList) {
      counters.prefixSets += 1;
      const signature = [...list].sort().join(',');
      if (signature !== seenSignature) {
        seenSignature = signature;
        setVersion += 1;
      }
      seenList = list;
    }
    return { list, version: setVersion };
  }

  function evict(): void {
    const t = now();
    for (const [key, e] of entries) {
      if (e.settledAtMs !== undefined && t - e.settledAtMs >= ttlMs) entries.delete(key);
    }
    // Map iteration is insertion order, so the first keys are the oldest windows.
    for (const key of entries.keys()) {
      if (entries.size <= maxEntries) break;
      entries.delete(key);
    }
  }

  return {
    get(window) {
      const { list, version } = currentSet();
      // The prefix set is part of the key: a report made for another set would miss prefixes.
      const key = `${window.startMs}:${window.endMs}:${version}`;
      evict();
      const existing = entries.get(key);
      if (existing) {
        if (existing.settledAtMs === undefined) counters.joins += 1;
        else counters.hits += 1;
        return existing.promise;
      }
      counters.requests += 1;
      const entry: Entry = { promise: api.droppedTraffic(window, list) };
      entries.set(key, entry);
      entry.promise.then(
        () => {
          entry.settledAtMs = now();
        },
        () => {
          // Failures reach the callers already waiting but are never served to later ones.
          if (entries.get(key) === entry) entries.delete(key);
        },
      );
      evict();
      return entry.promise;
    },
    stats: () => ({ ...counters }),
  };
}
