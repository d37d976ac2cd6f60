// Contracts of the Cloudflare integration: REST (BGP prefixes) and GraphQL (dropped traffic), with typed errors.

/** A BGP prefix object as returned by GET/PATCH .../addressing/prefixes/{prefix_id}/bgp/prefixes[/{id}]. */
export interface BgpPrefix {
  id: string;
  cidr: string;
  asn: number | null;
  onDemand: {
    advertised: boolean | null;
    /** ISO timestamp or null. */
    advertisedModifiedAt: string | null;
    onDemandEnabled: boolean;
    onDemandLocked: boolean;
  } | null;
  createdAt: string | null;
  modifiedAt: string | null;
}

/** One item of a Cloudflare envelope's errors[] / messages[]. */
export interface CloudflareMessage {
  code: number;
  message: string;
}

/**
 * Why a Cloudflare call failed. The activity boundary maps these to retryable / non-retryable failures:
 * auth, forbidden, locked, not_found, invalid_request are final; rate_limited, server, timeout, network,
 * bad_response are transient; too_soon (the 15-minute rule) is retried after the rule allows it.
 */
export type CloudflareErrorKind =
  | 'auth'
  | 'forbidden'
  | 'locked'
  | 'not_found'
  | 'invalid_request'
  | 'too_soon'
  | 'rate_limited'
  | 'server'
  | 'timeout'
  | 'network'
  | 'bad_response'
  | 'graphql';

export class CloudflareError extends Error {
  override readonly name = 'CloudflareError';
  constructor(
    readonly kind: CloudflareErrorKind,
    message: string,
    readonly details: {
      httpStatus?: number;
      /** Cloudflare's own codes and messages, verbatim. */
      errors?: CloudflareMessage[];
      /** From Retry-After (seconds) or the GraphQL "try again after N minutes" text. */
      retryAfterMs?: number;
      /** method + path without host or credentials, e.g. "PATCH /accounts/…/bgp/prefixes/…". */
      operation?: string;
    } = {},
  ) {
    super(message);
  }
}

export interface CloudflareRestApi {
  /** One call per parent IP prefix: every BGP prefix under it. */
  listBgpPrefixes(parentPrefixId: string): Promise<BgpPrefix[]>;
  getBgpPrefix(parentPrefixId: string, bgpPrefixId: string): Promise<BgpPrefix>;
  /** PATCH {"on_demand":{"advertised":…}}. */
  setAdvertised(parentPrefixId: string, bgpPrefixId: string, advertised: boolean): Promise<BgpPrefix>;
  /** GET /user/tokens/verify (token auth) or /user (key auth): checks credentials for `mtctl test`. */
  verifyCredentials(): Promise<{ ok: true; detail: string }>;
}

/** Dropped traffic of the account over one window, summed per configured prefix. */
export interface DroppedTrafficReport {
  windowStartMs: number;
  windowEndMs: number;
  perPrefix: Record<string, { packets: number; bits: number; systems: string[] }>;
  /** Dropped traffic of the whole account in the window (dimensionless total). */
  totalPackets: number;
  totalBits: number;
  /** True when every grouped row was returned (no result limit cut-off). */
  complete: boolean;
  /** What the returned rows do not cover: max(0, total - sum(rows)); zero when complete. */
  unattributedPackets: number;
  unattributedBits: number;
  /** Newest sample (any outcome) in the window for the account; null when the window is empty. */
  newestSampleMs: number | null;
  /** Number of GraphQL HTTP requests this report cost. */
  requests: number;
}

export interface DroppedTrafficApi {
  /** One GraphQL request (possibly with several aliased nodes) for the whole account. */
  droppedTraffic(
    window: { startMs: number; endMs: number },
    prefixes: readonly string[],
  ): Promise<DroppedTrafficReport>;
}
