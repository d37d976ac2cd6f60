// DroppedTrafficApi: one account-wide GraphQL read, attributed to configured prefixes by real CIDR containment.
import {
  cidrContainsCidr,
  cidrContainsIp,
  cidrOfAddress,
  formatIp,
  parseCidr,
  type ParsedCidr,
} from '../../domain/cidr';
import { accountDropsQuery, addressDropsQuery, toGraphqlTime } from './dropped-traffic-query';
import {
  parseSubnet,
  readAccountDrops,
  readAddressRows,
  ShapeProblem,
  SUBNET_BITS,
  sumRows,
  tryParseIp,
  type Row,
  type Sums,
} from './dropped-traffic-rows';
import type { GraphqlClient } from './graphql-client';
import { CloudflareError, type DroppedTrafficApi, type DroppedTrafficReport } from './types';

export const DEFAULT_GRAPHQL_ROW_LIMIT = 10_000;

interface Configured {
  text: string;
  cidr: ParsedCidr;
}

interface Tally {
  packets: number;
  bits: number;
  systems: Set<string>;
}

/** Per-prefix sums plus what could not be attributed; every doubt ends up in `unattributed`. */
function createLedger(configured: readonly Configured[]) {
  const tallies = new Map<string, Tally>(configured.map((p) => [p.text, { packets: 0, bits: 0, systems: new Set() }]));
  let unattributed: Sums = { packets: 0, bits: 0 };
  return {
    credit(prefix: Configured, row: Row) {
      const t = tallies.get(prefix.text)!;
      t.packets += row.packets;
      t.bits += row.bits;
      if (row.system !== '' && (row.packets > 0 || row.bits > 0)) t.systems.add(row.system);
    },
    doubt(s: Sums) {
      unattributed = {
        packets: unattributed.packets + Math.max(0, s.packets),
        bits: unattributed.bits + Math.max(0, s.bits),
      };
    },
    unattributed: () => unattributed,
    perPrefix() {
      const out: DroppedTrafficReport['perPrefix'] = {};
      for (const [text, t] of tallies) out[text] = { packets: t.packets, bits: t.bits, systems: [...t.systems].sort() };
      return out;
    },
  };
}

type Ledger = ReturnType<typeof createLedger>;

/** Credits subnet rows to the prefixes containing them; returns the rows that parsed, for the address refinement. */
function attributeSubnetRows(rows: readonly Row[], configured: readonly Configured[], ledger: Ledger) {
  const placed: { row: Row; subnet: ParsedCidr }[] = [];
  for (const row of rows) {
    const subnet = parseSubnet(row.key);
    // A row we cannot place is traffic we cannot rule out for any prefix.
    if (subnet === null) {
      ledger.doubt(row);
      continue;
    }
    placed.push({ row, subnet });
    let ambiguous = false;
    for (const p of configured) {
      if (cidrContainsCidr(p.cidr, subnet)) ledger.credit(p, row);
      // A row broader than the usual /24 or /64 may or may not hit the prefix: it cannot count as calm.
      else if (subnet.length !== SUBNET_BITS[subnet.family] && cidrContainsCidr(subnet, p.cidr)) ambiguous = true;
    }
    if (ambiguous) ledger.doubt(row);
  }
  return placed;
}

/** The /24 or /64 subnets holding prefixes more specific than the subnet grouping. */
function subnetsOf(specific: readonly Configured[]): ParsedCidr[] {
  const subnets = new Map<string, ParsedCidr>();
  for (const { cidr } of specific) {
    const s = cidrOfAddress(formatIp(cidr.family, cidr.network), SUBNET_BITS[cidr.family]);
    subnets.set(s.canonical, s);
  }
  return [...subnets.values()];
}

export interface DroppedTrafficOptions {
  accountId: string;
  /** `limit` of the grouped nodes; default 10000 (the usual maxPageSize). */
  rowLimit?: number;
}

export function createDroppedTrafficApi(graphql: GraphqlClient, opts: DroppedTrafficOptions): DroppedTrafficApi {
  const rowLimit = opts.rowLimit ?? DEFAULT_GRAPHQL_ROW_LIMIT;
  const mainQuery = accountDropsQuery(rowLimit);
  const addrQuery = addressDropsQuery(rowLimit);

  /** Runs one query and reads it, turning shape problems and a missing account into CloudflareErrors. */
  async function read<T>(
    name: string,
    query: string,
    variables: Record<string, unknown>,
    reader: (data: unknown) => T | null,
  ): Promise<T> {
    const data = await graphql.query(query, variables, name);
    const operation = `POST /graphql (${name})`;
    let value: T | null;
    try {
      value = reader(data);
    } catch (err) {
      if (!(err instanceof ShapeProblem)) throw err;
      throw new CloudflareError(
        'bad_response',
        `Cloudflare sent an unexpected response (${err.message}) on ${operation}`,
        {
          operation,
        },
      );
    }
    if (value === null) {
      throw new CloudflareError(
        'forbidden',
        `Cloudflare returned no analytics account ${opts.accountId} (the credentials may lack Analytics Read on it) on ${operation}`,
        { operation },
      );
    }
    return value;
  }

  return {
    async droppedTraffic(window, prefixes) {
      if (!(window.endMs > window.startMs)) {
        throw new CloudflareError('invalid_request', `Empty analytics window ${window.startMs}..${window.endMs}`);
      }
      const configured: Configured[] = prefixes.map((text) => ({ text, cidr: parseCidr(text) }));
      const variables = {
        accountTag: opts.accountId,
        start: toGraphqlTime(window.startMs, 'down'),
        end: toGraphqlTime(window.endMs, 'up'),
      };
      const ledger = createLedger(configured);

      const main = await read('MtDroppedTraffic', mainQuery, variables, readAccountDrops);
      let requests = 1;
      let truncated = main.rows.length >= rowLimit;
      // Anything the rows do not cover, whatever the reason (cut off by the limit, an inconsistent partial answer).
      const returned = sumRows(main.rows);
      ledger.doubt({ packets: main.total.packets - returned.packets, bits: main.total.bits - returned.bits });
      const subnetRows = attributeSubnetRows(main.rows, configured, ledger);

      // Prefixes more specific than their subnet need address-level rows.
      const specific = configured.filter((p) => p.cidr.length > SUBNET_BITS[p.cidr.family]);
      if (specific.length > 0) {
        const subnets = subnetsOf(specific);
        // Both plausible spellings of the subnet value, since its exact format is unconfirmed.
        const spellings = subnets.flatMap((s) => [s.canonical, formatIp(s.family, s.network)]);
        const addrRows = await read(
          'MtDroppedTrafficByAddress',
          addrQuery,
          { ...variables, subnets: spellings },
          readAddressRows,
        );
        requests += 1;
        truncated ||= addrRows.length >= rowLimit;
        let placed: Sums = { packets: 0, bits: 0 };
        for (const row of addrRows) {
          const ip = tryParseIp(row.key);
          if (ip === null) continue;
          placed = { packets: placed.packets + row.packets, bits: placed.bits + row.bits };
          for (const p of specific) if (cidrContainsIp(p.cidr, ip)) ledger.credit(p, row);
        }
        // The address rows must account for the subnet rows they refine; a shortfall (cut off, unparseable,
        // or a subnet filter spelled differently from Cloudflare's values) stays unattributed.
        const refined = subnetRows.filter(({ subnet }) => subnets.some((s) => cidrContainsCidr(s, subnet)));
        const expected = sumRows(refined.map((x) => x.row));
        ledger.doubt({ packets: expected.packets - placed.packets, bits: expected.bits - placed.bits });
      }

      const unattributed = ledger.unattributed();
      return {
        windowStartMs: window.startMs,
        windowEndMs: window.endMs,
        perPrefix: ledger.perPrefix(),
        totalPackets: main.total.packets,
        totalBits: main.total.bits,
        complete: !truncated && unattributed.packets === 0 && unattributed.bits === 0,
        unattributedPackets: unattributed.packets,
        unattributedBits: unattributed.bits,
        newestSampleMs: main.newestSampleMs,
        requests,
      };
    },
  };
}
