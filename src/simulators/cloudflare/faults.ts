// Fault schedule of the simulator: which request gets which failure, by route, count, time window and seeded chance.
//
// When a fault applies (all given conditions must hold):
//   - absolute window: fromMs / untilMs on the simulator clock;
//   - relative window: afterMs / forMs, "from now + afterMs, for forMs", resolved to fromMs/untilMs when added;
//   - every: only every Nth matching request inside the window (N, 2N, 3N…; `everyOffset` shifts the first hit);
//   - probability: a seeded draw per request that passed the other conditions;
//   - count: how many hits in all (default 1; unlimited once a window, `every` or a probability is given).
// partial / empty degrade a real answer, so they count a hit only when that answer was a 200 they rewrote.

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
  /** Handle the request as usual (a PATCH takes effect), then destroy the connection instead of answering. */
  | 'lost_answer'
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
  /** Relative window: starts afterMs after the fault is added (default 0)… */
  afterMs?: number;
  /** …and lasts forMs (default: open-ended). Not combinable with fromMs / untilMs. */
  forMs?: number;
  /** Hit only every Nth matching request (N ≥ 1) that falls inside the window. */
  every?: number;
  /** With `every`: the first hit is request number everyOffset (1..N; default N). */
  everyOffset?: number;
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
  /** Matching requests seen inside the window (what `every` counts). */
  seen: number;
}

/** partial / empty rewrite a good answer; they are committed only once there was one to rewrite. */
export const DEGRADING_KINDS: readonly FaultKind[] = ['partial', 'empty'];

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
  /**
   * The first armed fault matching this request, if any. It consumes one hit, except for partial / empty:
   * those are only counted by commit() once the answer they degrade turned out to be a 200.
   */
  take(req: FaultRequest): ArmedFault | undefined;
  /** Counts a hit of a partial / empty fault returned by take(). */
  commit(id: number): void;
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
  'lost_answer',
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

function nonNegative(v: unknown, name: string): void {
  if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 0))
    throw new Error(`${name} must be a number of milliseconds ≥ 0`);
}

/** Checks a spec and turns its relative window into an absolute one on the simulator clock. */
function resolve(spec: FaultSpec, nowMs: number): FaultSpec {
  if (!KINDS.includes(spec.kind)) throw new Error(`unknown fault kind ${String(spec.kind)}`);
  if (spec.probability !== undefined && !(spec.probability >= 0 && spec.probability <= 1)) {
    throw new Error('probability must be between 0 and 1');
  }
  if (spec.count !== undefined && !(spec.count >= 0)) throw new Error('count must be ≥ 0');
  if (spec.every !== undefined && !(Number.isInteger(spec.every) && spec.every >= 1))
    throw new Error('every must be a whole number ≥ 1');
  if (spec.everyOffset !== undefined) {
    if (spec.every === undefined) throw new Error('everyOffset needs every');
    if (!(Number.isInteger(spec.everyOffset) && spec.everyOffset >= 1 && spec.everyOffset <= spec.every))
      throw new Error('everyOffset must be a whole number from 1 to every');
  }
  nonNegative(spec.afterMs, 'afterMs');
  nonNegative(spec.forMs, 'forMs');
  const relative = spec.afterMs !== undefined || spec.forMs !== undefined;
  if (!relative) return spec;
  if (spec.fromMs !== undefined || spec.untilMs !== undefined)
    throw new Error('give either fromMs/untilMs (absolute) or afterMs/forMs (relative), not both');
  const fromMs = nowMs + (spec.afterMs ?? 0);
  return { ...spec, fromMs, ...(spec.forMs !== undefined ? { untilMs: fromMs + spec.forMs } : {}) };
}

export function createFaultSchedule(opts: { clock: () => number; seed?: number }): FaultSchedule {
  const random = seededRandom(opts.seed ?? 1);
  let nextId = 1;
  const armed: ArmedFault[] = [];

  return {
    add(input) {
      const spec = resolve(input, opts.clock());
      const open =
        spec.fromMs !== undefined ||
        spec.untilMs !== undefined ||
        spec.probability !== undefined ||
        spec.every !== undefined;
      const remaining = spec.count ?? (open ? Infinity : 1);
      const fault: ArmedFault = { ...spec, id: nextId++, remaining, hits: 0, seen: 0 };
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
        if (f.every !== undefined) {
          f.seen += 1;
          const first = f.everyOffset ?? f.every;
          if (f.seen < first || (f.seen - first) % f.every !== 0) continue;
        }
        if (f.probability !== undefined && random() >= f.probability) continue;
        if (!DEGRADING_KINDS.includes(f.kind)) {
          f.remaining -= 1;
          f.hits += 1;
        }
        return { ...f };
      }
      return undefined;
    },
    commit(id) {
      const f = armed.find((x) => x.id === id);
      if (!f || f.remaining <= 0) return;
      f.remaining -= 1;
      f.hits += 1;
    },
  };
}
