// Dropped-traffic reads end to end: the real GraphQL client, attribution and batching against the simulator.
import assert from 'node:assert/strict';
import {
  CloudflareError,
  createCloudflareClient,
  createDroppedTrafficBatcher,
  type CloudflareClientOptions,
  type DroppedTrafficReport,
} from '../../src/integrations/cloudflare';
import { createGraphqlClient } from '../../src/integrations/cloudflare/graphql-client';
import { createCloudflareHttp } from '../../src/integrations/cloudflare/http';
import {
  startCloudflareSimulator,
  type CloudflareSimulator,
  type CloudflareSimulatorOptions,
} from '../../src/simulators/cloudflare';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const MIN = 60_000;
/** The usual lookback: the 5 minutes before T0. */
const WINDOW = { startMs: T0 - 5 * MIN, endMs: T0 };
const SECONDS = 300;

async function rejection(p: Promise<unknown>): Promise<CloudflareError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof CloudflareError, `expected a CloudflareError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

describe('Cloudflare dropped traffic against the simulator', () => {
  let now: number;
  let sim: CloudflareSimulator;

  async function start(opts: CloudflareSimulatorOptions = {}) {
    await sim?.close();
    sim = await startCloudflareSimulator({ clock: () => now, ...opts });
  }

  const client = (over: Partial<CloudflareClientOptions> = {}) =>
    createCloudflareClient({
      accountId: sim.accountId,
      auth: { kind: 'token', token: sim.credentials.token },
      baseUrl: sim.baseUrl,
      timeoutMs: 2_000,
      ...over,
    });

  beforeEach(async () => {
    now = T0;
    await start();
  });

  afterEach(async () => {
    await sim.close();
  });

  /** Attacks on IPv4 and IPv6 prefixes, one unconfigured target, and passed background traffic. */
  function scriptMixedAttack() {
    const from = T0 - 10 * MIN;
    sim.traffic.addFlows([
      { destination: '185.54.81.0/24', spread: 4, startMs: from, endMs: T0, packetsPerSecond: 100, outcome: 'drop' },
      {
        destination: '185.54.82.7',
        startMs: from,
        endMs: T0,
        packetsPerSecond: 50,
        outcome: 'drop',
        mitigationSystem: 'flowtrackd',
      },
      {
        destination: '2a02:4460:1:5::/64',
        spread: 2,
        startMs: from,
        packetsPerSecond: 20,
        outcome: 'drop',
        mitigationSystem: 'magic-firewall',
      },
      { destination: '2a02:4460:1:6::1', startMs: from, packetsPerSecond: 10, outcome: 'drop' },
      { destination: '203.0.113.0/24', startMs: from, packetsPerSecond: 30, outcome: 'drop' },
    ]);
    sim.traffic.addBackground('185.54.84.0/24', { packetsPerSecond: 1000, startMs: T0 - 60 * MIN });
  }

  const MIXED_PREFIXES = ['185.54.80.0/22', '185.54.84.0/24', '2a02:4460:1::/48', '2a02:4460:9::/48'];

  function assertMixedReport(r: DroppedTrafficReport) {
    assert.deepEqual(r.perPrefix, {
      '185.54.80.0/22': { packets: 150 * SECONDS, bits: 150 * SECONDS * 8000, systems: ['dosd', 'flowtrackd'] },
      '185.54.84.0/24': { packets: 0, bits: 0, systems: [] },
      '2a02:4460:1::/48': { packets: 30 * SECONDS, bits: 30 * SECONDS * 8000, systems: ['dosd', 'magic-firewall'] },
      '2a02:4460:9::/48': { packets: 0, bits: 0, systems: [] },
    });
    assert.equal(r.totalPackets, 210 * SECONDS);
    assert.equal(r.totalBits, 210 * SECONDS * 8000);
    assert.equal(r.complete, true);
    assert.equal(r.unattributedPackets, 0);
    assert.equal(r.unattributedBits, 0);
    assert.equal(r.newestSampleMs, T0 - MIN);
    assert.equal(r.requests, 1);
    assert.equal(r.windowStartMs, WINDOW.startMs);
    assert.equal(r.windowEndMs, WINDOW.endMs);
  }

  describe('attribution', () => {
    it('attributes IPv4 and IPv6 /24 and /64 rows to configured prefixes by containment, in one request', async () => {
      scriptMixedAttack();
      const r = await client().droppedTraffic(WINDOW, MIXED_PREFIXES);
      assertMixedReport(r);
      assert.equal(sim.stats.requests('graphql'), 1);
    });

    it('reads uint64 values sent as numeric strings', async () => {
      await start({ uint64AsString: true });
      scriptMixedAttack();
      assertMixedReport(await client().droppedTraffic(WINDOW, MIXED_PREFIXES));
    });

    it('prefixes more specific than /24 or /64 get address-level rows from a second request', async () => {
      const from = T0 - 10 * MIN;
      const flow = (destination: string, pps: number) => ({
        destination,
        startMs: from,
        packetsPerSecond: pps,
        outcome: 'drop' as const,
      });
      sim.traffic.addFlows([
        flow('185.54.81.10', 100),
        flow('185.54.81.130', 40),
        flow('185.54.81.200', 7),
        flow('185.54.81.250', 3),
        flow('2a02:4460:1:5::9', 11),
        flow('2a02:4460:1:5:1::1', 13),
      ]);
      const prefixes = [
        '185.54.81.0/24',
        '185.54.81.0/25',
        '185.54.81.128/26',
        '185.54.81.200/32',
        '2a02:4460:1:5::/96',
      ];
      const r = await client().droppedTraffic(WINDOW, prefixes);
      const packets = Object.fromEntries(Object.entries(r.perPrefix).map(([k, v]) => [k, v.packets]));
      assert.deepEqual(packets, {
        '185.54.81.0/24': 150 * SECONDS,
        '185.54.81.0/25': 100 * SECONDS,
        '185.54.81.128/26': 40 * SECONDS,
        '185.54.81.200/32': 7 * SECONDS,
        '2a02:4460:1:5::/96': 11 * SECONDS,
      });
      assert.equal(r.requests, 2);
      assert.equal(r.complete, true);
      assert.equal(r.unattributedPackets, 0);
      assert.equal(sim.stats.requests('graphql'), 2);
    });

    it('accepts a bare subnet format ("192.0.2.0" meaning /24) for subnet and address-level rows', async () => {
      await start({ subnetFormat: 'bare' });
      sim.traffic.addFlows([
        { destination: '185.54.81.10', startMs: T0 - 10 * MIN, packetsPerSecond: 100, outcome: 'drop' },
        { destination: '2a02:4460:1:5::9', startMs: T0 - 10 * MIN, packetsPerSecond: 11, outcome: 'drop' },
      ]);
      const r = await client().droppedTraffic(WINDOW, ['185.54.81.0/24', '185.54.81.0/25', '2a02:4460:1::/48']);
      assert.equal(r.perPrefix['185.54.81.0/24']?.packets, 100 * SECONDS);
      assert.equal(r.perPrefix['185.54.81.0/25']?.packets, 100 * SECONDS);
      assert.equal(r.perPrefix['2a02:4460:1::/48']?.packets, 11 * SECONDS);
      assert.equal(r.complete, true);
    });

    it('only dropped traffic counts, and the window is half-open [start, end)', async () => {
      sim.traffic.addFlows([
        { destination: '185.54.81.1', startMs: T0 - 5 * MIN, packetsPerSecond: 1000, outcome: 'pass' },
        { destination: '185.54.81.2', startMs: T0, endMs: T0 + MIN, packetsPerSecond: 1000, outcome: 'drop' },
        {
          destination: '185.54.81.3',
          startMs: T0 - 6 * MIN,
          endMs: T0 - 5 * MIN,
          packetsPerSecond: 1000,
          outcome: 'drop',
        },
      ]);
      now = T0 + 2 * MIN;
      const r = await client().droppedTraffic(WINDOW, ['185.54.81.0/24']);
      assert.equal(r.perPrefix['185.54.81.0/24']?.packets, 0);
      assert.equal(r.totalPackets, 0);
      assert.equal(r.newestSampleMs, T0 - MIN, 'passed traffic still proves the data is fresh');
    });
  });

  describe('truncation never looks calm', () => {
    it('an attack over all 256 addresses of a /24, cut by a low row limit, is reported as unattributed', async () => {
      sim.traffic.addFlow({
        destination: '185.54.81.0/24',
        spread: 256,
        startMs: T0 - 10 * MIN,
        packetsPerSecond: 25_600,
        bitsPerSecond: 25_600 * 4000,
        outcome: 'drop',
      });
      const r = await client({ graphqlRowLimit: 50 }).droppedTraffic(WINDOW, ['185.54.81.0/25']);
      const truth = 12_800 * SECONDS;
      const seen = r.perPrefix['185.54.81.0/25']!;
      assert.equal(r.complete, false);
      assert.ok(seen.packets < truth, 'the limit really cut rows off');
      assert.ok(r.unattributedPackets > 0);
      assert.ok(seen.packets + r.unattributedPackets >= truth, 'packets + unattributed cover the real attack');
      assert.ok(seen.bits + r.unattributedBits >= truth * 4000);
      assert.equal(r.totalPackets, 25_600 * SECONDS);
    });

    it('a configured /24 cut off the subnet rows by bigger attacks elsewhere shows up as unattributed', async () => {
      const from = T0 - 10 * MIN;
      sim.traffic.addFlows([
        { destination: '198.51.100.1', startMs: from, packetsPerSecond: 5_000, outcome: 'drop' },
        { destination: '198.51.101.1', startMs: from, packetsPerSecond: 4_000, outcome: 'drop' },
        { destination: '198.51.102.1', startMs: from, packetsPerSecond: 3_000, outcome: 'drop' },
        { destination: '185.54.81.9', startMs: from, packetsPerSecond: 100, outcome: 'drop' },
      ]);
      const r = await client({ graphqlRowLimit: 3 }).droppedTraffic(WINDOW, ['185.54.81.0/24']);
      assert.equal(r.perPrefix['185.54.81.0/24']?.packets, 0);
      assert.equal(r.complete, false);
      assert.equal(r.unattributedPackets, 100 * SECONDS);
    });

    it('a row list cut short by the server (partial answer) is not complete', async () => {
      scriptMixedAttack();
      sim.faults.add({ kind: 'partial', rows: 1, match: { graphql: true } });
      const r = await client().droppedTraffic(WINDOW, MIXED_PREFIXES);
      assert.equal(r.complete, false);
      assert.ok(r.unattributedPackets > 0);
      const attributed = Object.values(r.perPrefix).reduce((s, p) => s + p.packets, 0);
      assert.ok(attributed + r.unattributedPackets >= 180 * SECONDS);
    });
  });

  describe('freshness', () => {
    it('an empty window has newestSampleMs null and zero totals', async () => {
      sim.traffic.addBackground('185.54.81.0/24', { startMs: T0 - 10 * MIN, endMs: T0 - 8 * MIN });
      const r = await client().droppedTraffic(WINDOW, ['185.54.81.0/24']);
      assert.equal(r.newestSampleMs, null);
      assert.equal(r.totalPackets, 0);
      assert.deepEqual(r.perPrefix, { '185.54.81.0/24': { packets: 0, bits: 0, systems: [] } });
      assert.equal(r.complete, true);
    });

    it('samples newer than the ingest delay are invisible until the clock moves on', async () => {
      await start({ ingestDelayMs: 3 * MIN });
      sim.traffic.addFlow({
        destination: '185.54.81.7',
        startMs: T0 - 10 * MIN,
        packetsPerSecond: 10,
        outcome: 'drop',
      });
      const early = await client().droppedTraffic(WINDOW, ['185.54.81.0/24']);
      assert.equal(early.perPrefix['185.54.81.0/24']?.packets, 10 * 120);
      assert.equal(early.newestSampleMs, T0 - 4 * MIN);
      now = T0 + 3 * MIN;
      const later = await client().droppedTraffic(WINDOW, ['185.54.81.0/24']);
      assert.equal(later.perPrefix['185.54.81.0/24']?.packets, 10 * SECONDS);
      assert.equal(later.newestSampleMs, T0 - MIN);
    });

    it('an "empty" answer (no rows at all) reads as no data: newestSampleMs null', async () => {
      scriptMixedAttack();
      sim.faults.add({ kind: 'empty', match: { graphql: true } });
      const r = await client().droppedTraffic(WINDOW, MIXED_PREFIXES);
      assert.equal(r.newestSampleMs, null);
      assert.equal(r.totalPackets, 0);
    });
  });

  describe('GraphQL failures', () => {
    const prefixes = ['185.54.81.0/24'];

    it('errors inside an HTTP 200 throw kind graphql with the messages verbatim', async () => {
      sim.faults.add({ kind: 'graphql_error', message: 'something odd happened' });
      const err = await rejection(client().droppedTraffic(WINDOW, prefixes));
      assert.equal(err.kind, 'graphql');
      assert.equal(err.details.httpStatus, 200);
      assert.deepEqual(err.details.errors, [{ code: 0, message: 'something odd happened' }]);
      assert.match(
        err.message,
        /^The Cloudflare analytics query failed \(HTTP 200, something odd happened\) on POST \/graphql/,
      );
    });

    it('"rate limiter budget depleted" is rate_limited for 5 minutes, in a 200 or a 429', async () => {
      sim.faults.add({ kind: 'graphql_error', message: 'rate limiter budget depleted, try again after 5 minutes' });
      const in200 = await rejection(client().droppedTraffic(WINDOW, prefixes));
      assert.equal(in200.kind, 'rate_limited');
      assert.equal(in200.details.retryAfterMs, 5 * MIN);
      await start({ graphqlRateLimit: { requests: 2, windowMs: 5 * MIN } });
      await client().droppedTraffic(WINDOW, prefixes);
      await client().droppedTraffic(WINDOW, prefixes);
      const budget = await rejection(client().droppedTraffic(WINDOW, prefixes));
      assert.equal(budget.kind, 'rate_limited');
      assert.equal(budget.details.httpStatus, 429);
      assert.equal(budget.details.retryAfterMs, 5 * MIN);
    });

    it('"unable to execute query" / "too many queries in progress" and dark periods are server', async () => {
      sim.faults.add({ kind: 'graphql_error', message: 'too many queries in progress, please try again later' });
      assert.equal((await rejection(client().droppedTraffic(WINDOW, prefixes))).kind, 'server');
      sim.faults.add({ kind: 'http_5xx', match: { graphql: true } });
      assert.equal((await rejection(client().droppedTraffic(WINDOW, prefixes))).kind, 'server');
      sim.traffic.addDarkPeriod({ fromMs: T0 - MIN, untilMs: T0 + MIN });
      const dark = await rejection(client().droppedTraffic(WINDOW, prefixes));
      assert.equal(dark.kind, 'server');
      assert.match(dark.message, /unable to execute query/);
      now = T0 + MIN;
      assert.equal((await client().droppedTraffic(WINDOW, prefixes)).requests, 1);
    });

    it('an account the credentials cannot see is forbidden', async () => {
      const err = await rejection(
        client({ accountId: 'ffffffffffffffffffffffffffffffff' }).droppedTraffic(WINDOW, prefixes),
      );
      assert.equal(err.kind, 'forbidden');
    });

    it('data null without errors, a missing node and malformed JSON are bad_response', async () => {
      sim.faults.add({ kind: 'http_error', status: 200, body: '{"data":null,"errors":null}' });
      assert.equal((await rejection(client().droppedTraffic(WINDOW, prefixes))).kind, 'bad_response');
      sim.faults.add({ kind: 'partial', dropNode: 'total' });
      const missing = await rejection(client().droppedTraffic(WINDOW, prefixes));
      assert.equal(missing.kind, 'bad_response');
      assert.match(missing.message, /node "total" is missing/);
      sim.faults.add({ kind: 'malformed_json' });
      assert.equal((await rejection(client().droppedTraffic(WINDOW, prefixes))).kind, 'bad_response');
    });

    it('a limit above maxPageSize is refused with the documented text', async () => {
      const err = await rejection(client({ graphqlRowLimit: 20_000 }).droppedTraffic(WINDOW, prefixes));
      assert.equal(err.kind, 'graphql');
      assert.match(err.message, /limit must be positive number and not greater than 10000/);
    });

    it('queries the schema does not allow fail like at Cloudflare: HTTP 200, data null, errors', async () => {
      const http = createCloudflareHttp({
        baseUrl: sim.baseUrl,
        auth: { kind: 'token', token: sim.credentials.token },
      });
      const gql = createGraphqlClient(http);
      const countQuery = `query($a: string!) { viewer { accounts(filter: {accountTag: $a}) {
        magicTransitNetworkAnalyticsAdaptiveGroups(limit: 1, filter: {outcome: "drop"}) { count } } } }`;
      const noCount = await rejection(gql.query(countQuery, { a: sim.accountId }));
      assert.equal(noCount.kind, 'graphql');
      assert.match(noCount.message, /Cannot query field "count"/);
      const upperString = `query($a: String!) { viewer { accounts(filter: {accountTag: $a}) { accountTag } } }`;
      const typed = await rejection(gql.query(upperString, { a: sim.accountId }));
      assert.match(typed.message, /String!.*string!/);
      const noLimit = `query($a: string!) { viewer { accounts(filter: {accountTag: $a}) {
        magicTransitNetworkAnalyticsAdaptiveGroups(filter: {outcome: "drop"}) { sum { packets } } } } }`;
      assert.match((await rejection(gql.query(noLimit, { a: sim.accountId }))).message, /"limit"/);
      const raw = await fetch(`${sim.baseUrl}/graphql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sim.credentials.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: countQuery, variables: { a: sim.accountId } }),
      });
      assert.equal(raw.status, 200);
      const body = (await raw.json()) as { data: unknown; errors: unknown[] };
      assert.equal(body.data, null);
      assert.equal(body.errors.length, 1);
    });
  });

  describe('batching', () => {
    it('50 concurrent callers for the same window cost exactly one GraphQL request', async () => {
      scriptMixedAttack();
      let batchNow = 0;
      const batcher = createDroppedTrafficBatcher(client(), () => MIXED_PREFIXES, {
        cacheTtlMs: 60_000,
        now: () => batchNow,
      });
      const reports = await Promise.all(Array.from({ length: 50 }, () => batcher.get({ ...WINDOW })));
      assert.equal(sim.stats.requests('graphql'), 1);
      assert.deepEqual(batcher.stats(), { requests: 1, hits: 0, joins: 49, prefixSets: 1 });
      for (const r of reports) assert.equal(r, reports[0]);
      assertMixedReport(reports[0]!);

      batchNow = 30_000;
      assert.equal(await batcher.get({ ...WINDOW }), reports[0]);
      assert.equal(sim.stats.requests('graphql'), 1);
      assert.deepEqual(batcher.stats(), { requests: 1, hits: 1, joins: 49, prefixSets: 1 });

      await batcher.get({ startMs: WINDOW.startMs + MIN, endMs: WINDOW.endMs + MIN });
      assert.equal(sim.stats.requests('graphql'), 2, 'another window is another request');

      batchNow = 60_000;
      await batcher.get({ ...WINDOW });
      assert.equal(sim.stats.requests('graphql'), 3, 'expired reports are fetched again');
    });

    it('10,000 prefixes over 3 cycles: one GraphQL request per cycle, the prefix set read once, not per caller', async () => {
      const many = Array.from({ length: 10_000 }, (_, i) => `10.${Math.floor(i / 250)}.${i % 250}.0/24`);
      sim.traffic.addFlow({
        destination: '10.39.249.0/24',
        startMs: T0 - 10 * MIN,
        packetsPerSecond: 7,
        outcome: 'drop',
      });
      let prefixCalls = 0;
      const batcher = createDroppedTrafficBatcher(
        client(),
        () => {
          prefixCalls += 1;
          return many;
        },
        { cacheTtlMs: MIN, now: () => now },
      );
      for (let cycle = 0; cycle < 3; cycle++) {
        const window = { startMs: WINDOW.startMs + cycle * MIN, endMs: WINDOW.endMs + cycle * MIN };
        // Every prefix of the cycle asks, as the measurement activities do.
        const reports = await Promise.all(many.map(() => batcher.get(window)));
        assert.ok(reports.every((r) => r === reports[0]));
        assert.equal(reports[0]!.perPrefix['10.39.249.0/24']?.packets, 7 * (SECONDS - cycle * 60));
        assert.equal(Object.keys(reports[0]!.perPrefix).length, 10_000);
        assert.equal(sim.stats.requests('graphql'), cycle + 1, `one request in cycle ${cycle}`);
      }
      assert.equal(prefixCalls, 30_000, 'the set is asked for on every call (it may change)');
      assert.deepEqual(batcher.stats(), { requests: 3, hits: 0, joins: 29_997, prefixSets: 1 });
    });

    it('a changed prefix set is a new request (a report for the old set would miss prefixes); an equal copy is not', async () => {
      sim.traffic.addFlow({
        destination: '185.54.82.0/24',
        startMs: T0 - 10 * MIN,
        packetsPerSecond: 3,
        outcome: 'drop',
      });
      let current: readonly string[] = ['185.54.81.0/24'];
      const batcher = createDroppedTrafficBatcher(client(), () => current, { now: () => now });
      const before = await batcher.get({ ...WINDOW });
      assert.equal(before.perPrefix['185.54.82.0/24'], undefined);
      current = ['185.54.82.0/24', '185.54.81.0/24'];
      const after = await batcher.get({ ...WINDOW });
      assert.equal(after.perPrefix['185.54.82.0/24']?.packets, 3 * SECONDS);
      assert.equal(sim.stats.requests('graphql'), 2);
      current = ['185.54.81.0/24', '185.54.82.0/24'];
      assert.equal(await batcher.get({ ...WINDOW }), after, 'the same set in another order shares the report');
      assert.equal(sim.stats.requests('graphql'), 2);
      assert.deepEqual(batcher.stats(), { requests: 2, hits: 1, joins: 0, prefixSets: 3 });
    });

    it('a failure is shared by the callers in flight but never cached', async () => {
      sim.traffic.addFlow({
        destination: '185.54.81.7',
        startMs: T0 - 10 * MIN,
        packetsPerSecond: 10,
        outcome: 'drop',
      });
      sim.faults.add({ kind: 'http_5xx', count: 1, match: { graphql: true } });
      const configured = ['185.54.81.0/24'];
      const batcher = createDroppedTrafficBatcher(client(), () => configured);
      const settled = await Promise.allSettled(Array.from({ length: 10 }, () => batcher.get({ ...WINDOW })));
      assert.ok(settled.every((s) => s.status === 'rejected'));
      const reasons = settled.map((s) => s.reason as unknown);
      assert.ok(reasons.every((e) => e === reasons[0]) && reasons[0] instanceof CloudflareError);
      assert.equal(sim.stats.requests('graphql'), 1);
      const ok = await batcher.get({ ...WINDOW });
      assert.equal(ok.perPrefix['185.54.81.0/24']?.packets, 10 * SECONDS);
      assert.equal(sim.stats.requests('graphql'), 2);
      assert.deepEqual(batcher.stats(), { requests: 2, hits: 0, joins: 9, prefixSets: 1 });
    });
  });
});
