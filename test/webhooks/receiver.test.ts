// The webhook receiver over real HTTP on loopback, a real SQLite file and a real Temporal server: authentication,
// bad bodies, every fixture alert type, dedupe (also under concurrency), the supervisor signal, a Temporal outage,
// the health endpoint and a graceful stop that loses no accepted webhook.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { SUPERVISOR_WORKFLOW_ID } from '../../src/workflows/ids';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/webhooks/receiver';
import { memoryLogger, startFixture, type Fixture, type TestPrefix } from '../helpers/fixture';
import { createTimeSkippingEnv, eventually, quietTemporalRuntime } from '../helpers/temporal';

const SECRET = 'whsec-3f9a1c7e5b2d8a4f6c0e';
const PATH = '/webhook/cloudflare';
const FIXTURES = join(__dirname, '..', 'fixtures', 'webhooks');
const PREFIXES: TestPrefix[] = [
  { cidr: '185.54.81.0/24', description: 'DMZ', parentPrefixId: 'p4', bgpPrefixId: 'b81', advertised: false },
  { cidr: '185.54.82.0/24', description: 'Hosting', parentPrefixId: 'p4', bgpPrefixId: 'b82', advertised: false },
  { cidr: '185.54.83.0/24', description: 'Office', parentPrefixId: 'p4', bgpPrefixId: 'b83', advertised: false },
];

const HOUR = 3_600_000;
const fixtureText = (name: string): string => readFileSync(join(FIXTURES, `${name}.json`), 'utf8');

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function post(
  receiver: WebhookReceiver,
  body: string | Buffer,
  headers: Record<string, string> = { 'cf-webhook-auth': SECRET },
): Promise<Answer> {
  const res = await fetch(`${receiver.url}${PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function maxId(receiver: WebhookReceiver, table: string): number {
  return (receiver.database.sqlite.prepare(`SELECT COALESCE(MAX(id), 0) AS n FROM ${table}`).get() as { n: number }).n;
}

/** attack_events columns a fixture's webhook must write (raw_payload and created_at are checked apart). */
const event = (fields: Record<string, unknown>): Record<string, unknown> => ({
  event_type: 'START',
  alert_type: null,
  attack_id: null,
  policy_id: null,
  policy_name: null,
  prefix: null,
  target_ip: null,
  target_port: null,
  protocol: null,
  attack_vector: null,
  packets_per_second: null,
  megabits_per_second: null,
  severity: null,
  action_taken: null,
  ...fields,
});
const OFFICIAL_L4 = {
  alert_type: 'advanced_ddos_attack_l4_alert',
  attack_id: '4f1a8c2e9b7d4e6fa1c3b5d7e9f0a2b4',
  policy_id: '749b911ea5d04344a58e45edd099b328',
  policy_name: 'MT L4 alerts',
  prefix: '185.54.81.0/24',
  target_ip: '185.54.81.10',
  target_port: 443,
  protocol: 'TCP',
  attack_vector: 'SYN Flood',
  packets_per_second: '1200000',
  megabits_per_second: '850',
};
const EXPECTED_EVENTS: Record<string, Array<Record<string, unknown>>> = {
  'official-advanced_ddos_attack_l4_alert-start': [event({ ...OFFICIAL_L4, action_taken: 'mitigating' })],
  'official-advanced_ddos_attack_l4_alert-end': [
    event({ ...OFFICIAL_L4, event_type: 'END', action_taken: 'notified_autowithdraw_handles' }),
  ],
  // The documentation's placeholders, verbatim (no configured prefix contains "string").
  'official-advanced_ddos_attack_l4_alert-placeholders': [
    event({
      alert_type: 'advanced_ddos_attack_l4_alert',
      attack_id: 'string',
      policy_id: '749b911ea5d04344a58e45edd099b328',
      policy_name: 'Example Cloudflare Notification',
      target_ip: 'string',
      target_port: 0,
      protocol: 'string',
      attack_vector: 'string',
      packets_per_second: '0',
      megabits_per_second: '0',
      action_taken: 'mitigating',
    }),
  ],
  'thirdparty-advanced_ddos_attack_l4_alert': [
    event({
      alert_type: 'advanced_ddos_attack_l4_alert',
      attack_id: 'aBcD1234efgh567i890j1kl234567m80',
      // No policy_name in the payload: its name.
      policy_name: 'Layer 3/4 DDoS Attack Alert',
      prefix: '185.54.82.0/24',
      target_ip: '185.54.82.10',
      target_port: 53,
      protocol: 'UDP',
      attack_vector: 'UDP Flood',
      packets_per_second: '750000',
      megabits_per_second: '3500',
      severity: 'HIGH',
      action_taken: 'mitigating',
    }),
  ],
  // Cloudflare's test notification (127.0.0.1, fake-vector): no attack event.
  'thirdparty-dos_attack_l4': [],
  'thirdparty-fbm_auto_advertisement': [
    event({
      event_type: 'ADVERTISE',
      alert_type: 'fbm_auto_advertisement',
      policy_name: 'Auto Advertisement',
      prefix: '185.54.82.0/24',
      attack_vector: 'Volumetric',
      action_taken: 'auto_advertised',
    }),
  ],
  'thirdparty-fbm_dosd_attack': [
    event({
      alert_type: 'fbm_dosd_attack',
      policy_name: 'DDoS Attack',
      prefix: '185.54.82.0/24',
      target_ip: '185.54.82.10',
      target_port: 80,
      protocol: 'UDP',
      // attack_vector falls back to attack_type.
      attack_vector: 'UDP Amplification',
      packets_per_second: '500000',
      megabits_per_second: '2000',
      severity: 'HIGH',
      action_taken: 'notified',
    }),
  ],
  'thirdparty-fbm_volumetric_attack': [
    event({
      alert_type: 'fbm_volumetric_attack',
      policy_name: 'Volumetric Attack',
      packets_per_second: '20000',
      megabits_per_second: '1500',
      severity: 'MEDIUM',
      action_taken: 'notified',
    }),
  ],
  // An unknown alert type: a webhook only.
  'official-envelope': [],
};

function count(receiver: WebhookReceiver, table: string): number {
  return (receiver.database.sqlite.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
}

/** reconcileNow signals the supervisor's history holds, with their reasons. */
async function reconcileSignals(env: TestWorkflowEnvironment): Promise<string[]> {
  const history = await env.client.workflow.getHandle(SUPERVISOR_WORKFLOW_ID).fetchHistory();
  return (history.events ?? [])
    .map((e) => e.workflowExecutionSignaledEventAttributes)
    .filter((a) => a?.signalName === 'reconcileNow')
    .map((a) => {
      const data = a?.input?.payloads?.[0]?.data;
      return data ? ((JSON.parse(new TextDecoder().decode(data)) as { reason: string }).reason ?? '') : '';
    });
}

describe('webhook receiver (HTTP, SQLite, Temporal)', function () {
  this.timeout(60_000);
  let env: TestWorkflowEnvironment;
  let fx: Fixture;
  let receiver: WebhookReceiver;
  const logs = memoryLogger();

  before(async () => {
    quietTemporalRuntime();
    env = await createTimeSkippingEnv();
    // The supervisor's history records signals even with no worker polling its queue.
    await env.client.workflow.start('ProtectionSupervisor', {
      workflowId: SUPERVISOR_WORKFLOW_ID,
      taskQueue: 'webhook-receiver-test-no-worker',
      args: [{}],
    });
    fx = await startFixture({ prefixes: PREFIXES, env: { WEBHOOK_SECRET: SECRET } });
    // No periodic sweep during the suite (the sweep tests start their own receivers).
    receiver = await startWebhookReceiver({
      config: fx.config,
      logger: logs.logger,
      temporal: env.client,
      port: 0,
      sweepIntervalMs: HOUR,
    });
  });

  after(async () => {
    await receiver?.close();
    await env?.teardown();
    await fx?.close();
  });

  describe('authentication', () => {
    it('refuses a missing, wrong, shorter, longer or repeated secret with 401 and stores nothing', async () => {
      const body = fixtureText('official-advanced_ddos_attack_l4_alert-start');
      const variants: Array<Record<string, string>> = [
        {},
        { 'cf-webhook-auth': 'wrong' },
        { 'cf-webhook-auth': SECRET.slice(0, -1) },
        { 'cf-webhook-auth': `${SECRET}x` },
        { 'cf-webhook-auth': '' },
        { authorization: `Bearer ${SECRET}` },
      ];
      for (const headers of variants) {
        const a = await post(receiver, body, headers);
        assert.equal(a.status, 401, JSON.stringify(headers));
        assert.match(String(a.body.error), /cf-webhook-auth/);
      }
      // A repeated header arrives joined ("s, s") and is not the secret either (raw request: clients merge it).
      const res = await new Promise<string>((resolve, reject) => {
        const { port } = new URL(receiver.url);
        const socket = net.connect(Number(port), '127.0.0.1', () => {
          socket.end(
            [
              `POST ${PATH} HTTP/1.1`,
              'host: 127.0.0.1',
              `cf-webhook-auth: ${SECRET}`,
              `cf-webhook-auth: ${SECRET}`,
              'content-type: application/json',
              `content-length: ${Buffer.byteLength(body)}`,
              'connection: close',
              '',
              body,
            ].join('\r\n'),
          );
        });
        let text = '';
        socket.on('data', (c: Buffer) => (text += c.toString()));
        socket.on('end', () => resolve(text.split('\r\n')[0] ?? ''));
        socket.on('error', reject);
      });
      assert.match(res, /^HTTP\/1\.1 401/);
      assert.equal(count(receiver, 'webhook_events'), 0);
      assert.equal(count(receiver, 'attack_events'), 0);
    });

    it('checks the secret before the body: a wrong secret with a malformed, empty or oversized body is a 401', async () => {
      const oversized = JSON.stringify({
        alert_type: 'dos_attack_l4',
        data: { attack_id: 'big-unauthorised', padding: 'x'.repeat(fx.config.webhook.maxBodyBytes * 2) },
      });
      const bodies: Array<[string, string]> = [
        ['malformed', '{"alert_type": "dos_attack_l4", '],
        ['empty', ''],
        ['not JSON at all', '\u0000\u0001binary'],
        ['oversized', oversized],
      ];
      const headerSets: Array<Record<string, string>> = [{}, { 'cf-webhook-auth': 'wrong' }];
      for (const headers of headerSets) {
        for (const [what, body] of bodies) {
          const a = await post(receiver, body, headers);
          assert.equal(a.status, 401, `${what} with ${JSON.stringify(headers)}`);
          assert.match(String(a.body.error), /missing or wrong cf-webhook-auth header/);
        }
      }
      // The same bodies with the secret get their own answers: the 401 was not an accident of the body.
      assert.equal((await post(receiver, bodies[0]![1])).status, 400);
      assert.equal((await post(receiver, oversized)).status, 413);
      assert.equal(count(receiver, 'webhook_events'), 0);
    });

    it('never writes the secret to the logs', () => {
      assert.ok(logs.lines.length > 0);
      assert.ok(!logs.lines.join('\n').includes(SECRET));
    });
  });

  describe('bad bodies', () => {
    it("accepts Cloudflare's test message with 200 and stores nothing", async () => {
      const a = await post(receiver, fixtureText('cloudflare-test-message'));
      assert.equal(a.status, 200);
      assert.deepEqual(a.body, { ok: true, test: true, stored: false });
      assert.equal(count(receiver, 'webhook_events'), 0);
    });

    it('answers malformed JSON, empty bodies and non-notifications with 400 and one clear message', async () => {
      const cases: Array<[string | Buffer, RegExp]> = [
        ['{"alert_type": "dos_attack_l4", ', /not valid JSON/],
        ['', /empty/],
        ['[1,2,3]', /must be a JSON object/],
        ['"hello"', /must be a JSON object/],
        ['{"alert_type": 42}', /alert_type must be a string/],
        ['{"foo": "bar"}', /not a Cloudflare notification/],
        [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /not valid JSON/],
      ];
      for (const [body, message] of cases) {
        const a = await post(receiver, body);
        assert.equal(a.status, 400, String(body));
        assert.equal(a.body.ok, false);
        assert.match(String(a.body.error), message);
      }
      assert.equal(count(receiver, 'webhook_events'), 0);
    });

    it('refuses a body over WEBHOOK_MAX_BODY with 413 and stores nothing', async () => {
      const big = JSON.stringify({
        alert_type: 'dos_attack_l4',
        data: { attack_id: 'big', padding: 'x'.repeat(fx.config.webhook.maxBodyBytes) },
      });
      const a = await post(receiver, big);
      assert.equal(a.status, 413);
      assert.match(String(a.body.error), /larger than 262144 bytes/);
      assert.equal(count(receiver, 'webhook_events'), 0);
    });

    it('answers 404 elsewhere', async () => {
      const res = await fetch(`${receiver.url}/webhook`, { method: 'POST', body: '{}' });
      assert.equal(res.status, 404);
    });
  });

  describe('storage and dedupe', () => {
    it('stores every fixture alert type in webhook_events, START/END/ADVERTISE in attack_events', async () => {
      const names = readdirSync(FIXTURES)
        .filter((f) => f.endsWith('.json') && f !== 'cloudflare-test-message.json')
        .map((f) => f.replace(/\.json$/, ''));
      assert.deepEqual(names.sort(), Object.keys(EXPECTED_EVENTS).sort(), 'every fixture has its expected rows');
      for (const name of names) {
        const lastEvent = maxId(receiver, 'attack_events');
        const a = await post(receiver, fixtureText(name));
        assert.equal(a.status, 200, `${name}: ${JSON.stringify(a.body)}`);
        assert.equal(a.body.stored, true, name);
        assert.equal(a.body.test, name === 'thirdparty-dos_attack_l4' ? true : undefined, name);
        const events = receiver.database.sqlite
          .prepare(
            `SELECT event_type, alert_type, attack_id, policy_id, policy_name, prefix, target_ip, target_port, protocol,
               attack_vector, packets_per_second, megabits_per_second, severity, action_taken, raw_payload, created_at
             FROM attack_events WHERE id > ? ORDER BY id`,
          )
          .all(lastEvent) as Array<Record<string, unknown>>;
        const webhook = receiver.database.sqlite
          .prepare('SELECT payload, received_at FROM webhook_events WHERE id = ?')
          .get(a.body.webhookId) as { payload: string; received_at: string };
        for (const e of events) {
          // The row carries the payload exactly as stored with the webhook, at the same time.
          assert.equal(e.raw_payload, webhook.payload, name);
          assert.equal(e.created_at, webhook.received_at, name);
          delete e.raw_payload;
          delete e.created_at;
        }
        assert.deepEqual(events, EXPECTED_EVENTS[name], name);
      }
      const rows = receiver.database.sqlite
        .prepare(
          `SELECT alert_type, event_state, alert_id, target_ip, target_prefix, source_ip, action_taken, payload
           FROM webhook_events ORDER BY id`,
        )
        .all() as Array<Record<string, string | null>>;
      assert.equal(rows.length, names.length);
      for (const r of rows) {
        // Cloudflare's "send test notification" is kept, marked, and counted nowhere as an attack.
        assert.equal(r.action_taken, r.alert_type === 'dos_attack_l4' ? 'test_notification' : 'received');
        assert.equal(r.source_ip, '127.0.0.1');
        assert.ok(r.alert_id);
        assert.doesNotThrow(() => JSON.parse(String(r.payload)));
      }
      const start = rows.find(
        (r) => r.alert_id === '4f1a8c2e9b7d4e6fa1c3b5d7e9f0a2b4' && r.event_state?.endsWith('START'),
      );
      assert.equal(start?.target_prefix, '185.54.81.0/24');
      assert.equal(start?.target_ip, '185.54.81.10');
      const hashed = rows.find((r) => r.alert_type === 'fbm_dosd_attack');
      assert.match(String(hashed?.alert_id), /^sha256:[0-9a-f]{32}$/);
    });

    it('a redelivered webhook answers 200 duplicate and stores nothing new (ids and content hashes alike)', async () => {
      const before = [count(receiver, 'webhook_events'), count(receiver, 'attack_events')];
      for (const name of [
        'official-advanced_ddos_attack_l4_alert-start',
        'official-advanced_ddos_attack_l4_alert-end',
        'thirdparty-fbm_dosd_attack',
        'thirdparty-fbm_auto_advertisement',
      ]) {
        const text = fixtureText(name);
        // Same document, other key order and spacing: still the same webhook.
        const reordered = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(text) as object).reverse()));
        for (const body of [text, reordered]) {
          const a = await post(receiver, body);
          assert.equal(a.status, 200);
          assert.deepEqual([a.body.stored, a.body.duplicate], [false, true], name);
        }
      }
      assert.deepEqual([count(receiver, 'webhook_events'), count(receiver, 'attack_events')], before);
    });

    it('fifty concurrent deliveries of one new alert store it exactly once', async () => {
      const payload = JSON.parse(fixtureText('official-advanced_ddos_attack_l4_alert-start')) as {
        data: { attack_id: string };
      };
      payload.data.attack_id = 'concurrent-attack-1';
      const answers = await Promise.all(Array.from({ length: 50 }, () => post(receiver, JSON.stringify(payload))));
      assert.ok(answers.every((a) => a.status === 200));
      assert.equal(answers.filter((a) => a.body.stored === true).length, 1);
      const n = receiver.database.sqlite
        .prepare(`SELECT COUNT(*) AS n FROM webhook_events WHERE alert_id = 'concurrent-attack-1'`)
        .get() as { n: number };
      assert.equal(n.n, 1);
    });
  });

  describe('supervisor signal', () => {
    it('asks the supervisor to reconcile when an alert says one of our prefixes is advertised; END does not', async () => {
      const reasons = await eventually(
        async () => {
          const r = await reconcileSignals(env);
          return r.some((x) => x.includes('185.54.81.0/24')) && r.some((x) => x.includes('185.54.82.0/24'))
            ? r
            : undefined;
        },
        { what: 'reconcileNow signals' },
      );
      assert.ok(reasons.every((r) => /^webhook /.test(r)));
      assert.ok(!reasons.some((r) => r.includes('185.54.83.0/24')), 'a pending advertisement is not advertised');
      // Rows that asked for a signal are marked processed once it was delivered.
      await eventually(() =>
        count(receiver, 'webhook_events') > 0 &&
        (
          receiver.database.sqlite.prepare('SELECT COUNT(*) AS n FROM webhook_events WHERE processed = 0').get() as {
            n: number;
          }
        ).n === 0
          ? true
          : undefined,
      );

      const signalsBefore = (await reconcileSignals(env)).length;
      const end = JSON.parse(fixtureText('official-advanced_ddos_attack_l4_alert-end')) as {
        data: { attack_id: string };
      };
      end.data.attack_id = 'end-only-attack';
      assert.equal((await post(receiver, JSON.stringify(end))).body.stored, true);
      const start = JSON.parse(fixtureText('official-advanced_ddos_attack_l4_alert-start')) as {
        data: { attack_id: string; target_ip: string };
      };
      start.data.attack_id = 'start-on-83';
      start.data.target_ip = '185.54.83.77';
      const a = await post(receiver, JSON.stringify(start));
      assert.deepEqual(a.body.reconcile, ['185.54.83.0/24']);
      const after = await eventually(async () => {
        const r = await reconcileSignals(env);
        return r.length > signalsBefore ? r : undefined;
      });
      assert.equal(after.length, signalsBefore + 1, 'the END alert sent no signal');
      assert.match(after.at(-1) ?? '', /start-on-83: 185\.54\.83\.0\/24 advertised/);
    });

    it('health reports the database and Temporal as reachable', async () => {
      const res = await fetch(`${receiver.url}/health`);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { status: 'ok', database: { ok: true }, temporal: { ok: true } });
    });
  });

  describe('Temporal outage', () => {
    let dark: WebhookReceiver;
    const darkLogs = memoryLogger();

    before(async () => {
      // Nothing listens on port 1: every Temporal call fails.
      const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
      dark = await startWebhookReceiver({
        config: fx.config,
        logger: darkLogs.logger,
        temporal,
        port: 0,
        signalTimeoutMs: 1_000,
        sweepIntervalMs: HOUR,
      });
    });

    after(() => dark?.close());

    const processed = (r: WebhookReceiver, id: unknown): number =>
      (r.database.sqlite.prepare('SELECT processed FROM webhook_events WHERE id = ?').get(id) as { processed: number })
        .processed;

    /** An auto-advertisement of 185.54.82.0/24 nobody has sent before (the supervisor must reconcile). */
    const autoAdvertisement = (ruleName: string): string => {
      const payload = JSON.parse(fixtureText('thirdparty-fbm_auto_advertisement')) as { data: { rule_name: string } };
      payload.data.rule_name = ruleName;
      return JSON.stringify(payload);
    };

    it('stores and accepts the webhook, keeps it unprocessed and says so in the log; health is degraded', async () => {
      const payload = JSON.parse(fixtureText('thirdparty-fbm_auto_advertisement')) as { data: { rule_name: string } };
      payload.data.rule_name = 'during a Temporal outage';
      const a = await post(dark, JSON.stringify(payload));
      assert.equal(a.status, 200);
      assert.equal(a.body.stored, true);
      await eventually(() =>
        darkLogs.lines.some((l) => l.includes('could not signal the supervisor')) ? true : undefined,
      );
      const row = dark.database.sqlite
        .prepare('SELECT processed FROM webhook_events WHERE id = ?')
        .get(a.body.webhookId) as {
        processed: number;
      };
      assert.equal(row.processed, 0);
      const health = await fetch(`${dark.url}/health`);
      assert.equal(health.status, 200);
      const body = (await health.json()) as { status: string; temporal: { ok: boolean } };
      assert.equal(body.status, 'degraded');
      assert.equal(body.temporal.ok, false);
    });

    it('a receiver started after the outage tells the supervisor about the webhooks stored meanwhile', async () => {
      const a = await post(dark, autoAdvertisement('stored while Temporal was down, then restarted'));
      assert.equal(a.body.stored, true);
      await eventually(() =>
        darkLogs.lines.filter((l) => l.includes('could not signal the supervisor')).length >= 2 ? true : undefined,
      );
      assert.equal(processed(dark, a.body.webhookId), 0);
      const before = (await reconcileSignals(env)).length;
      const later = await startWebhookReceiver({
        config: fx.config,
        logger: memoryLogger().logger,
        temporal: env.client,
        port: 0,
        sweepIntervalMs: HOUR,
      });
      try {
        await eventually(() => (processed(later, a.body.webhookId) === 1 ? true : undefined), {
          what: 'the start-up sweep',
        });
        const reasons = (await reconcileSignals(env)).slice(before);
        assert.equal(reasons.length, 1);
        assert.match(reasons[0] ?? '', /^sweep: \d+ webhook\(s\) stored earlier and not yet told to the supervisor/);
        assert.match(reasons[0] ?? '', /185\.54\.82\.0\/24/);
        assert.equal(count(later, 'webhook_events WHERE processed = 0'), 0);
      } finally {
        await later.close();
      }
    });

    it('a running receiver sweeps periodically: rows left unprocessed (by another receiver) are sent', async () => {
      const sweeper = await startWebhookReceiver({
        config: fx.config,
        logger: memoryLogger().logger,
        temporal: env.client,
        port: 0,
        sweepIntervalMs: 300,
      });
      try {
        const before = (await reconcileSignals(env)).length;
        const a = await post(dark, autoAdvertisement('left unprocessed while another receiver runs'));
        assert.equal(a.body.stored, true);
        await eventually(() => (processed(sweeper, a.body.webhookId) === 1 ? true : undefined), {
          what: 'the periodic sweep',
        });
        assert.ok((await reconcileSignals(env)).slice(before).some((r) => r.startsWith('sweep: ')));
      } finally {
        await sweeper.close();
      }
    });

    it('when Temporal is back, the first signal that gets through also sends the webhooks left behind', async () => {
      // Temporal behind a loopback TCP relay that can be cut: the outage and the recovery are real connections.
      let up = false;
      const target = new URL(`http://${env.address}`);
      const sockets = new Set<net.Socket>();
      const relay = net.createServer((client) => {
        if (!up) return void client.destroy();
        const upstream = net.connect(Number(target.port), target.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('error', () => s.destroy());
          s.on('close', () => sockets.delete(s));
        }
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
      const connection = Connection.lazy({ address: `127.0.0.1:${(relay.address() as net.AddressInfo).port}` });
      const relayed = await startWebhookReceiver({
        config: fx.config,
        logger: memoryLogger().logger,
        temporal: new Client({ connection }),
        port: 0,
        signalTimeoutMs: 1_000,
        sweepIntervalMs: HOUR,
      });
      try {
        const a = await post(relayed, autoAdvertisement('during an outage of the relay'));
        assert.equal(a.body.stored, true);
        const health = (await (await fetch(`${relayed.url}/health`)).json()) as { status: string };
        assert.equal(health.status, 'degraded');
        assert.equal(processed(relayed, a.body.webhookId), 0);
        up = true;
        // New alerts keep arriving; the first whose signal is delivered brings the earlier one along.
        let n = 0;
        await eventually(
          async () => {
            if (processed(relayed, a.body.webhookId) === 1) return true;
            const b = await post(relayed, autoAdvertisement(`after the relay is back #${++n}`));
            assert.equal(b.body.stored, true);
            return undefined;
          },
          { intervalMs: 1_000, timeoutMs: 45_000, what: 'the webhook from the outage to be sent' },
        );
        assert.equal(count(relayed, 'webhook_events WHERE processed = 0'), 0);
      } finally {
        await relayed.close();
        await connection.close();
        sockets.forEach((s) => s.destroy());
        await new Promise((resolve) => relay.close(resolve));
      }
    });
  });

  describe('graceful shutdown', () => {
    it('finishes and stores a webhook still arriving when close() is called, then refuses connections', async () => {
      const late = await startWebhookReceiver({
        config: fx.config,
        logger: memoryLogger().logger,
        temporal: null,
        port: 0,
      });
      const payload = JSON.parse(fixtureText('official-advanced_ddos_attack_l4_alert-start')) as {
        data: { attack_id: string };
      };
      payload.data.attack_id = 'in-flight-during-shutdown';
      const body = Buffer.from(JSON.stringify(payload));
      const { port } = new URL(late.url);
      // Headers and half the body now, the rest after close() has begun.
      const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.request({
          host: '127.0.0.1',
          port: Number(port),
          path: PATH,
          method: 'POST',
          headers: { 'cf-webhook-auth': SECRET, 'content-type': 'application/json', 'content-length': body.length },
        });
        req.on('response', (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        req.write(body.subarray(0, 40));
        setTimeout(() => {
          closed = late.close();
          setTimeout(() => req.end(body.subarray(40)), 200);
        }, 100);
      });
      let closed: Promise<void> | undefined;
      const res = await answered;
      assert.equal(res.status, 200, res.text);
      assert.equal((JSON.parse(res.text) as { stored: boolean }).stored, true);
      await closed;
      await assert.rejects(fetch(`${late.url}${PATH}`, { method: 'POST', body: '{}' }));
      const n = receiver.database.sqlite
        .prepare(`SELECT COUNT(*) AS n FROM webhook_events WHERE alert_id = 'in-flight-during-shutdown'`)
        .get() as { n: number };
      assert.equal(n.n, 1);
    });
  });
});
