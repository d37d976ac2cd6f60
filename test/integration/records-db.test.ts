// The records modules of the alert ingestion work against real SQLite files: webhook storage and dedupe (also
// across connections), webhook statistics, network analytics runs (hash compatible with the operators' monitor,
// new vs continuing attacks, replayed runs), batched retention, online backup under writes, integrity check.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applyRetention,
  backupDatabase,
  BackupTargetExistsError,
  checkDatabase,
  createNetworkEventStore,
  createRecords,
  createWebhookStore,
  migrateDatabase,
  networkEventHash,
  openDatabase,
  toSqliteTimestamp,
  type DatabaseHandle,
  type RetentionProgress,
  type RetentionResult,
} from '../../src/db';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createRetentionActivities } from '../../src/activities/retention';
import { eventHashKey, toNetworkEvent, type NetworkEvent } from '../../src/domain/network-events';
import { classifyWebhook, type WebhookAlert } from '../../src/domain/webhook-alert';

const NOW = Date.parse('2026-01-19T14:00:00Z');
const DAY = 86_400_000;
const PREFIXES = ['185.54.81.0/24', '185.54.82.0/24'];

function alert(payload: Record<string, unknown>): WebhookAlert {
  const r = classifyWebhook(payload, PREFIXES);
  assert.ok(r.ok && r.webhook.kind === 'alert');
  return r.webhook.alert;
}

const l4 = (attackId: string, state: string | undefined, extra: Record<string, unknown> = {}) => ({
  alert_type: 'advanced_ddos_attack_l4_alert',
  ...(state ? { alert_event: state } : {}),
  data: { attack_id: attackId, target_ip: '185.54.81.10', attack_vector: 'SYN Flood', ...extra },
});

function dosdGroup(over: Record<string, unknown> = {}, sum = { packets: 1000, bits: 8_000_000 }): NetworkEvent {
  return toNetworkEvent({
    dimensions: {
      datetime: '2026-01-19T13:50:00Z',
      attackId: 'atk-1',
      attackVector: 'SYN Flood',
      ruleName: 'SYN flood',
      ruleId: 'r1',
      mitigationReason: 'BLOCKED',
      outcome: 'drop',
      ipSourceAddress: '203.0.113.7',
      sourcePort: 40000,
      sourceAsn: 4134,
      sourceAsnName: 'CHINANET',
      sourceCountry: 'CN',
      ipDestinationAddress: '185.54.81.10',
      destinationPort: 443,
      ipProtocolName: 'TCP',
      tcpFlagsString: 'SYN',
      coloCode: 'FRA',
      coloCountry: 'DE',
      ...over,
    },
    sum,
  });
}

describe('alert records (SQLite files)', () => {
  let dir: string;
  let handle: DatabaseHandle;
  const path = () => join(dir, 'magic_transit.db');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mtaw-records-'));
    handle = openDatabase(path());
    migrateDatabase(handle);
  });
  afterEach(() => {
    handle.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rows = (sql: string): Array<Record<string, unknown>> => handle.sqlite.prepare(sql).all() as never;

  describe('webhook store', () => {
    const input = (a: WebhookAlert, atMs = NOW) => ({
      alert: a,
      payloadJson: '{}',
      sourceIp: '162.158.1.1',
      actionTaken: 'received' as const,
      receivedAtMs: atMs,
      followUpPending: false,
    });

    it('dedupes on (alert_id, event_state), NULL states included, in one transaction with the attack events', () => {
      const store = createWebhookStore(handle);
      assert.equal(store.store(input(alert(l4('a1', 'ALERT_STATE_EVENT_START')))).stored, true);
      assert.equal(store.store(input(alert(l4('a1', 'ALERT_STATE_EVENT_START')))).stored, false);
      assert.equal(store.store(input(alert(l4('a1', 'ALERT_STATE_EVENT_END')))).stored, true);
      // The older alert types carry no alert_event: NULL never collides under UNIQUE, the store checks itself.
      assert.equal(store.store(input(alert(l4('a2', undefined)))).stored, true);
      assert.equal(store.store(input(alert(l4('a2', undefined)))).stored, false);
      assert.deepEqual(rows('SELECT alert_id, event_state FROM webhook_events ORDER BY id'), [
        { alert_id: 'a1', event_state: 'ALERT_STATE_EVENT_START' },
        { alert_id: 'a1', event_state: 'ALERT_STATE_EVENT_END' },
        { alert_id: 'a2', event_state: null },
      ]);
      assert.deepEqual(rows('SELECT event_type, attack_id, prefix, created_at FROM attack_events ORDER BY id'), [
        { event_type: 'START', attack_id: 'a1', prefix: '185.54.81.0/24', created_at: '2026-01-19 14:00:00' },
        { event_type: 'END', attack_id: 'a1', prefix: '185.54.81.0/24', created_at: '2026-01-19 14:00:00' },
        { event_type: 'START', attack_id: 'a2', prefix: '185.54.81.0/24', created_at: '2026-01-19 14:00:00' },
      ]);
    });

    it('dedupes across connections (the import tool next to the receiver)', () => {
      const other = openDatabase(path());
      try {
        const a = createWebhookStore(handle);
        const b = createWebhookStore(other);
        const results = [a, b, a, b].map((s) => s.store(input(alert(l4('x', 'ALERT_STATE_EVENT_START')))).stored);
        assert.deepEqual(results, [true, false, false, false]);
      } finally {
        other.close();
      }
    });

    it('no alert id at all: a content hash identifies the webhook', () => {
      const store = createWebhookStore(handle);
      const a = alert({ alert_type: 'fbm_volumetric_attack', data: { rule_name: 'r', packets_per_second: '1' } });
      const b = alert({ alert_type: 'fbm_volumetric_attack', data: { rule_name: 'r', packets_per_second: '2' } });
      const first = store.store(input(a));
      assert.match(first.alertId, /^sha256:[0-9a-f]{32}$/);
      assert.equal(store.store(input(a)).stored, false);
      assert.equal(store.store(input(b)).stored, true);
    });

    it('stats: total, today, last 7 days, by type, by state, completed attacks; recent with filters', () => {
      const store = createWebhookStore(handle, { now: () => NOW });
      store.store(input(alert(l4('c1', 'ALERT_STATE_EVENT_START')), NOW - 10 * DAY));
      store.store(input(alert(l4('c1', 'ALERT_STATE_EVENT_END')), NOW - 10 * DAY + 3_600_000));
      store.store(input(alert(l4('c2', 'ALERT_STATE_EVENT_START')), NOW - 2 * DAY));
      store.store(input(alert({ alert_type: 'fbm_auto_advertisement', data: {} }), NOW - 60_000));
      assert.deepEqual(store.stats(), {
        total: 4,
        today: 1,
        last7Days: 2,
        byType: [
          { alertType: 'advanced_ddos_attack_l4_alert', count: 3 },
          { alertType: 'fbm_auto_advertisement', count: 1 },
        ],
        byState: [
          { eventState: 'ALERT_STATE_EVENT_START', count: 2 },
          { eventState: null, count: 1 },
          { eventState: 'ALERT_STATE_EVENT_END', count: 1 },
        ],
        completedAttacks: 1,
      });
      assert.deepEqual(
        store.recent({ limit: 2 }).map((r) => r.alertType),
        ['fbm_auto_advertisement', 'advanced_ddos_attack_l4_alert'],
      );
      assert.equal(store.recent({ days: 7 }).length, 2);
      assert.equal(store.recent({ alertType: 'fbm_auto_advertisement' }).length, 1);
    });
  });

  describe('network analytics runs', () => {
    it("hashes like the operators' monitor (first 32 hex digits of SHA-256 over datetime|attackId|src|dst|port)", () => {
      // Expected values computed with Python's hashlib over the same text.
      assert.equal(
        networkEventHash(
          eventHashKey({
            datetime: '2026-01-19T00:00:00Z',
            attackId: '4f1a8c2e',
            ipSourceAddress: '203.0.113.7',
            ipDestinationAddress: '185.54.81.10',
            destinationPort: 443,
          }),
        ),
        'a564891cd3bc937cdcef8ac3dcea6da2',
      );
      assert.equal(
        networkEventHash(
          eventHashKey({
            datetime: '2026-01-19T00:01:00Z',
            ipSourceAddress: '198.51.100.9',
            ipDestinationAddress: '185.54.82.20',
            destinationPort: 53,
          }),
        ),
        '9f053c02a46532c2d517254c8aa0c03d',
      );
    });

    it('inserts each event once; an attack is new only in the first run that sees it', () => {
      const store = createNetworkEventStore(handle, { now: () => NOW });
      const e1 = dosdGroup();
      const e2 = dosdGroup({ ipSourceAddress: '198.51.100.1' });
      const first = store.recordRun({ runKey: 'r1', events: [e1, e2], truncated: false, atMs: NOW });
      assert.equal(first.inserted, 2);
      assert.deepEqual(
        first.newAttacks.map((a) => [a.attackId, a.events, a.packets, a.distinctSources]),
        [['atk-1', 2, 2000, 2]],
      );
      // The next run's window overlaps: the same rows again, one more row of atk-1, and a new attack.
      const e3 = dosdGroup({ datetime: '2026-01-19T13:55:00Z' });
      const e4 = dosdGroup({ attackId: 'atk-2', attackVector: 'UDP Flood', ipDestinationAddress: '185.54.82.20' });
      const second = store.recordRun({ runKey: 'r2', events: [e1, e2, e3, e4], truncated: true, atMs: NOW });
      assert.equal(second.inserted, 2);
      assert.equal(second.continuingEvents, 1);
      assert.deepEqual(
        second.newAttacks.map((a) => a.attackId),
        ['atk-2'],
      );
      assert.equal(second.truncated, true);
      const stored = rows(
        'SELECT event_hash, event_datetime, attack_id, notified_at, raw_data FROM network_analytics_events',
      );
      assert.equal(stored.length, 4);
      assert.ok(stored.every((r) => /^[0-9a-f]{32}$/.test(String(r.event_hash))));
      // Cloudflare's text verbatim, as the operators' monitor stored it; not notified until a message is sent.
      assert.equal(stored[0]?.event_datetime, '2026-01-19T13:50:00Z');
      assert.equal(stored[0]?.event_hash, networkEventHash('2026-01-19T13:50:00Z|atk-1|203.0.113.7|185.54.81.10|443'));
      assert.equal(stored[0]?.notified_at, null);
      assert.deepEqual(JSON.parse(String(stored[0]?.raw_data)), { dimensions: e1.raw.dimensions, sum: e1.raw.sum });
      assert.deepEqual(store.counts(), { total: 4, today: 0, attacks: 2 });
    });

    it('notified_at: set when the summary was sent, on the rows of the attacks it announced only', () => {
      const store = createNetworkEventStore(handle, { now: () => NOW });
      const records = createRecords(handle);
      const sent = (key: string, atMs: number) => {
        records.beginNotification({ key, kind: 'network_attacks_detected', prefix: null, atMs });
        records.markNotificationSent(key, 42, atMs);
      };
      store.recordRun({ runKey: 'n1', events: [dosdGroup()], truncated: false, atMs: NOW - 600_000 });
      sent('n1/summary', NOW - 590_000);
      assert.deepEqual(store.markNotified('n1', 'n1/summary'), { marked: 1, notifiedAt: '2026-01-19 13:50:10' });
      // Next run: one more row of atk-1 (announced before) and a new attack.
      const run2 = store.recordRun({
        runKey: 'n2',
        events: [
          dosdGroup({ datetime: '2026-01-19T13:56:00Z' }),
          dosdGroup({ attackId: 'atk-2', ipDestinationAddress: '185.54.82.20' }),
          dosdGroup({ attackId: 'atk-2', ipDestinationAddress: '185.54.82.21' }),
        ],
        truncated: false,
        atMs: NOW,
      });
      assert.deepEqual([run2.inserted, run2.continuingEvents, run2.newAttacks.length], [3, 1, 1]);
      // Not sent (yet, or never: failed / skipped): nothing is stamped.
      assert.deepEqual(store.markNotified('n2', 'n2/summary'), { marked: 0, notifiedAt: null });
      records.beginNotification({ key: 'n2/summary', kind: 'network_attacks_detected', prefix: null, atMs: NOW });
      records.markNotificationSkipped('n2/summary', 'Telegram is not configured', NOW);
      assert.equal(store.markNotified('n2', 'n2/summary').marked, 0);
      store.recordRun({ runKey: 'n3', events: [dosdGroup({ attackId: 'atk-3' })], truncated: false, atMs: NOW });
      sent('n3/summary', NOW + 5_000);
      assert.equal(store.markNotified('n3', 'n3/summary').marked, 1);
      assert.equal(store.markNotified('n3', 'n3/summary').marked, 0, 'idempotent');
      assert.deepEqual(
        rows('SELECT attack_id, notified_at FROM network_analytics_events ORDER BY id').map(
          (r) => `${String(r.attack_id)} ${String(r.notified_at)}`,
        ),
        ['atk-1 2026-01-19 13:50:10', 'atk-1 null', 'atk-2 null', 'atk-2 null', 'atk-3 2026-01-19 14:00:05'],
      );
      assert.deepEqual(store.counts(), { total: 5, today: 2, attacks: 3 });
    });

    it("recognises the rows the operators' monitor stored (its hash over the same text) after the switch-over", () => {
      const group = dosdGroup({ datetime: '2026-01-19T12:00:00Z' });
      // The operators' monitor: SHA-256 hex (first 32) of f"{datetime}|{attackId}|{src}|{dst}|{port}", via Python.
      const python = spawnSync(
        'python3',
        [
          '-c',
          'import hashlib,sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest()[:32])',
          '2026-01-19T12:00:00Z|atk-1|203.0.113.7|185.54.81.10|443',
        ],
        { encoding: 'utf8' },
      );
      assert.equal(python.status, 0, python.stderr);
      const theirHash = python.stdout.trim();
      handle.sqlite
        .prepare(
          `INSERT INTO network_analytics_events (event_hash, attack_id, event_datetime, source_ip, destination_ip,
             destination_port, packets, notified_at) VALUES (?, 'atk-1', '2026-01-19T12:00:00Z', '203.0.113.7',
             '185.54.81.10', 443, 1000, '2026-01-19 12:05:00')`,
        )
        .run(theirHash);
      const store = createNetworkEventStore(handle);
      const run = store.recordRun({ runKey: 'switch-over', events: [group], truncated: false, atMs: NOW });
      assert.deepEqual([run.inserted, run.newAttacks.length], [0, 0]);
      assert.deepEqual(rows('SELECT event_datetime FROM network_analytics_events'), [
        { event_datetime: '2026-01-19T12:00:00Z' },
      ]);
    });

    it("a retried run returns the first attempt's result (so its summary is still sent) and writes nothing", () => {
      const store = createNetworkEventStore(handle);
      const once = store.recordRun({ runKey: 'run-x', events: [dosdGroup()], truncated: false, atMs: NOW });
      const again = store.recordRun({ runKey: 'run-x', events: [dosdGroup()], truncated: false, atMs: NOW });
      assert.equal(once.replayed, false);
      assert.deepEqual({ ...again, replayed: false }, once);
      assert.equal(again.replayed, true);
      assert.equal(rows('SELECT id FROM network_analytics_events').length, 1);
    });

    it('drops without an attack ID count as one attack per vector and target', () => {
      const store = createNetworkEventStore(handle);
      const anon = (src: string, dst: string) =>
        dosdGroup({ attackId: '', ipSourceAddress: src, ipDestinationAddress: dst, attackVector: 'UDP' });
      const r1 = store.recordRun({
        runKey: 'a',
        events: [anon('1.1.1.1', '185.54.81.1'), anon('1.1.1.2', '185.54.81.1'), anon('1.1.1.3', '185.54.81.2')],
        truncated: false,
        atMs: NOW,
      });
      assert.equal(r1.newAttacks.length, 2);
      assert.ok(r1.newAttacks.every((a) => a.attackId === null));
      const r2 = store.recordRun({
        runKey: 'b',
        events: [anon('1.1.1.9', '185.54.81.1')],
        truncated: false,
        atMs: NOW,
      });
      assert.equal(r2.newAttacks.length, 0);
      assert.equal(r2.continuingEvents, 1);
    });
  });

  describe('retention', () => {
    it('deletes in batches what is older than each keep period, keeps withdrawals and rows of unknown age', async () => {
      const ins = (sql: string, ...values: unknown[]) => handle.sqlite.prepare(sql).run(...values);
      const old = toSqliteTimestamp(NOW - 40 * DAY);
      for (let i = 0; i < 7; i++)
        ins('INSERT INTO webhook_events (received_at, alert_id, event_state) VALUES (?, ?, ?)', old, `old-${i}`, 'S');
      // Python's isoformat and a NULL: read correctly / kept.
      ins('INSERT INTO webhook_events (received_at, alert_id) VALUES (?, ?)', '2025-11-01T10:00:00.123456', 'py');
      ins('INSERT INTO webhook_events (received_at, alert_id) VALUES (NULL, ?)', 'unknown-age');
      ins(
        'INSERT INTO webhook_events (received_at, alert_id) VALUES (?, ?)',
        toSqliteTimestamp(NOW - 29 * DAY),
        'young',
      );
      ins('INSERT INTO attack_events (event_type, created_at) VALUES (?, ?)', 'START', old);
      ins(
        'INSERT INTO attack_events (event_type, created_at) VALUES (?, ?)',
        'WITHDRAW',
        toSqliteTimestamp(NOW - 91 * DAY),
      );
      ins(
        'INSERT INTO withdrawal_history (prefix, withdrawn_at) VALUES (?, ?)',
        '185.54.81.0/24',
        toSqliteTimestamp(NOW - 400 * DAY),
      );
      // Cloudflare's RFC 3339 text, as the monitor stores it.
      ins(
        'INSERT INTO network_analytics_events (event_hash, event_datetime) VALUES (?, ?)',
        'h',
        '2024-11-01T10:00:00Z',
      );

      const batches: Array<[string, number]> = [];
      const result = await applyRetention(handle, {
        nowMs: NOW,
        policy: { webhooksMs: 30 * DAY, attackEventsMs: 90 * DAY, networkEventsMs: null },
        batchSize: 3,
        onBatch: (p) => batches.push([p.table, p.deleted]),
      });
      assert.deepEqual(result.deleted, {
        webhookEvents: 8,
        attackEvents: 1,
        networkAnalyticsEvents: 0,
        monitorRunKeys: 0,
      });
      assert.deepEqual(result.cutoffs, {
        webhookEvents: '2025-12-20 14:00:00',
        attackEvents: '2025-10-21 14:00:00',
        networkAnalyticsEvents: null,
        monitorRunKeys: '2026-01-12 14:00:00',
      });
      assert.deepEqual(batches, [
        ['webhook_events', 3],
        ['webhook_events', 3],
        ['webhook_events', 2],
        ['attack_events', 1],
        ['operation_keys', 0],
      ]);
      assert.deepEqual(
        rows('SELECT alert_id FROM webhook_events ORDER BY id').map((r) => r.alert_id),
        ['unknown-age', 'young'],
      );
      assert.deepEqual(rows('SELECT event_type FROM attack_events'), [{ event_type: 'START' }]);
      assert.equal(rows('SELECT id FROM withdrawal_history').length, 1);
      assert.equal(rows('SELECT id FROM network_analytics_events').length, 1);
      // Idempotent: a second pass finds nothing.
      const again = await applyRetention(handle, {
        nowMs: NOW,
        policy: { webhooksMs: 30 * DAY, attackEventsMs: 90 * DAY, networkEventsMs: 90 * DAY },
      });
      assert.deepEqual(again.deleted, {
        webhookEvents: 0,
        attackEvents: 0,
        networkAnalyticsEvents: 1,
        monitorRunKeys: 0,
      });
    });

    it("prunes the monitor's old run keys (operation_keys grows one per run) and keeps withdrawal and advertise keys", async () => {
      const store = createNetworkEventStore(handle);
      for (let i = 0; i < 5; i++)
        store.recordRun({ runKey: `old-${i}`, events: [], truncated: false, atMs: NOW - 8 * DAY - i * 300_000 });
      store.recordRun({ runKey: 'recent', events: [], truncated: false, atMs: NOW - 6 * DAY });
      const key = handle.sqlite.prepare('INSERT INTO operation_keys (key, kind, created_at) VALUES (?, ?, ?)');
      key.run('withdraw/1', 'withdrawal', toSqliteTimestamp(NOW - 300 * DAY));
      key.run('advertise/1', 'advertise', toSqliteTimestamp(NOW - 300 * DAY));
      const result = await applyRetention(handle, {
        nowMs: NOW,
        policy: { webhooksMs: null, attackEventsMs: null, networkEventsMs: null },
        batchSize: 2,
      });
      assert.equal(result.deleted.monitorRunKeys, 5);
      assert.deepEqual(
        rows('SELECT key FROM operation_keys ORDER BY key').map((r) => r.key),
        ['advertise/1', 'recent', 'withdraw/1'],
      );
    });

    it('yields to the event loop between batches: a timer sees the deletion in progress on a large table', async () => {
      const ins = handle.sqlite.prepare('INSERT INTO webhook_events (received_at, alert_id, payload) VALUES (?, ?, ?)');
      const old = toSqliteTimestamp(NOW - 60 * DAY);
      handle.sqlite.transaction(() => {
        for (let i = 0; i < 40_000; i++) ins.run(old, `bulk-${i}`, 'p'.repeat(100));
      })();
      const remaining = handle.sqlite.prepare('SELECT COUNT(*) AS n FROM webhook_events');
      // What another task (the receiver, a heartbeat) sees while retention runs: it runs only if retention yields.
      const seen: number[] = [];
      let batchesSoFar = 0;
      const ticks: number[] = [];
      const ticker = setInterval(() => {
        ticks.push(batchesSoFar);
        seen.push((remaining.get() as { n: number }).n);
      }, 0);
      let result;
      try {
        result = await applyRetention(handle, {
          nowMs: NOW,
          policy: { webhooksMs: 30 * DAY, attackEventsMs: null, networkEventsMs: null },
          batchSize: 1000,
          onBatch: (p) => (batchesSoFar = p.batches),
        });
      } finally {
        clearInterval(ticker);
      }
      assert.equal(result.deleted.webhookEvents, 40_000);
      assert.equal((remaining.get() as { n: number }).n, 0);
      const during = seen.filter((n) => n > 0 && n < 40_000);
      assert.ok(during.length >= 5, `the timer ran ${during.length} times during the deletion (${seen.length} in all)`);
      assert.ok(new Set(ticks.filter((b) => b > 0 && b < result.batches)).size >= 5, 'timer turns between batches');
    });
    it('the retention activity heartbeats every batch and stops between batches when cancelled', async () => {
      const ins = handle.sqlite.prepare('INSERT INTO attack_events (event_type, created_at) VALUES (?, ?)');
      const old = toSqliteTimestamp(NOW - 200 * DAY);
      handle.sqlite.transaction(() => {
        for (let i = 0; i < 10_000; i++) ins.run('START', old);
      })();
      const activities = createRetentionActivities({
        database: handle,
        retention: { webhooksMs: 30 * DAY, attackEventsMs: 90 * DAY, networkEventsMs: null },
      });
      const env = new MockActivityEnvironment();
      const beats: RetentionProgress[] = [];
      env.on('heartbeat', (d: RetentionProgress) => beats.push(d));
      const result: RetentionResult = await env.run(
        (i: { nowMs: number; batchSize?: number }) => activities.applyRecordsRetention(i),
        { nowMs: NOW, batchSize: 1000 },
      );
      assert.equal(result.deleted.attackEvents, 10_000);
      const attackBeats = beats.filter((b) => b.table === 'attack_events');
      assert.deepEqual(
        attackBeats.map((b) => b.tableTotal),
        [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000, 10_000],
      );
      assert.equal(beats.length, result.batches);

      handle.sqlite.transaction(() => {
        for (let i = 0; i < 10_000; i++) ins.run('END', old);
      })();
      const cancelled = new MockActivityEnvironment();
      let seenBeats = 0;
      cancelled.on('heartbeat', () => {
        if (++seenBeats === 3) cancelled.cancel('CANCELLED');
      });
      await assert.rejects(
        cancelled.run((i: { nowMs: number; batchSize?: number }) => activities.applyRecordsRetention(i), {
          nowMs: NOW,
          batchSize: 1000,
        }),
      );
      const left = (handle.sqlite.prepare('SELECT COUNT(*) AS n FROM attack_events').get() as { n: number }).n;
      assert.ok(left > 0 && left < 10_000 && left % 1000 === 0, `${left} rows left: whole batches only`);
    });
  });

  describe('backup and check', () => {
    it('backs up a consistent copy while another connection keeps writing; refuses to overwrite', async () => {
      const writer = openDatabase(path());
      const insert = writer.sqlite.prepare('INSERT INTO attack_events (event_type, raw_payload) VALUES (?, ?)');
      for (let i = 0; i < 2000; i++) insert.run('START', 'x'.repeat(200));
      let written = 0;
      const timer = setInterval(() => {
        writer.sqlite.transaction(() => {
          for (let i = 0; i < 50; i++) insert.run('END', 'y'.repeat(200));
        })();
        written += 50;
      }, 1);
      try {
        const target = join(dir, 'backup.db');
        const result = await backupDatabase(handle, target);
        assert.deepEqual(result.integrity, ['ok']);
        assert.equal(result.bytes, statSync(target).size);
        const copy = openDatabase(target, { readonly: true });
        try {
          const n = (copy.sqlite.prepare('SELECT COUNT(*) AS n FROM attack_events').get() as { n: number }).n;
          assert.ok(n >= 2000 && n <= 2000 + written, `${n} rows`);
          assert.equal(n % 50, 0, 'whole transactions only');
          assert.equal(copy.sqlite.pragma('journal_mode', { simple: true }), 'delete');
        } finally {
          copy.close();
        }
        await assert.rejects(backupDatabase(handle, target), BackupTargetExistsError);
      } finally {
        clearInterval(timer);
        writer.close();
      }
    });

    it('check: integrity ok and migrations applied; a pending migration on an unmigrated file; corruption found', () => {
      const ok = checkDatabase(handle);
      assert.deepEqual(
        [ok.ok, ok.integrity, ok.migrations.applied, ok.migrations.pending],
        [true, ['ok'], ['0000_baseline'], []],
      );
      const bare = openDatabase(join(dir, 'bare.db'));
      try {
        const pending = checkDatabase(bare);
        assert.deepEqual(pending.migrations.pending, ['0000_baseline']);
        assert.equal(pending.tables.find((t) => t.name === 'webhook_events')?.rows, null);
      } finally {
        bare.close();
      }

      // Corrupt a copy: overwrite a page in the middle of the file.
      const victimPath = join(dir, 'victim.db');
      const victim = openDatabase(victimPath);
      migrateDatabase(victim);
      const ins = victim.sqlite.prepare('INSERT INTO webhook_events (alert_id, payload) VALUES (?, ?)');
      for (let i = 0; i < 500; i++) ins.run(`id-${i}`, 'p'.repeat(300));
      victim.sqlite.pragma('wal_checkpoint(TRUNCATE)');
      victim.close();
      // A data page near the end (the schema lives in the first pages).
      const fd = openSync(victimPath, 'r+');
      writeSync(fd, Buffer.alloc(4096, 0xab), 0, 4096, statSync(victimPath).size - 4096 * 4);
      closeSync(fd);
      const broken = openDatabase(victimPath, { readonly: true });
      try {
        const result = checkDatabase(broken);
        assert.equal(result.ok, false);
        assert.notDeepEqual(result.integrity, ['ok']);
      } finally {
        broken.close();
      }
    });
  });
});
