// The real REST client against the Cloudflare simulator over loopback: envelopes, mapping, PATCH and every error kind.
import assert from 'node:assert/strict';
import { createCloudflareClient, CloudflareError, type CloudflareClient } from '../../src/integrations/cloudflare';
import { startCloudflareSimulator, type CloudflareSimulator } from '../../src/simulators/cloudflare';

const T0 = Date.parse('2026-03-01T12:00:00Z');
const MIN = 60_000;

async function rejection(p: Promise<unknown>): Promise<CloudflareError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof CloudflareError, `expected a CloudflareError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

describe('Cloudflare REST client against the simulator', () => {
  let now: number;
  let sim: CloudflareSimulator;
  let client: CloudflareClient;
  const errors: CloudflareError[] = [];

  const clientWith = (over: Partial<Parameters<typeof createCloudflareClient>[0]> = {}) =>
    createCloudflareClient({
      accountId: sim.accountId,
      auth: { kind: 'token', token: sim.credentials.token },
      baseUrl: sim.baseUrl,
      timeoutMs: 2_000,
      ...over,
    });

  const fails = async (p: Promise<unknown>) => {
    const err = await rejection(p);
    errors.push(err);
    return err;
  };

  beforeEach(async () => {
    now = T0;
    sim = await startCloudflareSimulator({ clock: () => now });
    sim.state.addPrefix({ parentPrefixId: 'pfx-a', bgpPrefixId: 'bgp-v4', cidr: '185.54.81.0/24', advertised: true });
    sim.state.addPrefix({
      parentPrefixId: 'pfx-a',
      bgpPrefixId: 'bgp-v4b',
      cidr: '185.54.82.0/24',
      advertised: false,
      advertisedModifiedAtMs: T0 - 60 * MIN,
    });
    sim.state.addPrefix({
      parentPrefixId: 'pfx-b',
      bgpPrefixId: 'bgp-v6',
      cidr: '2A02:4460:0001::/48',
      advertised: true,
    });
    sim.state.addPrefix({
      parentPrefixId: 'pfx-b',
      bgpPrefixId: 'bgp-locked',
      cidr: '2a02:4460:2::/48',
      advertised: false,
      locked: true,
    });
    sim.state.addPrefix({
      parentPrefixId: 'pfx-b',
      bgpPrefixId: 'bgp-static',
      cidr: '2a02:4460:3::/48',
      advertised: true,
      onDemandEnabled: false,
    });
    client = clientWith();
  });

  afterEach(async () => {
    await sim.close();
  });

  after(() => {
    // Whatever failed in this file, no credential reached an error message or its details.
    const secrets = ['sim-api-token-0000000000000000000000', 'sim0global0api0key000000000000000000', 'ops@example.net'];
    assert.ok(errors.length >= 10, 'the error tests ran');
    for (const err of errors) {
      const text = `${err.message} ${JSON.stringify(err.details)} ${String(err.stack)}`;
      for (const s of secrets) assert.ok(!text.includes(s), `secret leaked in: ${err.message}`);
    }
  });

  describe('reads', () => {
    it('lists the BGP prefixes of one parent and maps snake_case fields', async () => {
      const list = await client.listBgpPrefixes('pfx-a');
      assert.deepEqual(
        list.map((p) => p.id),
        ['bgp-v4', 'bgp-v4b'],
      );
      assert.deepEqual(list[1], {
        id: 'bgp-v4b',
        cidr: '185.54.82.0/24',
        asn: 64512,
        onDemand: {
          advertised: false,
          advertisedModifiedAt: new Date(T0 - 60 * MIN).toISOString(),
          onDemandEnabled: true,
          onDemandLocked: false,
        },
        createdAt: new Date(T0).toISOString(),
        modifiedAt: new Date(T0).toISOString(),
      });
      assert.equal(sim.stats.requests('listBgpPrefixes'), 1);
    });

    it('reports canonical IPv6, the lock and on-demand-disabled prefixes as Cloudflare does', async () => {
      const list = await client.listBgpPrefixes('pfx-b');
      const byId = new Map(list.map((p) => [p.id, p]));
      assert.equal(byId.get('bgp-v6')?.cidr, '2a02:4460:1::/48');
      assert.equal(byId.get('bgp-locked')?.onDemand?.onDemandLocked, true);
      assert.deepEqual(byId.get('bgp-static')?.onDemand, {
        advertised: null,
        advertisedModifiedAt: null,
        onDemandEnabled: false,
        onDemandLocked: false,
      });
    });

    it('gets one BGP prefix; unknown IDs are not_found', async () => {
      const p = await client.getBgpPrefix('pfx-a', 'bgp-v4');
      assert.equal(p.cidr, '185.54.81.0/24');
      assert.equal(p.onDemand?.advertised, true);
      const err = await fails(client.getBgpPrefix('pfx-a', 'nope'));
      assert.equal(err.kind, 'not_found');
      assert.equal(err.details.httpStatus, 404);
      assert.match(
        err.message,
        /does not know this resource \(HTTP 404, code 1000: BGP prefix not found\) on GET \/accounts\//,
      );
      assert.equal((await fails(client.listBgpPrefixes('no-such-parent'))).kind, 'not_found');
    });

    it('works with the legacy e-mail + global key scheme too', async () => {
      const keyClient = clientWith({
        auth: { kind: 'key', email: sim.credentials.email, key: sim.credentials.apiKey },
      });
      assert.equal((await keyClient.listBgpPrefixes('pfx-a')).length, 2);
      const v = await keyClient.verifyCredentials();
      assert.equal(v.ok, true);
      assert.ok(!v.detail.includes(sim.credentials.email), 'the e-mail is not echoed');
      assert.equal(sim.stats.requests('getUser'), 1);
    });

    it('verifies an API token with /user/tokens/verify', async () => {
      const v = await client.verifyCredentials();
      assert.equal(v.ok, true);
      assert.match(v.detail, /active/);
      assert.equal(sim.stats.requests('verifyToken'), 1);
      const bad = await fails(clientWith({ auth: { kind: 'token', token: 'wrong-token-value' } }).verifyCredentials());
      assert.equal(bad.kind, 'auth');
    });
  });

  describe('PATCH on_demand.advertised', () => {
    it('withdraws, updates advertised_modified_at and logs the PATCH', async () => {
      now = T0 + 5 * MIN;
      const p = await client.setAdvertised('pfx-a', 'bgp-v4', false);
      assert.equal(p.onDemand?.advertised, false);
      assert.equal(p.onDemand?.advertisedModifiedAt, new Date(now).toISOString());
      assert.equal(sim.state.get('bgp-v4')?.advertised, false);
      assert.deepEqual(sim.stats.patches(), [
        {
          atMs: now,
          parentPrefixId: 'pfx-a',
          bgpPrefixId: 'bgp-v4',
          cidr: '185.54.81.0/24',
          advertised: false,
          outcome: 'changed',
          httpStatus: 200,
        },
      ]);
    });

    it('a no-op PATCH succeeds without touching advertised_modified_at', async () => {
      const before = sim.state.get('bgp-v4b')!.advertisedModifiedAtMs;
      const p = await client.setAdvertised('pfx-a', 'bgp-v4b', false);
      assert.equal(p.onDemand?.advertised, false);
      assert.equal(sim.state.get('bgp-v4b')!.advertisedModifiedAtMs, before);
      assert.equal(sim.stats.patches()[0]?.outcome, 'noop');
    });

    it('the 15-minute rules answer 429 code 1002 → too_soon with the remaining wait', async () => {
      now = T0;
      await client.setAdvertised('pfx-a', 'bgp-v4', false);
      now = T0 + 4 * MIN;
      const again = await fails(client.setAdvertised('pfx-a', 'bgp-v4', true));
      assert.equal(again.kind, 'too_soon');
      assert.equal(again.details.httpStatus, 429);
      assert.deepEqual(again.details.errors, [
        { code: 1002, message: 'Prefix was withdrawn less than 15 minutes ago' },
      ]);
      assert.equal(again.details.retryAfterMs, 11 * MIN);
      now = T0 + 15 * MIN;
      await client.setAdvertised('pfx-a', 'bgp-v4', true);
      now = T0 + 20 * MIN;
      const early = await fails(client.setAdvertised('pfx-a', 'bgp-v4', false));
      assert.equal(early.kind, 'too_soon');
      assert.match(early.message, /advertised less than 15 minutes ago/);
      assert.equal(sim.state.get('bgp-v4')?.advertised, true);
      assert.deepEqual(
        sim.stats.patches().map((e) => e.outcome),
        ['changed', 'too_soon', 'changed', 'too_soon'],
      );
    });

    it('a locked prefix is refused with kind locked and does not change', async () => {
      const err = await fails(client.setAdvertised('pfx-b', 'bgp-locked', true));
      assert.equal(err.kind, 'locked');
      assert.match(err.message, /locked/);
      assert.equal(err.details.httpStatus, 400);
      assert.equal(sim.state.get('bgp-locked')?.advertised, false);
      assert.equal(sim.stats.patches()[0]?.outcome, 'locked');
    });

    it('a prefix without on-demand is an invalid request', async () => {
      const err = await fails(client.setAdvertised('pfx-b', 'bgp-static', false));
      assert.equal(err.kind, 'invalid_request');
      assert.equal(sim.state.get('bgp-static')?.advertised, true);
    });
  });

  describe('credential failures', () => {
    it('a wrong token is auth (HTTP 403, code 9109) and the message speaks operator', async () => {
      const err = await fails(
        clientWith({ auth: { kind: 'token', token: 'definitely-not-the-token' } }).listBgpPrefixes('pfx-a'),
      );
      assert.equal(err.kind, 'auth');
      assert.equal(err.details.httpStatus, 403);
      assert.equal(
        err.message,
        `Cloudflare rejected the credentials (HTTP 403, code 9109: Invalid access token) on GET /accounts/${sim.accountId}/addressing/prefixes/pfx-a/bgp/prefixes`,
      );
      assert.ok(!err.message.includes('definitely-not-the-token'));
    });

    it('a wrong global key is auth; HTTP 401 is always auth', async () => {
      const keyErr = await fails(
        clientWith({ auth: { kind: 'key', email: sim.credentials.email, key: 'wrong-key-value' } }).listBgpPrefixes(
          'pfx-a',
        ),
      );
      assert.equal(keyErr.kind, 'auth');
      assert.equal(keyErr.details.errors?.[0]?.code, 9103);
      sim.faults.add({ kind: 'http_error', status: 401, errors: [{ code: 10000, message: 'Authentication error' }] });
      const e401 = await fails(client.getBgpPrefix('pfx-a', 'bgp-v4'));
      assert.equal(e401.kind, 'auth');
      assert.match(e401.message, /\(HTTP 401, code 10000: Authentication error\)/);
    });

    it('the simulator answers 401 code 10000 to a request without credentials', async () => {
      const res = await fetch(`${sim.baseUrl}/accounts/${sim.accountId}/addressing/prefixes/pfx-a/bgp/prefixes`);
      assert.equal(res.status, 401);
      assert.deepEqual(await res.json(), {
        success: false,
        errors: [{ code: 10000, message: 'Authentication error' }],
        messages: [],
        result: null,
      });
    });

    it('a 403 without an auth code is forbidden', async () => {
      sim.faults.add({
        kind: 'http_error',
        status: 403,
        errors: [{ code: 1234, message: 'Insufficient permissions' }],
      });
      const err = await fails(client.listBgpPrefixes('pfx-a'));
      assert.equal(err.kind, 'forbidden');
      assert.deepEqual(err.details.errors, [{ code: 1234, message: 'Insufficient permissions' }]);
    });

    it('another account is refused', async () => {
      const err = await fails(clientWith({ accountId: 'ffffffffffffffffffffffffffffffff' }).listBgpPrefixes('pfx-a'));
      assert.ok(err.kind === 'auth' || err.kind === 'forbidden', err.kind);
      assert.equal(err.details.httpStatus, 403);
    });
  });

  describe('transient failures', () => {
    it('the account budget (N requests per window) answers 429 + Retry-After to every call for 5 minutes', async () => {
      await sim.close();
      sim = await startCloudflareSimulator({ clock: () => now, rateLimit: { requests: 3, windowMs: 5 * MIN } });
      sim.state.addPrefix({ parentPrefixId: 'pfx-a', bgpPrefixId: 'bgp-v4', cidr: '185.54.81.0/24', advertised: true });
      client = clientWith();
      for (let i = 0; i < 3; i++) await client.getBgpPrefix('pfx-a', 'bgp-v4');
      const err = await fails(client.getBgpPrefix('pfx-a', 'bgp-v4'));
      assert.equal(err.kind, 'rate_limited');
      assert.equal(err.details.retryAfterMs, 5 * MIN);
      assert.deepEqual(err.details.errors?.[0]?.code, 971);
      now += 2 * MIN;
      const still = await fails(client.listBgpPrefixes('pfx-a'));
      assert.equal(still.details.retryAfterMs, 3 * MIN);
      now += 3 * MIN;
      assert.equal((await client.getBgpPrefix('pfx-a', 'bgp-v4')).id, 'bgp-v4');
      assert.equal(sim.stats.snapshot().rateLimited, 2);
    });

    it('a 429 fault carries its Retry-After into retryAfterMs', async () => {
      sim.faults.add({ kind: 'http_429', retryAfterSec: 7, match: { method: 'GET' } });
      const err = await fails(client.listBgpPrefixes('pfx-a'));
      assert.equal(err.kind, 'rate_limited');
      assert.equal(err.details.retryAfterMs, 7_000);
      assert.match(err.message, /retry after 7 s/);
    });

    it('5xx is server', async () => {
      sim.faults.add({ kind: 'http_5xx', status: 502, body: '<html>Bad gateway</html>' });
      const err = await fails(client.getBgpPrefix('pfx-a', 'bgp-v4'));
      assert.equal(err.kind, 'server');
      assert.equal(err.details.httpStatus, 502);
      assert.ok(!err.message.includes('<html>'), 'HTML pages stay out of messages');
      sim.faults.add({ kind: 'http_5xx' });
      assert.equal((await fails(client.setAdvertised('pfx-a', 'bgp-v4', false))).details.httpStatus, 503);
      assert.equal(sim.state.get('bgp-v4')?.advertised, true);
      assert.deepEqual(
        sim.stats.patches().map((e) => [e.outcome, e.advertised, e.httpStatus]),
        [['fault', false, 503]],
      );
    });

    it('an unanswered request is a timeout after the client timeout', async () => {
      sim.faults.add({ kind: 'timeout' });
      const fast = clientWith({ timeoutMs: 150 });
      const started = Date.now();
      const err = await fails(fast.getBgpPrefix('pfx-a', 'bgp-v4'));
      assert.equal(err.kind, 'timeout');
      assert.ok(Date.now() - started < 1_500, 'gave up near the configured timeout');
      assert.match(err.message, /within 150 ms on GET \/accounts\//);
    });

    it('a reset connection is network; a slow answer within the timeout still succeeds', async () => {
      sim.faults.add({ kind: 'connection_reset' });
      const reset = await fails(client.getBgpPrefix('pfx-a', 'bgp-v4'));
      assert.equal(reset.kind, 'network');
      assert.match(reset.message, /^Could not reach Cloudflare \(ECONNRESET\) on GET /);
      sim.faults.add({ kind: 'slow', delayMs: 50 });
      assert.equal((await clientWith({ timeoutMs: 1_000 }).getBgpPrefix('pfx-a', 'bgp-v4')).id, 'bgp-v4');
      sim.faults.add({ kind: 'slow', delayMs: 400 });
      assert.equal((await fails(clientWith({ timeoutMs: 100 }).getBgpPrefix('pfx-a', 'bgp-v4'))).kind, 'timeout');
    });

    it('malformed JSON and non-envelope JSON are bad_response', async () => {
      sim.faults.add({ kind: 'malformed_json' });
      const err = await fails(client.listBgpPrefixes('pfx-a'));
      assert.equal(err.kind, 'bad_response');
      assert.match(err.message, /not JSON/);
      sim.faults.add({ kind: 'http_error', status: 200, body: '{"hello":"world"}' });
      assert.equal((await fails(client.listBgpPrefixes('pfx-a'))).kind, 'bad_response');
      sim.faults.add({ kind: 'empty' });
      assert.equal((await fails(client.getBgpPrefix('pfx-a', 'bgp-v4'))).kind, 'bad_response');
    });

    it('a refused connection is network', async () => {
      const port = sim.port;
      await sim.close();
      const err = await fails(
        createCloudflareClient({
          accountId: 'a',
          auth: { kind: 'token', token: 'sim-api-token-0000000000000000000000' },
          baseUrl: `http://127.0.0.1:${port}/client/v4`,
          timeoutMs: 1_000,
        }).listBgpPrefixes('pfx-a'),
      );
      assert.equal(err.kind, 'network');
      assert.match(err.message, /ECONNREFUSED/);
      sim = await startCloudflareSimulator({ clock: () => now });
    });

    it('retries (CLI option) ride over a transient 5xx', async () => {
      sim.faults.add({ kind: 'http_5xx', count: 1 });
      const p = await clientWith({ retries: 2 }).getBgpPrefix('pfx-a', 'bgp-v4');
      assert.equal(p.id, 'bgp-v4');
      assert.equal(sim.stats.requests('getBgpPrefix'), 2);
    });

    it('by default there are no retries (Temporal owns them)', async () => {
      sim.faults.add({ kind: 'http_5xx', count: 1 });
      await fails(client.getBgpPrefix('pfx-a', 'bgp-v4'));
      assert.equal(sim.stats.requests('getBgpPrefix'), 1);
    });
  });
});
