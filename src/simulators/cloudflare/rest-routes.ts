// REST routes of the simulator: URL matching and the BGP prefix, token-verify and user handlers.
import { bgpPrefixJson, failure, ok, SIM_ERRORS, tooSoonError, type SimError } from './envelope';
import type { PrefixPatch, PrefixState, PatchOutcome } from './state';
import type { RouteName } from './stats';

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  /** Objects are sent as JSON; strings as they are. */
  body: unknown;
}

export interface RouteMatch {
  name: RouteName;
  /** Methods the route answers; a different one gets 405. */
  methods: readonly string[];
  params: { accountId?: string; parentPrefixId?: string; bgpPrefixId?: string };
}

export const API_ROOT = '/client/v4';

const ROUTES: { re: RegExp; name: RouteName; methods: readonly string[]; keys: (keyof RouteMatch['params'])[] }[] = [
  {
    re: /^\/accounts\/([^/]+)\/addressing\/prefixes\/([^/]+)\/bgp\/prefixes\/?$/,
    name: 'listBgpPrefixes',
    methods: ['GET'],
    keys: ['accountId', 'parentPrefixId'],
  },
  {
    re: /^\/accounts\/([^/]+)\/addressing\/prefixes\/([^/]+)\/bgp\/prefixes\/([^/]+)\/?$/,
    name: 'getBgpPrefix',
    methods: ['GET', 'PATCH'],
    keys: ['accountId', 'parentPrefixId', 'bgpPrefixId'],
  },
  { re: /^\/user\/tokens\/verify\/?$/, name: 'verifyToken', methods: ['GET'], keys: [] },
  { re: /^\/user\/?$/, name: 'getUser', methods: ['GET'], keys: [] },
  { re: /^\/graphql\/?$/, name: 'graphql', methods: ['POST'], keys: [] },
];

/** Matches a path below /client/v4; PATCH on a single prefix is its own route for the counters. */
export function matchRoute(method: string, pathname: string): RouteMatch {
  if (!pathname.startsWith(`${API_ROOT}/`)) return { name: 'unknown', methods: [], params: {} };
  const rest = pathname.slice(API_ROOT.length);
  for (const r of ROUTES) {
    const m = r.re.exec(rest);
    if (!m) continue;
    const params: RouteMatch['params'] = {};
    r.keys.forEach((k, i) => {
      params[k] = decodeURIComponent(m[i + 1] ?? '');
    });
    const name = r.name === 'getBgpPrefix' && method === 'PATCH' ? 'patchBgpPrefix' : r.name;
    return { name, methods: r.methods, params };
  }
  return { name: 'unknown', methods: [], params: {} };
}

export function errorResponse(e: SimError, headers?: Record<string, string>): SimResponse {
  return { status: e.status, ...(headers ? { headers } : {}), body: failure([{ code: e.code, message: e.message }]) };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates a PATCH body: only documented fields, with documented types (a stray top-level "advertised" is refused). */
export function parsePatchBody(raw: string): PrefixPatch | string {
  let body: unknown;
  try {
    body = raw.trim() === '' ? undefined : JSON.parse(raw);
  } catch {
    return 'body is not valid JSON';
  }
  if (!isRecord(body)) return 'body must be a JSON object';
  const patch: PrefixPatch = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === 'on_demand') {
      if (!isRecord(value)) return 'on_demand must be an object';
      for (const [k, v] of Object.entries(value)) {
        if (k !== 'advertised') return `unknown field on_demand.${k}`;
        if (typeof v !== 'boolean') return 'on_demand.advertised must be a boolean';
        patch.advertised = v;
      }
    } else if (key === 'asn_prepend_count') {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 3) {
        return 'asn_prepend_count must be an integer from 0 to 3';
      }
      patch.asnPrependCount = value;
    } else if (key === 'auto_advertise_withdraw') {
      if (typeof value !== 'boolean') return 'auto_advertise_withdraw must be a boolean';
      patch.autoAdvertiseWithdraw = value;
    } else return `unknown field ${key}`;
  }
  return patch;
}

export interface RestContext {
  state: PrefixState;
  accountId: string;
  clock: () => number;
  email: string;
  /** A lost_answer fault will drop this answer: marked in the PATCH log. */
  answerLost?: boolean;
}

/** The REST part after auth and faults: answers the request and logs PATCHes. */
export function handleRest(route: RouteMatch, rawBody: string, ctx: RestContext): SimResponse {
  const { accountId, parentPrefixId = '', bgpPrefixId = '' } = route.params;
  if (route.name === 'verifyToken') {
    return { status: 200, body: ok({ id: 'sim0000000000000000000000000token', status: 'active' }) };
  }
  if (route.name === 'getUser') {
    return { status: 200, body: ok({ id: 'sim00000000000000000000000000user', email: ctx.email }) };
  }
  const logPatch = (outcome: PatchOutcome, status: number, advertised: boolean | null) => {
    if (route.name !== 'patchBgpPrefix') return;
    ctx.state.log({
      atMs: ctx.clock(),
      parentPrefixId,
      bgpPrefixId,
      cidr: ctx.state.get(bgpPrefixId)?.cidr ?? null,
      advertised,
      outcome,
      httpStatus: status,
      ...(ctx.answerLost ? { answerLost: true as const } : {}),
    });
  };
  if (accountId !== ctx.accountId) {
    logPatch('unauthorized', SIM_ERRORS.wrongAccount.status, null);
    return errorResponse(SIM_ERRORS.wrongAccount);
  }
  if (route.name === 'listBgpPrefixes') {
    if (!ctx.state.hasParent(parentPrefixId)) return errorResponse(SIM_ERRORS.prefixNotFound);
    const list = ctx.state.list(parentPrefixId).map(bgpPrefixJson);
    return {
      status: 200,
      body: ok(list, { count: list.length, page: 1, per_page: Math.max(20, list.length), total_count: list.length }),
    };
  }
  const existing = ctx.state.get(bgpPrefixId);
  if (route.name === 'getBgpPrefix') {
    if (!existing || existing.parentPrefixId !== parentPrefixId) return errorResponse(SIM_ERRORS.bgpPrefixNotFound);
    return { status: 200, body: ok(bgpPrefixJson(existing)) };
  }
  // patchBgpPrefix
  const patch = parsePatchBody(rawBody);
  if (typeof patch === 'string') {
    logPatch('invalid', 400, null);
    return errorResponse({ ...SIM_ERRORS.invalidBody, message: `${SIM_ERRORS.invalidBody.message}: ${patch}` });
  }
  const requested = patch.advertised ?? null;
  const result = ctx.state.patch(parentPrefixId, bgpPrefixId, patch);
  if (result.ok) {
    logPatch(result.outcome, 200, requested);
    return { status: 200, body: ok(bgpPrefixJson(result.prefix)) };
  }
  let error: SimError;
  let headers: Record<string, string> | undefined;
  if (result.outcome === 'too_soon') {
    error = tooSoonError(result.rule, result.ruleMs);
    headers = { 'retry-after': String(Math.max(1, Math.ceil(result.waitMs / 1000))) };
  } else if (result.outcome === 'locked') error = SIM_ERRORS.locked;
  else if (result.outcome === 'not_on_demand') error = SIM_ERRORS.notOnDemand;
  else error = SIM_ERRORS.bgpPrefixNotFound;
  logPatch(result.outcome, error.status, requested);
  return errorResponse(error, headers);
}
