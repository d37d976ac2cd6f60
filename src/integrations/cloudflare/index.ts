// Entry point of the Cloudflare integration: createCloudflareClient builds the REST and analytics APIs on one got instance.
import { createDroppedTrafficApi, DEFAULT_GRAPHQL_ROW_LIMIT } from './dropped-traffic';
import { createGraphqlClient } from './graphql-client';
import { createCloudflareHttp, type CloudflareAuth } from './http';
import { createRestClient } from './rest-client';
import type { CloudflareRestApi, DroppedTrafficApi } from './types';

export interface CloudflareClientOptions {
  accountId: string;
  auth: CloudflareAuth;
  /** e.g. https://api.cloudflare.com/client/v4, or a simulator's base URL. */
  baseUrl: string;
  /** Per-request timeout; default 10 s. */
  timeoutMs?: number;
  /** `limit` of the grouped analytics nodes; default 10000. */
  graphqlRowLimit?: number;
  userAgent?: string;
  /** got retries, for the CLI only: the worker leaves retries to Temporal (default 0). */
  retries?: number;
}

export type CloudflareClient = CloudflareRestApi & DroppedTrafficApi;

export function createCloudflareClient(opts: CloudflareClientOptions): CloudflareClient {
  if (!opts.accountId) throw new TypeError('createCloudflareClient: accountId is required');
  if (!/^https?:\/\//.test(opts.baseUrl)) throw new TypeError('createCloudflareClient: baseUrl must be an http(s) URL');
  const http = createCloudflareHttp({
    baseUrl: opts.baseUrl,
    auth: opts.auth,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.retries !== undefined ? { retries: opts.retries } : {}),
    ...(opts.userAgent !== undefined ? { userAgent: opts.userAgent } : {}),
  });
  const rest = createRestClient(http, opts.accountId);
  const traffic = createDroppedTrafficApi(createGraphqlClient(http), {
    accountId: opts.accountId,
    rowLimit: opts.graphqlRowLimit ?? DEFAULT_GRAPHQL_ROW_LIMIT,
  });
  return {
    listBgpPrefixes: (parent) => rest.listBgpPrefixes(parent),
    getBgpPrefix: (parent, id) => rest.getBgpPrefix(parent, id),
    setAdvertised: (parent, id, advertised) => rest.setAdvertised(parent, id, advertised),
    verifyCredentials: () => rest.verifyCredentials(),
    droppedTraffic: (window, prefixes) => traffic.droppedTraffic(window, prefixes),
  };
}

export { createDroppedTrafficBatcher, type DroppedTrafficBatcher } from './batcher';
export { parseSubnet } from './dropped-traffic-rows';
export type { CloudflareAuth } from './http';
export * from './types';
