// AnalyticsMonitor and RecordsRetention on the time-skipping server with the real activities, the loopback
// Cloudflare (dosd node) and Telegram, and a SQLite file: rows stored once, one summary per run and only for new
// attacks, a re-run of the same run sends nothing twice, a failing Telegram never loses rows, analytics outages fail
// the run without a message; retention prunes by age.
import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities';
import { toSqliteTimestamp } from '../../src/db';
import { buildDependencies, type Dependencies } from '../../src/runtime/dependencies';
import type { AnalyticsMonitorResult } from '../../src/workflows/analytics-monitor';
import type { RetentionResult } from '../../src/workflows/retention';
import { memoryLogger, startFixture, type Fixture, type TestPrefix } from '../helpers/fixture';
import { createTimeSkippingEnv, quietTemporalRuntime, workflowBundle } from '../helpers/temporal';
import { operatorCount } from '../webhooks/operator-queries';

const MIN = 60_000;
const LOOKBACK = 15 * MIN;
const TASK_QUEUE = 'analytics-monitor-test';
const X: TestPrefix = {
  cidr: '185.54.81.0/24',
  description: 'DMZ',
  parentPrefixId: 'p4',
  bgpPrefixId: 'x81',
  advertised: false,
};

describe('AnalyticsMonitor and RecordsRetention (time-skipping, real activities)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let fx: Fixture;
  let deps: Dependencies;
  let worker: Worker;
  let running: Promise<void>;
  let seq = 0;
  // The time-skipping server jumps over activity timeouts, so workflow time runs ahead of the wall clock: the
  // simulator's clock follows the windows the monitor asks about, and traffic is placed on workflow time.
  let simNow = 0;

  before(async () => {
    quietTemporalRuntime();
    env = await createTimeSkippingEnv();
    simNow = await env.currentTimeMs();
    fx = await startFixture({
      prefixes: [X],
      cloudflare: { ingestDelayMs: 30_000, clock: () => simNow },
      env: { TEMPORAL_TASK_QUEUE: TASK_QUEUE },
    });
    deps = buildDependencies(fx.config, memoryLogger().logger);
    const activities: Activities = {
      ...deps.activities,
      collectNetworkEvents: (input) => {
        simNow = Math.max(simNow, input.windowEndMs + 60_000);
        return deps.activities.collectNetworkEvents(input);
      },
    };
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowBundle: await workflowBundle(),
      activities,
    });
    running = worker.run();
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
    deps?.close();
    await fx?.close();
  });
  beforeEach(() => {
    fx.tg.faults.clear();
    fx.cf.faults.clear();
  });

  const lastRunId = () => `analytics-monitor-test-${seq}`;
  const runMonitor = (workflowId = `analytics-monitor-test-${++seq}`) =>
    env.client.workflow.execute<(i: { lookbackMs: number }) => Promise<AnalyticsMonitorResult>>('AnalyticsMonitor', {
      workflowId,
      taskQueue: TASK_QUEUE,
      args: [{ lookbackMs: LOOKBACK }],
    });
  const rows = () =>
    (deps.database.sqlite.prepare('SELECT COUNT(*) AS n FROM network_analytics_events').get() as { n: number }).n;
  const summaries = () => fx.tg.messages.filter((m) => /network analytics/.test(m.plainText));

  const attack = async (attackId: string, destination: string, vector: string, agoMin: number) => {
    const now = await env.currentTimeMs();
    fx.cf.traffic.addFlow({
      destination,
      startMs: now - agoMin * MIN,
      endMs: now - 2 * MIN,
      packetsPerSecond: 2000,
      outcome: 'drop',
      mitigationSystem: 'dosd',
      attackId,
      attackVector: vector,
      ruleName: `${vector} rule`,
      mitigationReason: 'BLOCKED',
      ipSourceAddress: '203.0.113.7',
      sourcePort: 41000,
      sourceCountry: 'CN',
      sourceAsn: 4134,
      destinationPort: 443,
      ipProtocolName: 'TCP',
      coloCode: 'FRA',
      coloCountry: 'DE',
    });
  };

  it("stores the window's dosd drops and sends one message naming every new attack", async () => {
    await attack('atk-syn-1', '185.54.81.10', 'SYN Flood', 10);
    await attack('atk-udp-2', '185.54.81.20', 'UDP Flood', 6);
    const result = await runMonitor();
    assert.equal(result.newAttacks, 2);
    assert.equal(result.notification, 'sent');
    assert.ok(result.inserted >= 8, `${result.inserted} rows`);
    assert.equal(rows(), result.inserted);
    assert.equal(summaries().length, 1, 'one message per run, never one per row');
    const text = summaries()[0]!.plainText;
    assert.match(text, /New attacks: 2/);
    assert.match(text, /atk-syn-1/);
    assert.match(text, /atk-udp-2/);
    assert.match(text, /185\.54\.81\.10:443/);
    // notified_at: when that message was sent, on every row it announced; the operators' "events today" counts them.
    assert.equal(result.notifiedEvents, result.inserted);
    const sentAtMs = deps.records.getNotification(`analytics-monitor/${lastRunId()}/summary`)?.updatedAtMs;
    assert.ok(sentAtMs);
    const sentAt = toSqliteTimestamp(sentAtMs);
    assert.deepEqual(
      deps.database.sqlite.prepare('SELECT DISTINCT notified_at AS n FROM network_analytics_events').all(),
      [{ n: sentAt }],
    );
    assert.equal(
      operatorCount(
        fx.databasePath,
        `SELECT COUNT(*) FROM network_analytics_events
   WHERE date(notified_at) = date('now')`,
      ),
      result.inserted,
    );
  });

  it('the next run over an overlapping window stores nothing twice and announces nothing already announced', async () => {
    const before = rows();
    const result = await runMonitor();
    assert.deepEqual([result.inserted, result.newAttacks, result.notification], [0, 0, 'none']);
    assert.equal(rows(), before);
    assert.equal(summaries().length, 1);
  });

  it('running the same run again (a retry) replays its result and does not send its message twice', async () => {
    await attack('atk-ack-3', '185.54.81.30', 'ACK Flood', 8);
    const first = await runMonitor('analytics-monitor-test-replayed');
    assert.equal(first.notification, 'sent');
    const again = await runMonitor('analytics-monitor-test-replayed');
    assert.equal(again.newAttacks, 1, 'the replayed result still names the attack');
    assert.equal(again.notification, 'already_sent');
    assert.equal(summaries().length, 2);
    assert.equal(summaries().filter((m) => m.plainText.includes('atk-ack-3')).length, 1);
  });

  it('a Telegram that refuses keeps the rows and records the message as failed', async () => {
    fx.tg.faults.add({ kind: 'forbidden', count: Infinity });
    await attack('atk-icmp-4', '185.54.81.40', 'ICMP Flood', 5);
    const before = rows();
    const result = await runMonitor('analytics-monitor-test-telegram-down');
    assert.equal(result.notification, 'failed');
    assert.equal(result.notifiedEvents, 0);
    assert.ok(rows() > before);
    const stamped = deps.database.sqlite
      .prepare(
        `SELECT COUNT(*) AS n FROM network_analytics_events WHERE attack_id = 'atk-icmp-4' AND notified_at IS NOT NULL`,
      )
      .get() as { n: number };
    assert.equal(stamped.n, 0, 'no message, no notified_at');
    const log = deps.records.getNotification('analytics-monitor/analytics-monitor-test-telegram-down/summary');
    assert.equal(log?.state, 'failed');
  });

  it('an analytics outage fails the run after its retries: no rows, no message', async () => {
    fx.cf.faults.add({ kind: 'http_5xx', match: { graphql: true }, count: 1000 });
    await attack('atk-gre-5', '185.54.81.50', 'GRE Flood', 5);
    const before = rows();
    const messages = fx.tg.messages.length;
    await assert.rejects(runMonitor(), WorkflowFailedError);
    assert.equal(rows(), before);
    assert.equal(fx.tg.messages.length, messages);
  });

  it('RecordsRetention prunes webhooks older than 30 days, attack events older than 90, monitor run keys older than 7', async () => {
    const db = deps.database.sqlite;
    const now = await env.currentTimeMs();
    const at = (daysAgo: number) => new Date(now - daysAgo * 86_400_000).toISOString().slice(0, 19).replace('T', ' ');
    db.prepare('INSERT INTO webhook_events (received_at, alert_id) VALUES (?, ?), (?, ?)').run(
      at(31),
      'old',
      at(1),
      'new',
    );
    db.prepare('INSERT INTO attack_events (event_type, created_at) VALUES (?, ?), (?, ?)').run(
      'START',
      at(91),
      'END',
      at(89),
    );
    const runKeys = db.prepare(
      `SELECT key FROM operation_keys WHERE kind = 'analytics_monitor' AND datetime(created_at) < datetime(?)`,
    );
    db.prepare(
      `INSERT INTO operation_keys (key, kind, created_at) VALUES (?, 'analytics_monitor', ?), (?, 'analytics_monitor', ?)`,
    ).run('analytics-monitor/stale', at(8), 'analytics-monitor/fresh', at(1));
    const stale = runKeys.all(at(7)).length;
    assert.ok(stale >= 1);
    const result = await env.client.workflow.execute<() => Promise<RetentionResult>>('RecordsRetention', {
      workflowId: 'records-retention-test',
      taskQueue: TASK_QUEUE,
      args: [],
    });
    assert.deepEqual(result.deleted, {
      webhookEvents: 1,
      attackEvents: 1,
      networkAnalyticsEvents: 0,
      monitorRunKeys: stale,
    });
    assert.equal(runKeys.all(at(7)).length, 0);
    assert.ok(db.prepare(`SELECT 1 FROM operation_keys WHERE key = 'analytics-monitor/fresh'`).get());
    assert.deepEqual(db.prepare('SELECT alert_id FROM webhook_events').all(), [{ alert_id: 'new' }]);
    assert.deepEqual(db.prepare('SELECT event_type FROM attack_events').all(), [{ event_type: 'END' }]);
  });
});
