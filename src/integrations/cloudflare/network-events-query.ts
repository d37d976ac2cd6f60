// Dropped-traffic events with their attack dimensions, read from the dosd node (the MT node has no attackId,
// attackVector, ruleName or mitigationReason): one GraphQL request per monitor run, checked against the 2024-06 schema.
import {
  NETWORK_EVENT_DIMENSIONS,
  NetworkEventShapeError,
  toNetworkEvent,
  type NetworkEvent,
} from '../../domain/network-events';
import { toGraphqlTime } from './dropped-traffic-query';
import { firstAccount, groupsOf, ShapeProblem } from './dropped-traffic-rows';
import type { GraphqlClient } from './graphql-client';
import { CloudflareError } from './types';

export const DOSD_NODE = 'dosdNetworkAnalyticsAdaptiveGroups';

/** [start, end) window; biggest groups first so a cut-off by the row limit drops the smallest. */
export function networkEventsQuery(rowLimit: number): string {
  if (!Number.isInteger(rowLimit) || rowLimit < 1)
    throw new RangeError(`GraphQL row limit must be a positive integer, got ${rowLimit}`);
  return `query MtNetworkEvents($accountTag: string!, $start: Time!, $end: Time!) {
  viewer {
    accounts(filter: { accountTag: $accountTag }) {
      events: ${DOSD_NODE}(
        limit: ${rowLimit}
        orderBy: [sum_packets_DESC, datetime_ASC]
        filter: { datetime_geq: $start, datetime_lt: $end, outcome: "drop" }
      ) {
        sum { packets bits }
        dimensions { ${NETWORK_EVENT_DIMENSIONS.join(' ')} }
      }
    }
  }
}`;
}

export interface NetworkEventsReport {
  windowStartMs: number;
  windowEndMs: number;
  events: NetworkEvent[];
  /** The row limit was reached: smaller groups may be missing. */
  truncated: boolean;
}

export interface NetworkEventsApi {
  networkEvents(window: { startMs: number; endMs: number }): Promise<NetworkEventsReport>;
}

export function createNetworkEventsApi(
  graphql: GraphqlClient,
  opts: { accountId: string; rowLimit: number },
): NetworkEventsApi {
  const query = networkEventsQuery(opts.rowLimit);
  const operation = 'POST /graphql (MtNetworkEvents)';
  return {
    async networkEvents(window) {
      if (!(window.endMs > window.startMs))
        throw new CloudflareError('invalid_request', `Empty analytics window ${window.startMs}..${window.endMs}`);
      const data = await graphql.query(
        query,
        {
          accountTag: opts.accountId,
          start: toGraphqlTime(window.startMs, 'down'),
          end: toGraphqlTime(window.endMs, 'up'),
        },
        'MtNetworkEvents',
      );
      let groups: unknown[];
      let events: NetworkEvent[];
      try {
        const account = firstAccount(data);
        if (account === null) {
          throw new CloudflareError(
            'forbidden',
            `Cloudflare returned no analytics account ${opts.accountId} (the credentials may lack Analytics Read on it) on ${operation}`,
            { operation },
          );
        }
        groups = groupsOf(account, 'events');
        events = groups.map(toNetworkEvent);
      } catch (err) {
        if (err instanceof ShapeProblem || err instanceof NetworkEventShapeError) {
          throw new CloudflareError(
            'bad_response',
            `Cloudflare sent an unexpected response (${err.message}) on ${operation}`,
            { operation },
          );
        }
        throw err;
      }
      return {
        windowStartMs: window.startMs,
        windowEndMs: window.endMs,
        events,
        truncated: groups.length >= opts.rowLimit,
      };
    },
  };
}
