// The operators' printed sqlite3 queries (their database documents, text unchanged) over rows written by our own
// producers: the webhook receiver over HTTP, `mtctl webhooks import` of saved files, the network analytics monitor's
// activities against the loopback Cloudflare and Telegram, and a withdrawal from the records repository. Then
// `mtctl stats` must say what their queries say, counter by counter.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Activities } from '../../src/activities';
import { createRecords, openDatabase } from '../../src/db';
import { buildDependencies, type Dependencies } from '../../src/runtime/dependencies';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/webhooks/receiver';
import { monitorSummaryKey } from '../../src/workflows/analytics-monitor';
import { mtctl, useEnv } from '../client/harness';
import { memoryLogger, startFixture, type Fixture } from '../helpers/fixture';
import { operatorCount, operatorQuery } from './operator-queries';

const SECRET = 'whsec-operator-queries-6b1f';
const FIXTURES = join(__dirname, '..', 'fixtures', 'webhooks');
const MIN = 60_000;

const fixture = (name: string): Record<string, unknown> & { data: Record<string, unknown> } =>
  JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as never;

describe("the operators' sqlite3 queries over rows our receiver, import tool and monitor wrote", function () {
  this.timeout(60_000);
  let fx: Fixture;
  let receiver: WebhookReceiver;
  let deps: Dependencies;
  let undoEnv: () => void;
  let db: string;
  /** Set when the suite runs, not when mocha loads the file (minutes earlier in a full run). */
  let nowSec = 0;
  let networkRows = 0;

  const q = (sql: string) => operatorQuery(db, sql);
  const n = (sql: string) => operatorCount(db, sql);

  before(async () => {
    nowSec = Math.floor(Date.now() / 1000);
    fx = await startFixture({
      prefixes: [
        { cidr: '185.54.81.0/24', description: 'DMZ', parentPrefixId: 'p4', bgpPrefixId: 'b81', advertised: true },
        { cidr: '185.54.82.0/24', description: 'Hosting', parentPrefixId: 'p4', bgpPrefixId: 'b82', advertised: true },
      ],
      env: { WEBHOOK_SECRET: SECRET },
    });
    db = fx.databasePath;
    undoEnv = useEnv(fx.env);

    // 1. The receiver: an attack START, an MNM alert without ids, an auto-advertisement, a test notification.
    receiver = await startWebhookReceiver({
      config: fx.config,
      logger: memoryLogger().logger,
      temporal: null,
      port: 0,
    });
    const start = fixture('official-advanced_ddos_attack_l4_alert-start');
    start.data.attack_id = 'cf-attack-12345';
    for (const body of [
      start,
      fixture('thirdparty-fbm_dosd_attack'),
      fixture('thirdparty-fbm_auto_advertisement'),
      fixture('thirdparty-dos_attack_l4'),
    ]) {
      const res = await fetch(`${receiver.url}${fx.config.webhook.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'cf-webhook-auth': SECRET },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 200, await res.text());
    }

    // 2. The import tool: the END of that attack, and a whole second attack, from the old receiver's folder.
    const inbox = join(fx.dir, 'logs', 'webhooks');
    mkdirSync(inbox, { recursive: true });
    const end = fixture('official-advanced_ddos_attack_l4_alert-end');
    end.data.attack_id = 'cf-attack-12345';
    end.ts = nowSec + 120;
    const other = (state: string, ts: number) => ({
      ...fixture('official-advanced_ddos_attack_l4_alert-start'),
      alert_event: state,
      alert_correlation_id: 'corr-67890',
      data: {
        ...fixture('official-advanced_ddos_attack_l4_alert-start').data,
        attack_id: 'cf-attack-67890',
        target_ip: '185.54.82.20',
      },
      ts,
    });
    writeFileSync(join(inbox, 'webhook_end_12345.json'), JSON.stringify(end));
    writeFileSync(
      join(inbox, 'webhook_start_67890.json'),
      JSON.stringify(other('ALERT_STATE_EVENT_START', nowSec - 60)),
    );
    writeFileSync(join(inbox, 'webhook_end_67890.json'), JSON.stringify(other('ALERT_STATE_EVENT_END', nowSec)));
    const imported = await mtctl(['webhooks', 'import', inbox]);
    assert.equal(imported.code, 0, imported.err);
    assert.match(imported.out, /Imported 3, duplicates 0/);

    // 3. A withdrawal through the records repository, as the workflow's activity writes it.
    const handle = openDatabase(db);
    try {
      createRecords(handle).recordWithdrawal({
        idempotencyKey: 'operator-queries/withdraw/1',
        prefix: '185.54.81.0/24',
        description: 'DMZ',
        eventId: 'operator-queries-withdraw',
        method: 'autowithdraw_daemon',
        actionTaken: 'withdrawn_auto',
        status: 'success',
        withdrawnAtMs: Date.now(),
        advertisedAtMs: Date.now() - 40 * MIN,
        attackEndedAtMs: Date.now() - 16 * MIN,
        calmMs: 15 * MIN,
        peak: null,
        notes: 'calm for 15 minutes',
        details: {},
      });
    } finally {
      handle.close();
    }
    // Their own documented command for a test entry in the deprecated queue.
    q(`INSERT INTO pending_withdrawals (prefix, withdraw_after, status)
   VALUES ('185.54.82.0/24', datetime('now', '+1 minute'), 'pending')`);

    // 4. The network analytics monitor's activities, in the workflow's order: collect, summarise, stamp.
    const now = Date.now();
    for (const [attackId, destination, vector, source] of [
      ['atk-syn', '185.54.81.10', 'SYN Flood', '203.0.113.7'],
      ['atk-udp', '185.54.82.20', 'UDP Flood', '198.51.100.9'],
    ] as const) {
      fx.cf.traffic.addFlow({
        destination,
        startMs: now - 10 * MIN,
        endMs: now - 2 * MIN,
        packetsPerSecond: vector === 'SYN Flood' ? 3000 : 1000,
        outcome: 'drop',
        mitigationSystem: 'dosd',
        attackId,
        attackVector: vector,
        ruleName: `${vector} rule`,
        mitigationReason: 'BLOCKED',
        ipSourceAddress: source,
        sourcePort: 41000,
        sourceCountry: 'CN',
        sourceAsn: 4134,
        destinationPort: 443,
        ipProtocolName: vector === 'SYN Flood' ? 'TCP' : 'UDP',
        coloCode: 'FRA',
        coloCountry: 'DE',
      });
    }
    deps = buildDependencies(fx.config, memoryLogger().logger);
    const act: Activities = deps.activities;
    const env = new MockActivityEnvironment();
    const inActivity = <T>(fn: () => Promise<T>): Promise<T> => env.run<[], T, () => Promise<T>>(fn);
    const runKey = 'operator-queries-run-1';
    const run = await inActivity(() => act.collectNetworkEvents({ runKey, windowEndMs: now, lookbackMs: 15 * MIN }));
    assert.equal(run.newAttacks.length, 2);
    networkRows = run.inserted;
    const delivery = await inActivity(() =>
      act.sendNotification({
        key: monitorSummaryKey(runKey),
        notification: {
          kind: 'network_attacks_detected',
          windowStartMs: run.windowStartMs,
          windowEndMs: run.windowEndMs,
          attacks: run.newAttacks,
          newEvents: run.inserted,
          continuingEvents: run.continuingEvents,
          truncated: run.truncated,
          atMs: now,
        },
      }),
    );
    assert.equal(delivery.state, 'sent');
    const marked = await inActivity(() =>
      act.markNetworkEventsNotified({ runKey, summaryKey: monitorSummaryKey(runKey) }),
    );
    assert.equal(marked.marked, networkRows);
  });

  after(async () => {
    await receiver?.close();
    deps?.close();
    undoEnv?.();
    await fx?.close();
  });

  it('correlates START (received) and END (imported) of one attack by alert_id', () => {
    assert.deepEqual(
      q(`SELECT received_at, event_state, action_taken
   FROM webhook_events
   WHERE alert_id = 'cf-attack-12345'
   ORDER BY received_at`).map((line) => line.split('|').slice(1).join('|')),
      ['ALERT_STATE_EVENT_START|received', 'ALERT_STATE_EVENT_END|imported'],
    );
    const [startAt, endAt] = q(`SELECT received_at, event_state, action_taken
   FROM webhook_events
   WHERE alert_id = 'cf-attack-12345'
   ORDER BY received_at`).map((line) => line.split('|')[0]);
    assert.match(startAt ?? '', /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    assert.equal(endAt, new Date((nowSec + 120) * 1000).toISOString().slice(0, 19).replace('T', ' '));
  });

  it('counts completed attacks (START and END) across both producers', () => {
    assert.equal(
      n(`SELECT COUNT(DISTINCT w1.alert_id)
FROM webhook_events w1
WHERE w1.event_state = 'ALERT_STATE_EVENT_START'
AND EXISTS (
    SELECT 1 FROM webhook_events w2
    WHERE w2.alert_id = w1.alert_id
    AND w2.event_state = 'ALERT_STATE_EVENT_END'
);`),
      2,
    );
  });

  it('lists recent attack events, today and by type (the test notification is no attack event)', () => {
    const recent = q(
      'SELECT event_type, prefix, action_taken, created_at FROM attack_events ORDER BY id DESC LIMIT 10',
    );
    assert.deepEqual(
      recent.map((line) => line.split('|').slice(0, 3).join('|')),
      [
        'WITHDRAW|185.54.81.0/24|withdrawn_auto',
        // Imported in arrival order (ts): the second attack's START and END, then the first one's END.
        'END|185.54.81.0/24|notified_autowithdraw_handles',
        'END|185.54.82.0/24|notified_autowithdraw_handles',
        'START|185.54.82.0/24|mitigating',
        'ADVERTISE|185.54.82.0/24|auto_advertised',
        'START|185.54.82.0/24|notified',
        'START|185.54.81.0/24|mitigating',
      ],
    );
    assert.equal(q('SELECT event_type, prefix, created_at FROM attack_events ORDER BY id DESC LIMIT 10;').length, 7);
    assert.equal(n(`SELECT COUNT(*) FROM attack_events WHERE date(created_at) = date('now')`), 7);
    assert.equal(q(`SELECT * FROM attack_events WHERE date(created_at) = date('now');`).length, 7);
    assert.deepEqual(
      q(`SELECT event_type, COUNT(*) FROM attack_events
   WHERE date(created_at) = date('now')
   GROUP BY event_type`),
      ['ADVERTISE|1', 'END|2', 'START|3', 'WITHDRAW|1'],
    );
  });

  it('webhook counts by type include every webhook received or imported', () => {
    assert.deepEqual(q('SELECT alert_type, COUNT(*) as count FROM webhook_events GROUP BY alert_type;'), [
      'advanced_ddos_attack_l4_alert|4',
      'dos_attack_l4|1',
      'fbm_auto_advertisement|1',
      'fbm_dosd_attack|1',
    ]);
  });

  it('withdrawal history, withdrawals today and the statistics query', () => {
    const history = q(
      'SELECT prefix, withdrawn_at, withdraw_method, status FROM withdrawal_history ORDER BY id DESC LIMIT 10',
    );
    assert.equal(history.length, 1);
    assert.match(
      history[0] ?? '',
      /^185\.54\.81\.0\/24\|\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\|autowithdraw_daemon\|success$/,
    );
    assert.deepEqual(
      q(
        'SELECT prefix, withdrawn_at, protection_duration_seconds/60 as minutes, withdraw_method FROM withdrawal_history ORDER BY id DESC LIMIT 10;',
      ).map((line) => line.split('|').slice(2).join('|')),
      ['40|autowithdraw_daemon'],
    );
    assert.deepEqual(
      q(`SELECT COUNT(*), withdraw_method FROM withdrawal_history
   WHERE date(withdrawn_at) = date('now')
   GROUP BY withdraw_method`),
      ['1|autowithdraw_daemon'],
    );
    assert.deepEqual(
      q(`SELECT
    (SELECT COUNT(*) FROM pending_withdrawals WHERE status='pending') as pending,
    (SELECT COUNT(*) FROM withdrawal_history) as total_withdrawals,
    (SELECT COUNT(*) FROM attack_events) as total_events`),
      ['1|1|7'],
    );
  });

  it("the monitor's rows: Cloudflare's datetime text, vectors and sources ranked, all notified today", () => {
    const recent = q(`SELECT event_datetime, attack_vector, source_ip, destination_port, packets
   FROM network_analytics_events
   ORDER BY id DESC LIMIT 10`);
    assert.ok(recent.length > 0);
    for (const line of recent)
      assert.match(line, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\|(SYN|UDP) Flood\|[\d.]+\|443\|\d+$/);
    const byVector = q(`SELECT attack_vector, COUNT(*), SUM(packets) as total_packets
   FROM network_analytics_events
   GROUP BY attack_vector
   ORDER BY total_packets DESC`);
    assert.deepEqual(
      byVector.map((line) => line.split('|')[0]),
      ['SYN Flood', 'UDP Flood'],
    );
    assert.equal(
      byVector.map((line) => Number(line.split('|')[1])).reduce((a, b) => a + b, 0),
      networkRows,
    );
    assert.deepEqual(
      q(`SELECT source_ip, COUNT(*), SUM(packets) as total_packets
   FROM network_analytics_events
   GROUP BY source_ip
   ORDER BY total_packets DESC
   LIMIT 10`).map((line) => line.split('|')[0]),
      ['203.0.113.7', '198.51.100.9'],
    );
    assert.equal(
      n(`SELECT COUNT(*) FROM network_analytics_events
   WHERE date(notified_at) = date('now')`),
      networkRows,
    );
  });

  it('mtctl stats reports every counter as their queries count it', async () => {
    const r = await mtctl(['stats', '--json']);
    assert.equal(r.code, 0, r.err);
    const stats = JSON.parse(r.out) as Record<string, unknown>;
    const expected = {
      pendingWithdrawals: n(`SELECT COUNT(*) FROM pending_withdrawals WHERE status='pending'`),
      totalWithdrawals: n('SELECT COUNT(*) FROM withdrawal_history'),
      successfulWithdrawals: n(`SELECT COUNT(*) FROM withdrawal_history WHERE status = 'success'`),
      totalEvents: n('SELECT COUNT(*) FROM attack_events'),
      eventsToday: n(`SELECT COUNT(*) FROM attack_events WHERE date(created_at) = date('now')`),
      totalWebhooks: n('SELECT COUNT(*) FROM webhook_events'),
      webhooksToday: n(`SELECT COUNT(*) FROM webhook_events WHERE date(received_at) = date('now')`),
      completedAttacks: 2,
      networkEvents: {
        total: n('SELECT COUNT(*) FROM network_analytics_events'),
        today: n(`SELECT COUNT(*) FROM network_analytics_events
   WHERE date(notified_at) = date('now')`),
        attacks: 2,
      },
    };
    assert.deepEqual(stats, expected);
    assert.deepEqual(
      [expected.pendingWithdrawals, expected.totalWithdrawals, expected.totalEvents, expected.totalWebhooks],
      [1, 1, 7, 7],
    );
    const text = (await mtctl(['stats'])).out;
    const value = (label: string) => {
      const m = new RegExp(`^${label.replace(/[()]/g, '\\$&')} +(\\d+)$`, 'm').exec(text);
      assert.ok(m, `${label} in:\n${text}`);
      return Number(m[1]);
    };
    assert.deepEqual(
      [
        value('Pending withdrawals (deprecated queue)'),
        value('Total withdrawals'),
        value('Successful withdrawals'),
        value('Attack events'),
        value('Attack events today'),
        value('Webhooks'),
        value('Webhooks today'),
        value('Completed attacks (START and END webhooks)'),
        value('Network analytics events'),
        value('Network analytics events notified today'),
        value('Distinct attacks in network analytics'),
      ],
      [
        expected.pendingWithdrawals,
        expected.totalWithdrawals,
        expected.successfulWithdrawals,
        expected.totalEvents,
        expected.eventsToday,
        expected.totalWebhooks,
        expected.webhooksToday,
        expected.completedAttacks,
        expected.networkEvents.total,
        expected.networkEvents.today,
        expected.networkEvents.attacks,
      ],
    );
  });

  it('PRAGMA integrity_check says ok', () => {
    assert.deepEqual(q('PRAGMA integrity_check;'), ['ok']);
  });
});
