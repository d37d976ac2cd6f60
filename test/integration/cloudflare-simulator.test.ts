// The Cloudflare simulator on its own, over raw HTTP: body validation, routes, the query engine, faults and admin API.
import assert from 'node:assert/strict';
import { createCloudflareClient, CloudflareError } from '../../src/integrations/cloudflare';
import { startCloudflareSimulator, type CloudflareSimulator } from '../../src/simulators/cloudflare';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const MIN = 60_000;

interface GqlBody {
  data: { viewer: { accounts: Record<string, unknown>[] } } | null;
  errors: { message: string }[] | null;
}

describe('Cloudflare simulator', () => {
  let now: number;
  let sim: CloudflareSimulator;

  const auth = () => ({ authorization: `Bearer ${sim.credentials.token}`, 'content-type': 'application/json' });
  const prefixUrl = (id: string) =>
    `${sim.baseUrl}/accounts/${sim.accountId}/addressing/prefixes/pfx-a/bgp/prefixes/${id}`;

  async function patchRaw(id: string, body: string) {
    const res = await fetch(prefixUrl(id), { method: 'PATCH', headers: auth(), body });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async function gql(query: string, variables: Record<string, unknown> = {}) {
    const res = await fetch(`${sim.baseUrl}/graphql`, {
      method: 'POST',
      headers: auth(),
      body: JSON.stringify({ query, variables: { a: sim.accountId, ...variables } }),
    });
    return { status: res.status, body: (await res.json()) as GqlBody };
  }

  async function admin(method: 'GET' | 'POST', path: string, body?: unknown) {
    const res = await fetch(`${sim.url}/__sim${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: await res.json() };
  }

  beforeEach(async () => {
    now = T0;
    sim = await startCloudflareSimulator({ clock: () => now });
    sim.state.addPrefix({ parentPrefixId: 'pfx-a', bgpPrefixId: 'bgp-1', cidr: '185.54.81.0/24', advertised: true });
  });

  afterEach(async () => {
    await sim.close();
  });

  describe('REST', () => {
    it('refuses invalid PATCH bodies with a 400 envelope and changes nothing', async () => {
      for (const body of [
        '{"advertised": false}',
        '{"on_demand": {"advertised": "no"}}',
        '{"on_demand": true}',
        '{"asn_prepend_count": 7}',
        'not json',
        '[]',
      ]) {
        const r = await patchRaw('bgp-1', body);
        assert.equal(r.status, 400, body);
        assert.equal(r.body.success, false);
        assert.equal(r.body.result, null);
        const errors = r.body.errors as { code: number; message: string }[];
        assert.ok(errors[0]!.code >= 1000 && errors[0]!.message.startsWith('Invalid request body'), body);
      }
      assert.equal(sim.state.get('bgp-1')?.advertised, true);
      assert.ok(sim.stats.patches().every((e) => e.outcome === 'invalid'));
    });

    it('accepts the other documented PATCH fields', async () => {
      const r = await patchRaw('bgp-1', '{"asn_prepend_count": 2, "auto_advertise_withdraw": true}');
      assert.equal(r.status, 200);
      const result = r.body.result as Record<string, unknown>;
      assert.equal(result.asn_prepend_count, 2);
      assert.equal(result.auto_advertise_withdraw, true);
      assert.equal((result.on_demand as Record<string, unknown>).advertised, true);
    });

    it('lists carry result_info; unknown routes and methods get Cloudflare-style errors', async () => {
      const list = await fetch(`${sim.baseUrl}/accounts/${sim.accountId}/addressing/prefixes/pfx-a/bgp/prefixes`, {
        headers: auth(),
      });
      const body = (await list.json()) as Record<string, unknown>;
      assert.deepEqual(body.result_info, { count: 1, page: 1, per_page: 20, total_count: 1 });
      assert.deepEqual(body.errors, []);
      assert.deepEqual(body.messages, []);
      const unknown = await fetch(`${sim.baseUrl}/accounts/${sim.accountId}/nothing`, { headers: auth() });
      assert.equal(unknown.status, 404);
      assert.equal(((await unknown.json()) as { errors: { code: number }[] }).errors[0]?.code, 7003);
      const wrongMethod = await fetch(prefixUrl('bgp-1'), { method: 'DELETE', headers: auth() });
      assert.equal(wrongMethod.status, 405);
    });
  });

  describe('GraphQL query engine', () => {
    const node = 'magicTransitNetworkAnalyticsAdaptiveGroups';

    beforeEach(() => {
      sim.traffic.addFlows([
        {
          destination: '185.54.81.7',
          startMs: T0 - 3 * MIN,
          endMs: T0,
          packetsPerSecond: 10,
          bitsPerSecond: 1200,
          outcome: 'drop',
          ipSourceAddress: '198.51.100.9',
          destinationPort: 53,
          ipProtocolName: 'UDP',
          coloCode: 'FRA',
          sourceAsn: 64500,
        },
        {
          destination: '185.54.80.0/23',
          spread: 2,
          startMs: T0 - 2 * MIN,
          endMs: T0,
          packetsPerSecond: 4,
          outcome: 'drop',
          mitigationSystem: 'flowtrackd',
          tcpFlagsString: 'S',
        },
      ]);
    });

    it('groups by time and attack dimensions, sums, orders and limits', async () => {
      const r = await gql(
        `query($a: string!, $s: Time!, $e: Time!) { viewer { accounts(filter: {accountTag: $a}) {
          byMinute: ${node}(limit: 10, orderBy: [datetimeMinute_ASC], filter: {datetime_geq: $s, datetime_lt: $e}) {
            sum { packets bits } avg { packetRateMinute } dimensions { datetimeMinute } }
          attack: ${node}(limit: 10, orderBy: [sum_packets_DESC], filter: {datetime_geq: $s, datetime_lt: $e, mitigationSystem: "dosd"}) {
            sum { packets } dimensions { ipSourceAddress destinationPort ipProtocolName coloCode sourceAsn ipDestinationSubnet } }
          subnets: ${node}(limit: 1, orderBy: [ipDestinationSubnet_DESC], filter: {datetime_geq: $s, datetime_lt: $e}) {
            dimensions { ipDestinationSubnet } }
          settings { ${node} { maxPageSize enabled } } } } }`,
        { s: new Date(T0 - 10 * MIN).toISOString(), e: new Date(T0).toISOString() },
      );
      assert.equal(r.status, 200);
      assert.equal(r.body.errors, null);
      const account = r.body.data!.viewer.accounts[0]!;
      assert.deepEqual(account.byMinute, [
        {
          sum: { packets: 600, bits: 72_000 },
          avg: { packetRateMinute: 10 },
          dimensions: { datetimeMinute: '2026-03-01T11:57:00Z' },
        },
        {
          sum: { packets: 840, bits: 1_992_000 },
          avg: { packetRateMinute: 14 },
          dimensions: { datetimeMinute: '2026-03-01T11:58:00Z' },
        },
        {
          sum: { packets: 840, bits: 1_992_000 },
          avg: { packetRateMinute: 14 },
          dimensions: { datetimeMinute: '2026-03-01T11:59:00Z' },
        },
      ]);
      assert.deepEqual(account.attack, [
        {
          sum: { packets: 1800 },
          dimensions: {
            ipSourceAddress: '198.51.100.9',
            destinationPort: 53,
            ipProtocolName: 'UDP',
            coloCode: 'FRA',
            sourceAsn: 64500,
            ipDestinationSubnet: '185.54.81.0/24',
          },
        },
      ]);
      assert.deepEqual(account.subnets, [{ dimensions: { ipDestinationSubnet: '185.54.81.0/24' } }]);
      assert.deepEqual(account.settings, { [node]: { maxPageSize: 10_000, enabled: true } });
    });

    it('filters with _in, _like, _neq, AND and OR', async () => {
      const q = (filter: string) =>
        gql(`query($a: string!) { viewer { accounts(filter: {accountTag: $a}) {
          rows: ${node}(limit: 100, orderBy: [ipDestinationAddress_ASC], filter: ${filter}) { sum { packets } dimensions { ipDestinationAddress } } } } }`);
      const addresses = async (filter: string) => {
        const r = await q(filter);
        assert.equal(r.body.errors, null, filter);
        return (r.body.data!.viewer.accounts[0]!.rows as { dimensions: { ipDestinationAddress: string } }[]).map(
          (x) => x.dimensions.ipDestinationAddress,
        );
      };
      assert.deepEqual(await addresses('{}'), ['185.54.80.0', '185.54.81.0', '185.54.81.7']);
      assert.deepEqual(await addresses('{ipDestinationSubnet_in: ["185.54.80.0/24"]}'), ['185.54.80.0']);
      assert.deepEqual(await addresses('{ipDestinationAddress_like: "185.54.81.%"}'), ['185.54.81.0', '185.54.81.7']);
      assert.deepEqual(await addresses('{mitigationSystem_neq: "dosd", tcpFlagsString: "S"}'), [
        '185.54.80.0',
        '185.54.81.0',
      ]);
      assert.deepEqual(
        await addresses('{OR: [{ipDestinationAddress: "185.54.81.7"}, {ipDestinationAddress: "185.54.80.0"}]}'),
        ['185.54.80.0', '185.54.81.7'],
      );
      assert.deepEqual(await addresses('{AND: [{outcome: "drop"}, {destinationPort_in: [53]}]}'), ['185.54.81.7']);
      assert.deepEqual(await addresses(`{datetime_geq: "${new Date(T0 - MIN).toISOString()}", sourceAsn: 64500}`), [
        '185.54.81.7',
      ]);
    });

    it('rejects what the real schema rejects: unknown fields, bad scalars, bad limits', async () => {
      const bad = async (query: string, pattern: RegExp) => {
        const r = await gql(query);
        assert.equal(r.status, 200);
        assert.equal(r.body.data, null);
        assert.match(r.body.errors?.[0]?.message ?? '', pattern);
      };
      await bad(
        `query($a: string!) { viewer { accounts(filter: {accountTag: $a}) { ${node}(limit: 1, filter: {verdict: "drop"}) { sum { packets } } } } }`,
        /verdict/,
      );
      await bad(
        `query($a: string!) { viewer { accounts(filter: {accountTag: $a}) { ${node}(limit: 1, filter: {datetime_geq: "yesterday"}) { sum { packets } } } } }`,
        /RFC 3339/,
      );
      const limit = await gql(
        `query($a: string!) { viewer { accounts(filter: {accountTag: $a}) { ${node}(limit: 0, filter: {}) { sum { packets } } } } }`,
      );
      assert.match(limit.body.errors?.[0]?.message ?? '', /^limit must be positive number and not greater than 10000$/);
    });
  });

  describe('faults', () => {
    it('count, time window and match decide which requests fail', async () => {
      sim.faults.add({ kind: 'http_5xx', count: 2, match: { method: 'GET', path: '/bgp/prefixes/bgp-1' } });
      sim.faults.add({ kind: 'http_429', fromMs: T0 + MIN, untilMs: T0 + 2 * MIN });
      const get = async () => (await fetch(prefixUrl('bgp-1'), { headers: auth() })).status;
      assert.deepEqual([await get(), await get(), await get()], [503, 503, 200]);
      now = T0 + MIN;
      assert.deepEqual([await get(), await get()], [429, 429]);
      now = T0 + 2 * MIN;
      assert.equal(await get(), 200);
      assert.equal(sim.stats.snapshot().faulted, 4);
    });

    it('probabilistic faults replay identically for the same seed', async () => {
      const run = async (seed: number) => {
        const s = await startCloudflareSimulator({ clock: () => now, seed });
        s.state.addPrefix({ parentPrefixId: 'p', bgpPrefixId: 'b', cidr: '192.0.2.0/24', advertised: true });
        s.faults.add({ kind: 'http_5xx', probability: 0.5 });
        const statuses: number[] = [];
        for (let i = 0; i < 16; i++) {
          const res = await fetch(`${s.baseUrl}/accounts/${s.accountId}/addressing/prefixes/p/bgp/prefixes/b`, {
            headers: { authorization: `Bearer ${s.credentials.token}` },
          });
          statuses.push(res.status);
        }
        await s.close();
        return statuses;
      };
      const a = await run(7);
      assert.deepEqual(await run(7), a);
      assert.ok(a.includes(503) && a.includes(200), 'both outcomes occur');
    });
  });

  describe('fault shapes and scheduling', () => {
    const listUrl = () => `${sim.baseUrl}/accounts/${sim.accountId}/addressing/prefixes/pfx-a/bgp/prefixes`;
    const get = async (headers: Record<string, string> = auth()) =>
      (await fetch(prefixUrl('bgp-1'), { headers })).status;
    const query = `query($a: string!) { viewer { accounts(filter: {accountTag: $a}) {
      magicTransitNetworkAnalyticsAdaptiveGroups(limit: 1, filter: {}) { sum { packets } } } } }`;

    it('http_429 on the GraphQL endpoint answers in GraphQL shape, with Retry-After', async () => {
      sim.faults.add({ kind: 'http_429', retryAfterSec: 90, match: { graphql: true } });
      const res = await fetch(`${sim.baseUrl}/graphql`, {
        method: 'POST',
        headers: auth(),
        body: JSON.stringify({ query, variables: { a: sim.accountId } }),
      });
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('retry-after'), '90');
      const body = (await res.json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(body).sort(), ['data', 'errors'], 'no REST envelope fields');
      assert.equal(body.data, null);
      assert.equal(
        (body.errors as { message: string }[])[0]?.message,
        'rate limiter budget depleted, try again after 2 minutes',
      );
      // REST keeps its envelope.
      sim.faults.add({ kind: 'http_429', retryAfterSec: 3 });
      const rest = await fetch(prefixUrl('bgp-1'), { headers: auth() });
      assert.equal(rest.status, 429);
      assert.equal(rest.headers.get('retry-after'), '3');
      assert.deepEqual(((await rest.json()) as { errors: { code: number }[] }).errors[0]?.code, 971);
    });

    it('partial and empty count a hit only when they degraded a 200 answer', async () => {
      sim.state.addPrefix({ parentPrefixId: 'pfx-a', bgpPrefixId: 'bgp-2', cidr: '185.54.82.0/24', advertised: true });
      sim.faults.add({ kind: 'empty', count: 1, match: { method: 'GET' } });
      const list = async (headers: Record<string, string> = auth()) => {
        const res = await fetch(listUrl(), { headers });
        return { status: res.status, body: (await res.json()) as { result: unknown[] | null } };
      };
      const refused = await list({ authorization: 'Bearer wrong' });
      assert.equal(refused.status, 403, 'a refused request is not degraded');
      const missing = await fetch(prefixUrl('nope'), { headers: auth() });
      assert.equal(missing.status, 404);
      assert.equal(sim.faults.list()[0]?.hits, 0, 'non-200 answers did not use the hit up');
      assert.equal(sim.stats.snapshot().faulted, 0);
      const emptied = await list();
      assert.equal(emptied.status, 200);
      assert.deepEqual(emptied.body.result, []);
      assert.equal(sim.stats.snapshot().faulted, 1);
      assert.equal((await list()).body.result?.length, 2, 'the one hit is spent');

      sim.faults.add({ kind: 'partial', rows: 1, count: 1, match: { method: 'GET' } });
      assert.equal((await list({ authorization: 'Bearer wrong' })).status, 403);
      assert.equal((await list()).body.result?.length, 1);
      assert.equal((await list()).body.result?.length, 2);
    });

    it('a relative window starts X after it is added and lasts Y (in-process and over the admin API)', async () => {
      sim.faults.add({ kind: 'http_5xx', afterMs: MIN, forMs: 2 * MIN });
      assert.deepEqual(
        sim.faults.list().map((f) => [f.fromMs, f.untilMs, f.remaining]),
        [[T0 + MIN, T0 + 3 * MIN, Infinity]],
      );
      assert.equal(await get(), 200);
      now = T0 + MIN;
      assert.equal(await get(), 503);
      now = T0 + 3 * MIN - 1;
      assert.equal(await get(), 503);
      now = T0 + 3 * MIN;
      assert.equal(await get(), 200);

      sim.faults.clear();
      const added = await admin('POST', '/faults', { kind: 'http_429', retryAfterSec: 1, afterMs: 0, forMs: 30_000 });
      assert.equal(added.status, 201);
      const listed = (await admin('GET', '/faults')).body as { fromMs: number; untilMs: number }[];
      assert.deepEqual([listed[0]?.fromMs, listed[0]?.untilMs], [now, now + 30_000]);
      assert.equal(await get(), 429);
      now += 30_000;
      assert.equal(await get(), 200);
      // "from now + X" without an end stays on.
      sim.faults.add({ kind: 'http_5xx', afterMs: 1000 });
      assert.equal(await get(), 200);
      now += 1000;
      assert.deepEqual([await get(), await get()], [503, 503]);
    });

    it('every Nth matching call, optionally shifted, within count and window', async () => {
      sim.faults.add({ kind: 'http_5xx', every: 3, match: { method: 'GET' } });
      const statuses: number[] = [];
      for (let i = 0; i < 9; i++) statuses.push(await get());
      assert.deepEqual(statuses, [200, 200, 503, 200, 200, 503, 200, 200, 503]);
      // PATCHes do not match, so they do not advance the count.
      assert.equal((await patchRaw('bgp-1', '{"on_demand":{"advertised":true}}')).status, 200);
      assert.deepEqual([await get(), await get(), await get()], [200, 200, 503]);

      sim.faults.clear();
      await admin('POST', '/faults', { kind: 'http_5xx', every: 4, everyOffset: 1, count: 2 });
      const shifted: number[] = [];
      for (let i = 0; i < 10; i++) shifted.push(await get());
      assert.deepEqual(shifted, [503, 200, 200, 200, 503, 200, 200, 200, 200, 200]);
    });

    it('logs each GraphQL request with its variables and whether it was answered', async () => {
      sim.traffic.addDarkPeriod({ fromMs: T0 + MIN, untilMs: T0 + 2 * MIN });
      const ask = async () => {
        const res = await fetch(`${sim.baseUrl}/graphql`, {
          method: 'POST',
          headers: auth(),
          body: JSON.stringify({
            query: query.replace('query(', 'query Q('),
            operationName: 'Q',
            variables: { a: sim.accountId, end: String(now) },
          }),
        });
        await res.text();
      };
      await ask();
      now = T0 + MIN;
      await ask();
      now = T0 + 2 * MIN;
      sim.faults.add({ kind: 'graphql_error', match: { graphql: true } });
      await ask();
      await ask();
      await fetch(prefixUrl('bgp-1'), { headers: auth() });
      assert.deepEqual(
        sim.stats
          .graphqlRequests()
          .map((g) => [g.atMs - T0, g.httpStatus, g.answered, g.operationName, g.variables.end]),
        [
          [0, 200, true, 'Q', String(T0)],
          [MIN, 503, false, 'Q', String(T0 + MIN)],
          [2 * MIN, 200, false, 'Q', String(T0 + 2 * MIN)],
          [2 * MIN, 200, true, 'Q', String(T0 + 2 * MIN)],
        ],
      );
    });

    it('lost_answer applies the request, then drops the connection instead of answering', async () => {
      const client = createCloudflareClient({
        accountId: sim.accountId,
        auth: { kind: 'token', token: sim.credentials.token },
        baseUrl: sim.baseUrl,
        timeoutMs: 2_000,
      });
      sim.faults.add({ kind: 'lost_answer', match: { method: 'PATCH' } });
      now = T0 + MIN;
      const err = await client.setAdvertised('pfx-a', 'bgp-1', false).then(
        () => assert.fail('the answer should have been lost'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof CloudflareError, String(err));
      assert.equal(err.kind, 'network');
      assert.match(err.message, /^Could not reach Cloudflare \(ECONNRESET\) on PATCH /);
      // The PATCH took effect and is logged as applied, with the lost answer marked.
      const applied = sim.state.get('bgp-1');
      assert.equal(applied?.advertised, false);
      assert.equal(applied?.advertisedModifiedAtMs, T0 + MIN);
      assert.deepEqual(
        sim.stats.patches().map((p) => [p.outcome, p.httpStatus, p.advertised, p.answerLost]),
        [['changed', 200, false, true]],
      );
      assert.equal(sim.stats.snapshot().faulted, 1);
      // The fault is used up: a retry reads what the lost answer would have said.
      const again = await client.getBgpPrefix('pfx-a', 'bgp-1');
      assert.equal(again.onDemand?.advertised, false);
      assert.equal(again.onDemand?.advertisedModifiedAt, new Date(T0 + MIN).toISOString());

      // Over the admin API, and on the GraphQL endpoint: the query runs, its answer is logged as not answered.
      assert.equal((await admin('POST', '/faults', { kind: 'lost_answer', match: { graphql: true } })).status, 201);
      await assert.rejects(
        fetch(`${sim.baseUrl}/graphql`, {
          method: 'POST',
          headers: auth(),
          body: JSON.stringify({ query, variables: { a: sim.accountId } }),
        }),
        TypeError,
      );
      assert.deepEqual(
        sim.stats.graphqlRequests().map((g) => g.answered),
        [false],
      );
      assert.equal((await gql(query)).status, 200);
      assert.equal((await admin('POST', '/faults', { kind: 'lost_answr' })).status, 400);
    });

    it('refuses schedules that make no sense, naming the field', async () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ kind: 'http_5xx', fromMs: T0, afterMs: 1000 }, /either fromMs\/untilMs .* or afterMs\/forMs/],
        [{ kind: 'http_5xx', forMs: -1 }, /forMs must be/],
        [{ kind: 'http_5xx', every: 0 }, /every must be a whole number/],
        [{ kind: 'http_5xx', every: 2, everyOffset: 3 }, /everyOffset must be/],
        [{ kind: 'http_5xx', everyOffset: 1 }, /everyOffset needs every/],
        [{ kind: 'http_5xx', probability: 2 }, /probability must be between 0 and 1/],
        [{ kind: 'nonsense' }, /unknown fault kind nonsense/],
      ];
      for (const [spec, error] of cases) {
        const r = await admin('POST', '/faults', spec);
        assert.equal(r.status, 400, JSON.stringify(spec));
        assert.match((r.body as { error: string }).error, error);
      }
      assert.deepEqual(sim.faults.list(), []);
    });
  });

  describe('admin API', () => {
    it('sets up prefixes, flows and faults from another process and reports state, stats and PATCHes', async () => {
      assert.equal(
        (
          await admin('POST', '/prefixes', {
            parentPrefixId: 'pfx-a',
            bgpPrefixId: 'bgp-2',
            cidr: '185.54.82.0/24',
            advertised: true,
          })
        ).status,
        201,
      );
      await admin('POST', '/flows', [
        { destination: '185.54.82.1', startMs: T0 - 2 * MIN, packetsPerSecond: 5, outcome: 'drop' },
      ]);
      await admin('POST', '/faults', { kind: 'http_5xx', match: { pathRegex: 'bgp-2$', method: 'PATCH' } });
      assert.equal((await patchRaw('bgp-2', '{"on_demand":{"advertised":false}}')).status, 503);
      assert.equal((await patchRaw('bgp-2', '{"on_demand":{"advertised":false}}')).status, 200);
      await admin('POST', '/prefixes/bgp-2', { locked: true });
      const state = (await admin('GET', '/state')).body as {
        prefixes: { bgpPrefixId: string; locked: boolean }[];
        flows: unknown[];
      };
      assert.equal(state.prefixes.find((p) => p.bgpPrefixId === 'bgp-2')?.locked, true);
      assert.equal(state.flows.length, 1);
      const patches = (await admin('GET', '/patches')).body as { outcome: string }[];
      assert.deepEqual(
        patches.map((p) => p.outcome),
        ['fault', 'changed'],
      );
      const stats = (await admin('GET', '/stats')).body as { byRoute: Record<string, number> };
      assert.equal(stats.byRoute.patchBgpPrefix, 2);
      await admin('POST', '/clear');
      assert.deepEqual(((await admin('GET', '/stats')).body as { total: number }).total, 0);
      assert.equal(sim.traffic.flows().length, 0);
      assert.equal(
        (await admin('POST', '/flows', { destination: 'nonsense', startMs: 0, packetsPerSecond: 1, outcome: 'drop' }))
          .status,
        400,
      );
    });
  });
});
