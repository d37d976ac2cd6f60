// Benchmark: the webhook receiver under load on loopback (autocannon, fixed concurrency), with a real SQLite file.
// A third of the requests redeliver a webhook just sent; at the end every accepted unique webhook must be stored once.
// Usage: npx tsx bench/webhook-load.ts [--connections 50] [--duration 10]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import autocannon from 'autocannon';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db';
import { createLogger } from '../src/logger';
import { startWebhookReceiver } from '../src/webhooks/receiver';

const SECRET = 'bench-webhook-secret-5e8c1a';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
  return v;
}

async function main(): Promise<void> {
  const connections = arg('connections', 50);
  const duration = arg('duration', 10);
  const dir = mkdtempSync(join(tmpdir(), 'mtaw-webhook-load-'));
  const mapping = join(dir, 'prefix_mapping.json');
  writeFileSync(
    mapping,
    JSON.stringify({ '185.54.81.0/24': { parent_prefix_id: 'p4', bgp_prefix_id: 'b81', description: 'DMZ' } }),
  );
  const config = loadConfig(
    { PREFIX_MAPPING_FILE: mapping, DATABASE_PATH: join(dir, 'magic_transit.db'), WEBHOOK_SECRET: SECRET },
    { requireCloudflare: false },
  );
  // Production log volume (one info line per webhook), written nowhere.
  const devNull = new Writable({ write: (_c, _e, done) => done() });
  const logger = createLogger({ level: 'info', secrets: config.secrets, destination: devNull });
  const receiver = await startWebhookReceiver({ config, logger, temporal: null, host: '127.0.0.1', port: 0 });

  let sent = 0;
  const accepted = new Set<string>();
  let storedAnswers = 0;
  let duplicateAnswers = 0;
  let otherAnswers = 0;
  const body = (id: string, ts: number) =>
    JSON.stringify({
      account_id: '9035f53656c247e895c5a6939ae8a0e0',
      alert_correlation_id: `corr-${id}`,
      alert_event: 'ALERT_STATE_EVENT_START',
      alert_type: 'advanced_ddos_attack_l4_alert',
      data: {
        attack_id: id,
        attack_vector: 'SYN Flood',
        target_ip: `185.54.81.${ts % 250}`,
        target_port: 443,
        protocol: 'TCP',
        packets_per_second: 1_200_000,
        megabits_per_second: 850,
        rule_name: 'SYN flood',
      },
      name: 'MT L4 alerts',
      policy_id: '749b911ea5d04344a58e45edd099b328',
      policy_name: 'MT L4 alerts',
      text: 'load test',
      ts,
    });

  const result = await autocannon({
    url: `${receiver.url}${config.webhook.path}`,
    connections,
    duration,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-webhook-auth': SECRET },
    requests: [
      {
        setupRequest: (request) => {
          const n = sent++;
          // Every third request redelivers the previous one: a duplicate Cloudflare might send.
          const id = `bench-${n % 3 === 2 ? n - 1 : n}`;
          return { ...request, body: body(id, 1_768_780_000 + (n % 3 === 2 ? n - 1 : n)) };
        },
        onResponse: (status, text) => {
          if (status !== 200) return void otherAnswers++;
          const reply = JSON.parse(text) as { stored: boolean; duplicate: boolean; alertId: string };
          if (reply.stored) {
            storedAnswers++;
            accepted.add(reply.alertId);
          } else if (reply.duplicate) {
            duplicateAnswers++;
            accepted.add(reply.alertId);
          } else otherAnswers++;
        },
      },
    ],
  });

  await receiver.close();
  const db = openDatabase(config.databasePath, { readonly: true });
  const count = (sql: string): number => (db.sqlite.prepare(sql).get() as { n: number }).n;
  const rows = count('SELECT COUNT(*) AS n FROM webhook_events');
  const distinct = count('SELECT COUNT(DISTINCT alert_id) AS n FROM webhook_events');
  const events = count('SELECT COUNT(*) AS n FROM attack_events');
  const perId = db.sqlite.prepare('SELECT COUNT(*) AS n FROM webhook_events WHERE alert_id = ?');
  const storedOnce = [...accepted].filter((id) => (perId.get(id) as { n: number }).n === 1).length;
  db.close();
  rmSync(dir, { recursive: true, force: true });

  // Requests still in flight when the run stops are stored but never answered to autocannon: at most one per
  // connection may be in the table without being among the accepted ones.
  const unanswered = rows - accepted.size;
  const ok =
    storedOnce === accepted.size &&
    storedAnswers === accepted.size &&
    distinct === rows &&
    events === rows &&
    unanswered >= 0 &&
    unanswered <= connections;
  const figures = {
    connections,
    durationS: duration,
    requests: result.requests.total,
    'requests/s (avg)': Math.round(result.requests.average),
    'latency p50 ms': result.latency.p50,
    'latency p99 ms': result.latency.p99,
    'latency max ms': result.latency.max,
    '2xx': result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    'answered stored': storedAnswers,
    'answered duplicate': duplicateAnswers,
    'answered other': otherAnswers,
    'unique webhooks accepted': accepted.size,
    'accepted unique webhooks stored exactly once': storedOnce,
    'webhook_events rows': rows,
    'rows of requests cut off unanswered at the end': unanswered,
    'attack_events rows': events,
    'check (each accepted webhook stored once)': ok,
  };
  for (const [k, v] of Object.entries(figures)) process.stdout.write(`${k.padEnd(50)} ${v}\n`);
  if (!ok || result.non2xx > 0 || result.errors > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`webhook-load: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
