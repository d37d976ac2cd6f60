// Request counters of the simulator, by route, plus how many answers were faults, rate limits or auth refusals.

export type RouteName =
  'listBgpPrefixes' | 'getBgpPrefix' | 'patchBgpPrefix' | 'graphql' | 'verifyToken' | 'getUser' | 'unknown';

export interface StatsSnapshot {
  total: number;
  byRoute: Partial<Record<RouteName, number>>;
  faulted: number;
  rateLimited: number;
  unauthorized: number;
}

export interface SimStats {
  count(route: RouteName): void;
  note(what: 'faulted' | 'rateLimited' | 'unauthorized'): void;
  /** Requests received on one route since the last reset. */
  requests(route: RouteName): number;
  snapshot(): StatsSnapshot;
  reset(): void;
}

export function createStats(): SimStats {
  let snap: StatsSnapshot = { total: 0, byRoute: {}, faulted: 0, rateLimited: 0, unauthorized: 0 };
  return {
    count(route) {
      snap.total += 1;
      snap.byRoute[route] = (snap.byRoute[route] ?? 0) + 1;
    },
    note(what) {
      snap[what] += 1;
    },
    requests: (route) => snap.byRoute[route] ?? 0,
    snapshot: () => ({ ...snap, byRoute: { ...snap.byRoute } }),
    reset() {
      snap = { total: 0, byRoute: {}, faulted: 0, rateLimited: 0, unauthorized: 0 };
    },
  };
}
