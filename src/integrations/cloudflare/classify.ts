// Turns a failed Cloudflare answer into a CloudflareError whose kind drives retries and whose message speaks operator.
import type { HttpAnswer } from './http';
import type { Redactor } from './redact';
import { CloudflareError, type CloudflareErrorKind, type CloudflareMessage } from './types';

/**
 * Cloudflare error codes that mean "these credentials are no good" even under HTTP 400/403:
 * 10000 Authentication error, 9103 unknown key/email, 9106 missing auth headers, 9109 invalid/unauthorized token,
 * 6003/6100-6103/6111 malformed auth headers.
 */
const AUTH_CODES = new Set([6003, 6100, 6101, 6102, 6103, 6111, 9103, 9106, 9109, 10000]);

/** The 15-minute rule: unverified upstream (see api-facts); recognised by code 1002 on 429 or by its wording. */
const TOO_SOON_CODE = 1002;
/** REST rate limit ("More than 1200 requests per 300 seconds reached"), seen in third-party reports. */
const RATE_LIMIT_CODE = 971;
const TOO_SOON_TEXT = /less than \d+ (minutes?|seconds?) ago|too soon/i;
const LOCKED_TEXT = /\blocked\b/i;

/** GraphQL Analytics texts (documented on the errors page), matched loosely. */
const GQL_BUDGET = /rate limiter budget depleted/i;
const GQL_RATE = /too many nodes, zones and accounts|consumed excessive resources/i;
const GQL_BUSY = /unable to execute query|too many queries in progress/i;
const GQL_NOT_AUTHORIZED = /not authorized for that account/i;
const GQL_UNAUTHORIZED = /^unauthorized\b|authentication/i;
const AFTER_MINUTES = /try again after (\d+) minutes?/i;
const GQL_BUDGET_DEFAULT_MS = 5 * 60_000;

export interface FailureInput {
  answer?: HttpAnswer;
  /** Cloudflare's errors (envelope errors[] or GraphQL errors[]), verbatim. */
  errors: CloudflareMessage[];
  operation: string;
  /** True for the GraphQL endpoint: a 200 carrying errors is a query failure, not a bad response. */
  graphql?: boolean;
  /** Set when the body itself is the problem (not JSON, wrong shape, success:false in a 2xx answer). */
  badBody?: string;
  redact: Redactor;
}

function header(answer: HttpAnswer | undefined, name: string): string | undefined {
  const v = answer?.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Retry-After is seconds or an HTTP date; GraphQL texts say "try again after N minutes". */
export function retryAfterMs(answer: HttpAnswer | undefined, errors: CloudflareMessage[]): number | undefined {
  const raw = header(answer, 'retry-after');
  if (raw !== undefined && raw.trim() !== '') {
    if (/^\d+$/.test(raw.trim())) return Number(raw.trim()) * 1000;
    const at = Date.parse(raw);
    if (Number.isFinite(at)) return Math.max(0, at - Date.now());
  }
  for (const e of errors) {
    const m = AFTER_MINUTES.exec(e.message);
    if (m?.[1] !== undefined) return Number(m[1]) * 60_000;
  }
  return undefined;
}

function kindOf(status: number, errors: CloudflareMessage[], graphql: boolean): CloudflareErrorKind {
  const texts = errors.map((e) => e.message);
  const any = (re: RegExp) => texts.some((t) => re.test(t));
  const codes = new Set(errors.map((e) => e.code));
  if (status === 401) return 'auth';
  if ([...codes].some((c) => AUTH_CODES.has(c)) && (status === 400 || status === 403)) return 'auth';
  if (status >= 400 && status < 500 && ((status === 429 && codes.has(TOO_SOON_CODE)) || any(TOO_SOON_TEXT))) {
    return 'too_soon';
  }
  if (status >= 400 && status < 500 && status !== 429 && any(LOCKED_TEXT)) return 'locked';
  if (any(GQL_BUDGET) || any(GQL_RATE)) return 'rate_limited';
  if (any(GQL_BUSY)) return 'server';
  if (any(GQL_NOT_AUTHORIZED)) return 'forbidden';
  if (graphql && any(GQL_UNAUTHORIZED)) return 'auth';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 408) return 'timeout';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server';
  if (status >= 400) return 'invalid_request';
  return graphql ? 'graphql' : 'bad_response';
}

/**
 * A 2xx answer whose envelope says success:false: what its codes say where we know them (credentials, the
 * 15-minute rule, the rate limit, a lock), else an unexpected (retryable) answer.
 */
function kindOfFailedEnvelope(errors: CloudflareMessage[]): CloudflareErrorKind {
  const codes = new Set(errors.map((e) => e.code));
  const any = (re: RegExp) => errors.some((e) => re.test(e.message));
  if ([...codes].some((c) => AUTH_CODES.has(c))) return 'auth';
  if (codes.has(TOO_SOON_CODE) || any(TOO_SOON_TEXT)) return 'too_soon';
  if (codes.has(RATE_LIMIT_CODE)) return 'rate_limited';
  if (any(LOCKED_TEXT)) return 'locked';
  return 'bad_response';
}

/** What happened, in operator terms, and (after the details) what to do about it. */
const WORDING: Record<CloudflareErrorKind, { lead: string; hint?: string }> = {
  auth: { lead: 'Cloudflare rejected the credentials' },
  forbidden: {
    lead: 'Cloudflare refused access',
    hint: 'the credentials lack permission for this account or resource',
  },
  locked: {
    lead: 'Cloudflare says the prefix advertisement is locked',
    hint: 'only the Cloudflare account team can unlock it',
  },
  not_found: {
    lead: 'Cloudflare does not know this resource',
    hint: 'check the account, IP prefix and BGP prefix IDs',
  },
  invalid_request: { lead: 'Cloudflare rejected the request as invalid' },
  too_soon: { lead: 'Cloudflare refused the change because the prefix changed state too recently' },
  rate_limited: { lead: 'Cloudflare rate limit reached' },
  server: { lead: 'Cloudflare had a server-side problem' },
  timeout: { lead: 'Cloudflare did not answer in time' },
  network: { lead: 'Could not reach Cloudflare' },
  bad_response: { lead: 'Cloudflare sent an unexpected response' },
  graphql: { lead: 'The Cloudflare analytics query failed' },
};

function describeErrors(errors: CloudflareMessage[]): string {
  return errors
    .slice(0, 3)
    .map((e) => (e.code ? `code ${e.code}: ${e.message}` : e.message))
    .join('; ');
}

export function classifyFailure(input: FailureInput): CloudflareError {
  const status = input.answer?.status ?? 0;
  const errors = input.errors.map((e) => ({ code: e.code, message: input.redact(e.message) }));
  const ok = status >= 200 && status < 300;
  const kind = !(input.badBody && ok)
    ? kindOf(status, errors, !!input.graphql)
    : errors.length > 0
      ? kindOfFailedEnvelope(errors)
      : 'bad_response';
  let wait =
    kind === 'rate_limited' || kind === 'too_soon' || kind === 'server'
      ? retryAfterMs(input.answer, errors)
      : undefined;
  if (wait === undefined && kind === 'rate_limited' && errors.some((e) => GQL_BUDGET.test(e.message))) {
    wait = GQL_BUDGET_DEFAULT_MS;
  }
  const parts = [status ? `HTTP ${status}` : '', describeErrors(errors), input.badBody ?? ''].filter((p) => p !== '');
  const { lead, hint } = WORDING[kind];
  const tail = [hint, wait !== undefined ? `retry after ${Math.ceil(wait / 1000)} s` : undefined].filter(Boolean);
  const message = `${lead} (${parts.join(', ')}) on ${input.operation}${tail.length ? `; ${tail.join('; ')}` : ''}`;
  return new CloudflareError(kind, message, {
    ...(status ? { httpStatus: status } : {}),
    errors,
    ...(wait !== undefined ? { retryAfterMs: wait } : {}),
    operation: input.operation,
  });
}
