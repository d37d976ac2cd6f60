// Cloudflare-style JSON envelopes and the error codes the simulator answers with (its own choices where upstream is silent).
import type { SimPrefix } from './state';

export interface SimError {
  status: number;
  code: number;
  message: string;
}

/**
 * Codes and texts. Documented or widely observed upstream: 10000 (authentication error), 9103/9106/9109 (bad or
 * missing credentials), 7003 (no route), 971 (rate limit). The 15-minute rule's 429 + 1002 comes from a third-party
 * write-up only. The rest (1000, 1004, 1005, 1006, 1007) are simulator choices.
 */
export const SIM_ERRORS = {
  missingAuth: { status: 401, code: 10000, message: 'Authentication error' },
  badToken: { status: 403, code: 9109, message: 'Invalid access token' },
  badKey: { status: 403, code: 9103, message: 'Unknown X-Auth-Key or X-Auth-Email' },
  wrongAccount: { status: 403, code: 9109, message: 'Unauthorized to access requested resource' },
  noRoute: { status: 404, code: 7003, message: 'No route for the URI' },
  methodNotAllowed: { status: 405, code: 7001, message: 'Method not allowed for this route' },
  prefixNotFound: { status: 404, code: 1000, message: 'Prefix not found' },
  bgpPrefixNotFound: { status: 404, code: 1000, message: 'BGP prefix not found' },
  invalidBody: { status: 400, code: 1004, message: 'Invalid request body' },
  notOnDemand: { status: 400, code: 1005, message: 'Prefix is not enabled for on-demand advertisement' },
  locked: { status: 400, code: 1006, message: 'Advertisement status of this prefix is locked and cannot be changed' },
  rateLimited: { status: 429, code: 971, message: 'Please wait and consider throttling your request speed' },
  server: { status: 500, code: 1007, message: 'Internal error (simulated)' },
} as const satisfies Record<string, SimError>;

export const TOO_SOON_CODE = 1002;

function minutesText(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} minutes` : `${Math.ceil(ms / 1000)} seconds`;
}

export function tooSoonError(rule: 'readvertise' | 'min_advertised', ruleMs: number): SimError {
  const what = rule === 'readvertise' ? 'withdrawn' : 'advertised';
  return { status: 429, code: TOO_SOON_CODE, message: `Prefix was ${what} less than ${minutesText(ruleMs)} ago` };
}

export function ok(result: unknown, resultInfo?: Record<string, number>): Record<string, unknown> {
  return { success: true, errors: [], messages: [], result, ...(resultInfo ? { result_info: resultInfo } : {}) };
}

export function failure(errors: readonly { code: number; message: string }[]): Record<string, unknown> {
  return { success: false, errors, messages: [], result: null };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** The BGP prefix object in Cloudflare's snake_case shape. */
export function bgpPrefixJson(p: SimPrefix): Record<string, unknown> {
  return {
    id: p.bgpPrefixId,
    asn: p.asn,
    asn_prepend_count: p.asnPrependCount,
    auto_advertise_withdraw: p.autoAdvertiseWithdraw,
    bgp_signal_opts: { enabled: false, modified_at: null },
    cidr: p.cidr,
    created_at: iso(p.createdAtMs),
    modified_at: iso(p.modifiedAtMs),
    on_demand: {
      // Only non-null when on-demand is enabled, as documented.
      advertised: p.onDemandEnabled ? p.advertised : null,
      advertised_modified_at: p.onDemandEnabled ? iso(p.advertisedModifiedAtMs) : null,
      on_demand_enabled: p.onDemandEnabled,
      on_demand_locked: p.locked,
    },
  };
}
