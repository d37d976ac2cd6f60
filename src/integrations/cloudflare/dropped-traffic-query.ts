// GraphQL text for the dropped-traffic reads (checked against the 2024-06 schema dump of the MT adaptive-groups node).

const NODE = 'magicTransitNetworkAnalyticsAdaptiveGroups';

/** Query-wide variables: $accountTag uses the custom lower-case `string` scalar, the window uses `Time`. */
const WINDOW = 'datetime_geq: $start, datetime_lt: $end';

function assertLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`GraphQL row limit must be a positive integer, got ${limit}`);
  return limit;
}

/**
 * One request, three aliased nodes over the same half-open window [start, end):
 * `total` (account-wide dropped sums), `rows` (dropped per /24 or /64 subnet and system), `newest` (freshness).
 */
export function accountDropsQuery(rowLimit: number): string {
  const limit = assertLimit(rowLimit);
  return `query MtDroppedTraffic($accountTag: string!, $start: Time!, $end: Time!) {
  viewer {
    accounts(filter: { accountTag: $accountTag }) {
      total: ${NODE}(limit: 1, filter: { ${WINDOW}, outcome: "drop" }) {
        sum { packets bits }
      }
      rows: ${NODE}(limit: ${limit}, orderBy: [sum_packets_DESC], filter: { ${WINDOW}, outcome: "drop" }) {
        sum { packets bits }
        dimensions { ipDestinationSubnet mitigationSystem }
      }
      newest: ${NODE}(limit: 1, orderBy: [datetimeMinute_DESC], filter: { ${WINDOW} }) {
        dimensions { datetimeMinute }
      }
    }
  }
}`;
}

/** Address-level drops inside the given subnets, for configured prefixes longer than the /24 or /64 grouping. */
export function addressDropsQuery(rowLimit: number): string {
  const limit = assertLimit(rowLimit);
  return `query MtDroppedTrafficByAddress($accountTag: string!, $start: Time!, $end: Time!, $subnets: [string!]!) {
  viewer {
    accounts(filter: { accountTag: $accountTag }) {
      addresses: ${NODE}(
        limit: ${limit}
        orderBy: [sum_packets_DESC]
        filter: { ${WINDOW}, outcome: "drop", ipDestinationSubnet_in: $subnets }
      ) {
        sum { packets bits }
        dimensions { ipDestinationAddress mitigationSystem }
      }
    }
  }
}`;
}

/** RFC 3339 without fractions; the start rounds down and the end up so the window never shrinks. */
export function toGraphqlTime(ms: number, round: 'down' | 'up'): string {
  const seconds = round === 'down' ? Math.floor(ms / 1000) : Math.ceil(ms / 1000);
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
