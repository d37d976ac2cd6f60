// What a faulty answer looks like: canned failure responses, and the rewrite of a good answer for partial/empty.
import { SIM_ERRORS } from './envelope';
import type { ArmedFault } from './faults';
import { errorResponse, type SimResponse } from './rest-routes';

const MALFORMED_REST = '{"success":true,"errors":[],"messages":[],"result":[{"id":"';
const MALFORMED_GRAPHQL = '{"data":{"viewer":{"accounts":[{"rows":[';

export function graphqlError(status: number, message: string, headers?: Record<string, string>): SimResponse {
  return {
    status,
    ...(headers ? { headers } : {}),
    body: { data: null, errors: [{ message, path: null, extensions: {} }] },
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** partial / empty: rewrite a successful answer's row lists. */
export function degrade(r: SimResponse, fault: ArmedFault): SimResponse {
  const cut = (rows: unknown[]) =>
    fault.kind === 'empty' ? [] : rows.slice(0, fault.rows ?? Math.floor(rows.length / 2));
  if (!isRecord(r.body)) return r;
  const body = structuredClone(r.body);
  if (Array.isArray(body.result)) body.result = cut(body.result);
  else if ('result' in body && fault.kind === 'empty') body.result = null;
  const data = body.data;
  const accounts = isRecord(data) && isRecord(data.viewer) ? data.viewer.accounts : undefined;
  for (const account of Array.isArray(accounts) ? accounts : []) {
    if (!isRecord(account)) continue;
    for (const key of Object.keys(account)) {
      if (fault.dropNode === key) delete account[key];
      else if (
        Array.isArray(account[key]) &&
        (fault.kind === 'empty' || fault.dropNode === undefined || fault.rows !== undefined)
      ) {
        account[key] = cut(account[key]);
      }
    }
  }
  return { ...r, body };
}

/** The answer for faults that replace the response; null for the others (timeout, reset, lost answer, slow, partial, empty). */
export function faultResponse(fault: ArmedFault, isGraphql: boolean): SimResponse | null {
  switch (fault.kind) {
    case 'http_5xx': {
      const status = fault.status ?? 503;
      if (fault.body !== undefined) return { status, body: fault.body };
      return isGraphql
        ? graphqlError(status, 'unable to execute query, please try again later')
        : errorResponse({ ...SIM_ERRORS.server, status });
    }
    case 'http_429': {
      const seconds = fault.retryAfterSec ?? 60;
      const headers = { 'retry-after': String(seconds) };
      // The analytics API answers its own rate limit in GraphQL shape, with the wait in the message.
      if (isGraphql) {
        const minutes = Math.max(1, Math.ceil(seconds / 60));
        return graphqlError(429, `rate limiter budget depleted, try again after ${minutes} minutes`, headers);
      }
      return errorResponse(SIM_ERRORS.rateLimited, headers);
    }
    case 'http_error': {
      const status = fault.status ?? 400;
      if (fault.body !== undefined) return { status, body: fault.body };
      const errors = fault.errors ?? [{ code: 1000, message: fault.message ?? 'Simulated error' }];
      return { status, body: { success: false, errors, messages: [], result: null } };
    }
    case 'malformed_json':
      return { status: 200, body: isGraphql ? MALFORMED_GRAPHQL : MALFORMED_REST };
    case 'graphql_error':
      return graphqlError(fault.status ?? 200, fault.message ?? 'simulated analytics failure');
    default:
      return null;
  }
}
