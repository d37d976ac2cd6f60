// Request counters of the simulator, by route, plus how many answers were faults, rate limits or auth refusals;
// and a bounded log of GraphQL requests (which window was asked for, and was it answered).

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

export interface GraphqlLogEntry {
  atMs: number;
  /** 0 when no answer was sent (timeout or reset fault). */
  httpStatus: number;
  /** HTTP 200 with data and without errors. */
  answered: boolean;
  operationName: string | null;
  variables: Record<string, unknown>;
}

const GRAPHQL_LOG_MAX = 10_000;

export function createGraphqlLog() {
  const entries: GraphqlLogEntry[] = [];
  return {
    note(atMs: number, rawBody: string, response: { status: number; body: unknown } | null): void {
      let request: { operationName?: unknown; variables?: unknown } = {};
      try {
        const parsed: unknown = JSON.parse(rawBody);
        if (parsed && typeof parsed === 'object') request = parsed;
      } catch {
        // logged with no variables
      }
      const body = response?.body;
      const errors = body && typeof body === 'object' ? (body as { errors?: unknown }).errors : undefined;
      const data = body && typeof body === 'object' ? (body as { data?: unknown }).data : undefined;
      entries.push({
        atMs,
        httpStatus: response?.status ?? 0,
        answered: response?.status === 200 && (errors === null || errors === undefined) && data != null,
        operationName: typeof request.operationName === 'string' ? request.operationName : null,
        variables:
          request.variables && typeof request.variables === 'object'
            ? (request.variables as Record<string, unknown>)
            : {},
      });
      if (entries.length > GRAPHQL_LOG_MAX) entries.splice(0, entries.length - GRAPHQL_LOG_MAX);
    },
    entries: (): readonly GraphqlLogEntry[] => entries,
  };
}
