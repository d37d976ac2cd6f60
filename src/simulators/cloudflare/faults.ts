// Fault schedule of the simulator: which request gets which failure, by route, count, time window and seeded chance.

export type FaultKind =
  /** 5xx (default 503) with an envelope (REST) or GraphQL error body. */
  | 'http_5xx'
  /** 429 with Retry-After (default 60 s). */
  | 'http_429'
  /** Any status with the given Cloudflare errors (e.g. a 403 with a non-auth code). */
  | 'http_error'
  /** Hold the socket open and never answer. */
  | 'timeout'
  /** Destroy the connection without an answer. */
  | 'connection_reset'
  /** HTTP 200 with a truncated JSON body. */
  | 'malformed_json'
  /** GraphQL {data: null, errors: [...]} (HTTP 200 unless `status`). */
  | 'graphql_error'
  /** Answer normally, then cut every row list to `rows` (default half) and/or drop the node `dropNode`. */
  | 'partial'
  /** Answer normally, then empty every row list (REST lists too). */
  | 'empty'
  /** Answer normally after `delayMs`. */
  | 'slow';

export interface FaultMatch {
  method?: string;
  /** A string matches when the URL path contains it. */
  path?: RegExp | string;
  /** true: only the GraphQL endpoint; false: only REST. */
  graphql?: boolean;
}

export interface FaultSpec {
  kind: FaultKind;
  match?: FaultMatch;
  /** Requests the fault hits; default 1, or unlimited when a time window or probability is given. */
  count?: number;
  /** Active while clock() is in [fromMs, untilMs). */
  fromMs?: number;
  untilMs?: number;
  /** Chance per matching request, drawn from the simulator's seeded RNG. */
  probability?: number;
  status?: number;
  retryAfterSec?: number;
  /** graphql_error / http_error text. */
  message?: string;
  /** http_error: Cloudflare errors[] to send. */
  errors?: { code: number; message: string }[];
  rows?: number;
  dropNode?: string;
  delayMs?: number;
  /** Raw body override for http_5xx / http_error. */
  body?: string;
}

export interface ArmedFault extends FaultSpec {
  id: number;
  remaining: number;
  hits: number;
}

export interface FaultRequest {
  method: string;
  path: string;
  graphql: boolean;
}

export interface FaultSchedule {
  add(spec: FaultSpec): number;
  remove(id: number): boolean;
  clear(): void;
  list(): readonly ArmedFault[];
  /** The first armed fault matching this request (consuming one of its hits), if any. */
  take(req: FaultRequest): ArmedFault | undefined;
}

/** mulberry32: tiny deterministic RNG so probabilistic faults replay identically for a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const KINDS: readonly FaultKind[] = [
  'http_5xx',
  'http_429',
  'http_error',
  'timeout',
  'connection_reset',
  'malformed_json',
  'graphql_error',
  'partial',
  'empty',
  'slow',
];

function matchesRequest(m: FaultMatch | undefined, req: FaultRequest): boolean {
  if (!m) return true;
  if (m.method !== undefined && m.method.toUpperCase() !== req.method) return false;
  if (m.graphql !== undefined && m.graphql !== req.graphql) return false;
  if (m.path instanceof RegExp && !m.path.test(req.path)) return false;
  if (typeof m.path === 'string' && !req.path.includes(m.path)) return false;
  return true;
}

export function createFaultSchedule(opts: { clock: () => number; seed?: number }): FaultSchedule {
  const random = seededRandom(opts.seed ?? 1);
  let nextId = 1;
  const armed: ArmedFault[] = [];

  return {
    add(spec) {
      if (!KINDS.includes(spec.kind)) throw new Error(`unknown fault kind ${String(spec.kind)}`);
      if (spec.probability !== undefined && !(spec.probability >= 0 && spec.probability <= 1)) {
        throw new Error('probability must be between 0 and 1');
      }
      const open = spec.fromMs !== undefined || spec.untilMs !== undefined || spec.probability !== undefined;
      const remaining = spec.count ?? (open ? Infinity : 1);
      const fault: ArmedFault = { ...spec, id: nextId++, remaining, hits: 0 };
      armed.push(fault);
      return fault.id;
    },
    remove(id) {
      const i = armed.findIndex((f) => f.id === id);
      if (i >= 0) armed.splice(i, 1);
      return i >= 0;
    },
    clear() {
      armed.length = 0;
    },
    list: () => armed.map((f) => ({ ...f })),
    take(req) {
      const now = opts.clock();
      for (const f of armed) {
        if (f.remaining <= 0 || !matchesRequest(f.match, req)) continue;
        if (f.fromMs !== undefined && now < f.fromMs) continue;
        if (f.untilMs !== undefined && now >= f.untilMs) continue;
        if (f.probability !== undefined && random() >= f.probability) continue;
        f.remaining -= 1;
        f.hits += 1;
        return { ...f };
      }
      return undefined;
    },
  };
}
