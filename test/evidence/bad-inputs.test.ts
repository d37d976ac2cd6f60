// Evidence: a corpus of bad inputs (test/fixtures/bad-inputs/: webhooks, configuration, mtctl arguments, Cloudflare
// answers), each sent through the real entry point. Every case must fail with its clear error and change nothing:
// no database row, no applied PATCH, no workflow, no Telegram message.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import Database from 'better-sqlite3';
import { ConfigError, loadConfig } from '../../src/config';
import { CloudflareError, createCloudflareClient, type CloudflareClient } from '../../src/integrations/cloudflare';
import type { FaultSpec } from '../../src/simulators/cloudflare';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/webhooks/receiver';
import { memoryLogger, startFixture, type Fixture, type TestPrefix } from '../helpers/fixture';
import { createDevServerEnv, quietTemporalRuntime } from '../helpers/temporal';
import { startWorkerProcess } from '../helpers/worker-process';
import { mtctlOutputs } from './harness/artifacts';

const CORPUS = resolve(__dirname, '..', 'fixtures', 'bad-inputs');
const SECRET = 'corpus-webhook-secret-7c41e9a2';

interface Case<T> {
  file: string;
  data: T & { why: string };
}

function load<T>(kind: string): Case<T>[] {
  const dir = join(CORPUS, kind);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({
      file: `${kind}/${f}`,
      data: JSON.parse(readFileSync(join(dir, f), 'utf8')) as T & { why: string },
    }));
}

interface WebhookCase {
  request: {
    method?: string;
    path?: string;
    /** "configured" (the right secret), "configured+x" (one character more), "configured-half", null (none) or a literal. */
    secret: string | null;
    body?: string;
    bodyJson?: unknown;
    bodyRepeat?: { json: Record<string, unknown>; padField: string; bytes: number };
  };
  expect: { status: number; error: string };
}
interface ConfigCase {
  /** Settings changed from a valid environment; null removes one. */
  env?: Record<string, string | null>;
  mapping?: unknown;
  mappingText?: string;
  mappingMissing?: boolean;
  /** Also start worker.ts with it: exit 2, the same message, nothing created. */
  viaWorker?: boolean;
  expect: { error: string; mustNotContain?: string[] };
}
interface CliCase {
  args: string[];
  expect: { code: number; error: string };
}
interface CloudflareCase {
  call: 'getBgpPrefix' | 'listBgpPrefixes' | 'setAdvertised' | 'droppedTraffic' | 'verifyCredentials';
  fault: FaultSpec;
  expect: { error: string; kind: string | null };
}

const webhooks = load<WebhookCase>('webhooks');
const configs = load<ConfigCase>('config');
const clis = load<CliCase>('cli');
const answers = load<CloudflareCase>('cloudflare');

const P81: TestPrefix = {
  cidr: '185.54.81.0/24',
  description: 'DMZ',
  parentPrefixId: 'p4',
  bgpPrefixId: 'a81',
  advertised: true,
};
const P82: TestPrefix = {
  cidr: '185.54.82.0/24',
  description: 'Office',
  parentPrefixId: 'p4',
  bgpPrefixId: 'b82',
  advertised: true,
};
const TABLES = [
  'attack_events',
  'withdrawal_history',
  'webhook_events',
  'notification_log',
  'operation_keys',
  'prefix_calm_status',
  'network_analytics_events',
  'pending_withdrawals',
];

describe('evidence: bad inputs get a clear error and change nothing', function () {
  this.timeout(120_000);
  let temporal: TestWorkflowEnvironment;
  let fx: Fixture;
  let receiver: WebhookReceiver;
  let cf: CloudflareClient;
  let scratch: string;

  before(async () => {
    quietTemporalRuntime();
    temporal = await createDevServerEnv();
    fx = await startFixture({
      prefixes: [P81, P82],
      env: {
        WEBHOOK_SECRET: SECRET,
        WEBHOOK_MAX_BODY: '64kb',
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_NAMESPACE: 'default',
        TEMPORAL_TASK_QUEUE: 'evidence-bad-inputs',
      },
    });
    // The receiver migrates the records file: from here on every table exists and is counted.
    receiver = await startWebhookReceiver({
      config: fx.config,
      logger: memoryLogger().logger,
      temporal: temporal.client,
      port: 0,
    });
    cf = createCloudflareClient({
      accountId: fx.config.cloudflare.accountId,
      auth: fx.config.cloudflare.auth,
      baseUrl: fx.cf.baseUrl,
      timeoutMs: 2_000,
      graphqlRowLimit: 10_000,
    });
    scratch = mkdtempSync(join(tmpdir(), 'mtaw-bad-inputs-'));
  });

  after(async () => {
    await receiver?.close();
    await temporal?.teardown();
    await fx?.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  /** Everything a bad input could have changed. */
  async function snapshot() {
    const db = new Database(fx.databasePath, { readonly: true });
    let rows: Record<string, number>;
    try {
      rows = Object.fromEntries(
        TABLES.map((t) => [t, (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n]),
      );
    } finally {
      db.close();
    }
    let workflows = 0;
    for await (const _ of temporal.client.workflow.list()) workflows++;
    return {
      rows,
      appliedPatches: fx.cf.stats.patches().filter((p) => p.outcome === 'changed').length,
      cloudflareState: fx.cf.state.list().map((p) => [p.bgpPrefixId, p.advertised, p.advertisedModifiedAtMs]),
      workflows,
      telegram: fx.tg.messages.length,
    };
  }

  async function unchanged(what: string, act: () => Promise<void>): Promise<void> {
    const before = await snapshot();
    await act();
    assert.deepEqual(await snapshot(), before, `${what} changed something`);
  }

  it('the corpus holds at least 50 cases, at least 10 of each kind', () => {
    const counts = [webhooks.length, configs.length, clis.length, answers.length];
    console.log(
      `      webhooks ${counts[0]}, configuration ${counts[1]}, mtctl ${counts[2]}, Cloudflare answers ${counts[3]}`,
    );
    assert.ok(
      counts.every((n) => n >= 10),
      counts.join(' '),
    );
    assert.ok(counts.reduce((a, b) => a + b, 0) >= 50, `${counts.reduce((a, b) => a + b, 0)} cases`);
  });

  describe('webhooks, posted to the receiver on loopback', () => {
    for (const { file, data } of webhooks) {
      it(`${file}: ${data.why}`, async () => {
        const r = data.request;
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        const secret =
          r.secret === 'configured'
            ? SECRET
            : r.secret === 'configured+x'
              ? `${SECRET}x`
              : r.secret === 'configured-half'
                ? SECRET.slice(0, SECRET.length / 2)
                : r.secret;
        if (secret !== null) headers['cf-webhook-auth'] = secret;
        let body: string | undefined = r.body;
        if (r.bodyJson !== undefined) body = JSON.stringify(r.bodyJson);
        if (r.bodyRepeat)
          body = JSON.stringify({ ...r.bodyRepeat.json, [r.bodyRepeat.padField]: 'x'.repeat(r.bodyRepeat.bytes) });
        const method = r.method ?? 'POST';
        await unchanged(file, async () => {
          const res = await fetch(`${receiver.url}${r.path ?? fx.config.webhook.path}`, {
            method,
            headers,
            ...(method === 'GET' ? {} : { body: body ?? '' }),
          });
          const reply = (await res.json()) as { ok: boolean; error?: string };
          assert.equal(res.status, data.expect.status, JSON.stringify(reply));
          assert.equal(reply.ok, false);
          assert.match(reply.error ?? '', new RegExp(data.expect.error));
        });
      });
    }

    it('(not an error) an unknown alert type is kept as a webhook record only: no attack event, no action', async () => {
      const before = await snapshot();
      const res = await fetch(`${receiver.url}${fx.config.webhook.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'cf-webhook-auth': SECRET },
        body: JSON.stringify({
          alert_type: 'brand_new_alert_type',
          alert_event: 'ALERT_STATE_EVENT_START',
          data: { target_ip: '185.54.81.10' },
        }),
      });
      assert.equal(res.status, 200);
      const after = await snapshot();
      assert.deepEqual(after, { ...before, rows: { ...before.rows, webhook_events: before.rows.webhook_events! + 1 } });
    });
  });

  describe('configuration, read by loadConfig (and worker.ts where marked)', () => {
    for (const { file, data } of configs) {
      it(`${file}: ${data.why}`, async () => {
        const dir = mkdtempSync(join(scratch, 'config-'));
        const databasePath = join(dir, 'db', 'magic_transit.db');
        const mappingPath = join(dir, 'prefix_mapping.json');
        if (data.mappingText !== undefined) writeFileSync(mappingPath, data.mappingText);
        else if (data.mapping !== undefined) writeFileSync(mappingPath, JSON.stringify(data.mapping));
        else if (!data.mappingMissing) writeFileSync(mappingPath, readFileSync(fx.mappingPath));
        const env: Record<string, string> = {
          ...fx.env,
          DATABASE_PATH: databasePath,
          PREFIX_MAPPING_FILE: mappingPath,
        };
        for (const [k, v] of Object.entries(data.env ?? {})) {
          if (v === null) delete env[k];
          else env[k] = v;
        }
        const expected = new RegExp(data.expect.error);
        await unchanged(file, async () => {
          assert.throws(
            () => loadConfig(env),
            (err: unknown) => {
              assert.ok(err instanceof ConfigError, `not a ConfigError: ${String(err)}`);
              assert.match(err.message, expected);
              for (const s of data.expect.mustNotContain ?? []) assert.ok(!err.message.includes(s), `echoes ${s}`);
              return true;
            },
          );
          if (data.viaWorker) {
            const worker = startWorkerProcess(env);
            const code = await worker.exited;
            assert.equal(code, 2, worker.output());
            assert.match(worker.output(), /cannot start/);
            assert.match(worker.output(), expected);
          }
        });
        assert.ok(!existsSync(databasePath), 'a database file was created');
      });
    }
  });

  describe('mtctl arguments, run in-process', () => {
    for (const { file, data } of clis) {
      it(`${file}: ${data.why}`, async () => {
        await unchanged(file, async () => {
          const [run] = await mtctlOutputs(fx.env, [data.args]);
          assert.equal(run!.code, data.expect.code, `${run!.out}${run!.err}`);
          assert.match(run!.err, new RegExp(data.expect.error));
        });
      });
    }
  });

  describe('Cloudflare answers, read by the client from the simulator', () => {
    for (const { file, data } of answers) {
      it(`${file}: ${data.why}`, async () => {
        const graphql = data.call === 'droppedTraffic';
        fx.cf.faults.add({ count: 1, match: { graphql }, ...data.fault });
        const now = Math.floor(Date.now() / 60_000) * 60_000;
        const calls: Record<CloudflareCase['call'], () => Promise<unknown>> = {
          getBgpPrefix: () => cf.getBgpPrefix(P81.parentPrefixId, P81.bgpPrefixId),
          listBgpPrefixes: () => cf.listBgpPrefixes(P81.parentPrefixId),
          setAdvertised: () => cf.setAdvertised(P81.parentPrefixId, P81.bgpPrefixId, false),
          droppedTraffic: () => cf.droppedTraffic({ startMs: now - 300_000, endMs: now }, [P81.cidr, P82.cidr]),
          verifyCredentials: () => cf.verifyCredentials(),
        };
        try {
          await unchanged(file, async () => {
            await assert.rejects(calls[data.call](), (err: unknown) => {
              assert.ok(err instanceof CloudflareError, `not a CloudflareError: ${String(err)}`);
              assert.match(err.message, new RegExp(data.expect.error));
              if (data.expect.kind !== null) assert.equal(err.kind, data.expect.kind, err.message);
              assert.ok(!err.message.includes(fx.config.secrets[0]!), 'the token is in the message');
              return true;
            });
          });
          assert.equal(fx.cf.faults.list()[0]?.hits, 1, 'the fault answered the call');
        } finally {
          fx.cf.faults.clear();
        }
      });
    }
  });
});
