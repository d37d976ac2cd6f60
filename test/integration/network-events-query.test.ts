// The monitor's GraphQL read of the dosd node, through the production client against the loopback simulator:
// every dimension the table stores, drops only, dosd only, the half-open window, the row limit, failures.
import assert from 'node:assert/strict';
import { createGraphqlClient } from '../../src/integrations/cloudflare/graphql-client';
import { createCloudflareHttp } from '../../src/integrations/cloudflare/http';
import { createNetworkEventsApi } from '../../src/integrations/cloudflare/network-events-query';
import { CloudflareError } from '../../src/integrations/cloudflare/types';
import { startCloudflareSimulator, type CloudflareSimulator } from '../../src/simulators/cloudflare';

const ACCOUNT = '9035f53656c247e895c5a6939ae8a0e0';
const TOKEN = 'cf-token-network-events';
const T0 = Date.parse('2026-01-19T13:00:00Z');
const MIN = 60_000;

describe('network events query (dosd node, simulator)', () => {
  let sim: CloudflareSimulator;
  const api = (rowLimit = 1000) =>
    createNetworkEventsApi(
      createGraphqlClient(createCloudflareHttp({ baseUrl: sim.baseUrl, auth: { kind: 'token', token: TOKEN } })),
      { accountId: ACCOUNT, rowLimit },
    );

  before(async () => {
    sim = await startCloudflareSimulator({ accountId: ACCOUNT, token: TOKEN, clock: () => T0 + 60 * MIN });
    sim.traffic.addFlow({
      destination: '185.54.81.10',
      startMs: T0,
      endMs: T0 + 3 * MIN,
      packetsPerSecond: 100,
      outcome: 'drop',
      mitigationSystem: 'dosd',
      attackId: 'atk-syn',
      attackVector: 'SYN Flood',
      ruleId: 'rule-1',
      ruleName: 'SYN flood protection',
      mitigationReason: 'BLOCKED',
      ipSourceAddress: '203.0.113.7',
      sourcePort: 40001,
      sourceAsn: 4134,
      sourceAsnName: 'CHINANET',
      sourceCountry: 'CN',
      destinationPort: 443,
      ipProtocolName: 'TCP',
      tcpFlagsString: 'SYN',
      coloCode: 'FRA',
      coloCountry: 'DE',
    });
    // Not in the dosd node: passed traffic, and drops by another system.
    sim.traffic.addFlow({
      destination: '185.54.81.11',
      startMs: T0,
      endMs: T0 + 3 * MIN,
      packetsPerSecond: 50,
      outcome: 'pass',
    });
    sim.traffic.addFlow({
      destination: '185.54.81.12',
      startMs: T0,
      endMs: T0 + 3 * MIN,
      packetsPerSecond: 50,
      outcome: 'drop',
      mitigationSystem: 'flowtrackd',
    });
  });

  after(() => sim?.close());

  it('returns one event per sample group with every stored dimension, dosd drops only', async () => {
    const report = await api().networkEvents({ startMs: T0, endMs: T0 + 15 * MIN });
    assert.equal(report.truncated, false);
    assert.equal(report.events.length, 3, 'one per minute of the flow');
    const first = [...report.events].sort((a, b) => a.datetimeMs - b.datetimeMs)[0]!;
    assert.deepEqual(
      { ...first, raw: undefined },
      {
        datetime: '2026-01-19T13:00:00Z',
        datetimeMs: T0,
        attackId: 'atk-syn',
        attackVector: 'SYN Flood',
        ruleName: 'SYN flood protection',
        ruleId: 'rule-1',
        mitigationReason: 'BLOCKED',
        outcome: 'drop',
        sourceIp: '203.0.113.7',
        sourcePort: 40001,
        sourceAsn: 4134,
        sourceAsnName: 'CHINANET',
        sourceCountry: 'CN',
        destinationIp: '185.54.81.10',
        destinationPort: 443,
        protocol: 'TCP',
        tcpFlags: 'SYN',
        coloCode: 'FRA',
        coloCountry: 'DE',
        packets: 6000,
        bits: 48_000_000,
        raw: undefined,
        hashKey: '2026-01-19T13:00:00Z|atk-syn|203.0.113.7|185.54.81.10|443',
      },
    );
  });

  it('reads the half-open window only', async () => {
    const report = await api().networkEvents({ startMs: T0 + MIN, endMs: T0 + 2 * MIN });
    assert.deepEqual(
      report.events.map((e) => e.datetime),
      ['2026-01-19T13:01:00Z'],
    );
  });

  it('says when the row limit was reached', async () => {
    const report = await api(2).networkEvents({ startMs: T0, endMs: T0 + 15 * MIN });
    assert.equal(report.events.length, 2);
    assert.equal(report.truncated, true);
  });

  it('keeps the MT node without the dosd-only dimensions (the schema subset follows the dump)', async () => {
    const res = await fetch(`${sim.baseUrl}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        query: `query($a: string!) { viewer { accounts(filter: {accountTag: $a}) {
          magicTransitNetworkAnalyticsAdaptiveGroups(limit: 1, filter: {outcome: "drop"}) { dimensions { attackId } } } } }`,
        variables: { a: ACCOUNT },
      }),
    });
    const body = (await res.json()) as { data: unknown; errors: Array<{ message: string }> };
    assert.equal(body.data, null);
    assert.match(body.errors[0]?.message ?? '', /attackId/);
  });

  it('fails as a classified CloudflareError (never an empty answer) on analytics errors and other accounts', async () => {
    sim.faults.add({ kind: 'graphql_error', match: { graphql: true }, count: 1 });
    await assert.rejects(api().networkEvents({ startMs: T0, endMs: T0 + 15 * MIN }), CloudflareError);
    const other = createNetworkEventsApi(
      createGraphqlClient(createCloudflareHttp({ baseUrl: sim.baseUrl, auth: { kind: 'token', token: TOKEN } })),
      { accountId: '0'.repeat(32), rowLimit: 10 },
    );
    await assert.rejects(other.networkEvents({ startMs: T0, endMs: T0 + MIN }), CloudflareError);
  });
});
