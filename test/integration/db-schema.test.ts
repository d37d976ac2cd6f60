// Schema compatibility with the operators' magic_transit.db: documented tables, columns, defaults, unique constraints
// and index names; every sqlite3 query of their docs runs unchanged; migrations are idempotent; a database created by
// the Python tools is adopted in place without losing rows.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import Database from 'better-sqlite3';
import {
  createRecords,
  MIGRATIONS_FOLDER,
  migrateDatabase,
  openDatabase,
  toSqliteTimestamp,
  type DatabaseHandle,
  type WithdrawalRecordInput,
} from '../../src/db';
import { formatMigrationReport, runMigrateCli } from '../../src/db/migrate-cli';

const REPO_ROOT = join(__dirname, '..', '..');
const TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

interface ColumnInfo {
  cid: number;
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
}

function columns(sqlite: Database.Database, table: string): ColumnInfo[] {
  return sqlite.prepare<[], ColumnInfo>(`PRAGMA table_info("${table}")`).all();
}

function columnNames(sqlite: Database.Database, table: string): string[] {
  return columns(sqlite, table).map((c) => c.name);
}

function indexNames(sqlite: Database.Database): Set<string> {
  return new Set(
    sqlite
      .prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'index'`)
      .all()
      .map((r) => r.name),
  );
}

function count(sqlite: Database.Database, table: string, where = '1'): number {
  return sqlite.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM "${table}" WHERE ${where}`).get()!.n;
}

function schemaDump(sqlite: Database.Database): string {
  return sqlite
    .prepare<[], { sql: string | null }>(`SELECT sql FROM sqlite_master ORDER BY type, name`)
    .all()
    .map((r) => r.sql)
    .join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Documented columns (name + declared type), per table, from the operators' database docs (union where they differ).
// ---------------------------------------------------------------------------------------------------------------
const DOCUMENTED_COLUMNS: Record<string, string> = {
  attack_events:
    'id INTEGER, event_type TEXT, alert_type TEXT, attack_id TEXT, policy_id TEXT, policy_name TEXT, prefix TEXT, ' +
    'target_ip TEXT, target_port INTEGER, protocol TEXT, attack_vector TEXT, packets_per_second TEXT, ' +
    'megabits_per_second TEXT, severity TEXT, action_taken TEXT, raw_payload TEXT, created_at DATETIME',
  withdrawal_history:
    'id INTEGER, prefix TEXT, attack_id TEXT, policy_id TEXT, policy_name TEXT, target_ip TEXT, attack_type TEXT, ' +
    'advertised_at DATETIME, attack_ended_at DATETIME, withdrawn_at DATETIME, attack_duration_seconds INTEGER, ' +
    'protection_duration_seconds INTEGER, withdraw_method TEXT, status TEXT, notes TEXT, created_at DATETIME',
  pending_withdrawals:
    'id INTEGER, prefix TEXT, attack_id TEXT, policy_id TEXT, policy_name TEXT, target_ip TEXT, attack_type TEXT, ' +
    'advertised_at DATETIME, withdraw_after DATETIME, attack_ended_at DATETIME, created_at DATETIME, status TEXT, ' +
    'retry_count INTEGER, max_retries INTEGER, next_retry_at DATETIME, last_error TEXT',
  webhook_events:
    'id INTEGER, received_at DATETIME, alert_type TEXT, event_state TEXT, alert_id TEXT, policy_id TEXT, ' +
    'policy_name TEXT, target_ip TEXT, target_prefix TEXT, source_ip TEXT, processed INTEGER, action_taken TEXT, ' +
    'payload JSON',
  network_analytics_events:
    'id INTEGER, event_hash TEXT, attack_id TEXT, event_datetime DATETIME, attack_vector TEXT, rule_name TEXT, ' +
    'rule_id TEXT, source_ip TEXT, source_port INTEGER, source_asn INTEGER, source_asn_name TEXT, ' +
    'source_country TEXT, destination_ip TEXT, destination_port INTEGER, protocol TEXT, tcp_flags TEXT, ' +
    'colo_code TEXT, colo_country TEXT, packets INTEGER, bits INTEGER, outcome TEXT, mitigation_reason TEXT, ' +
    'notified_at DATETIME, raw_data JSON',
  prefix_calm_status:
    'id INTEGER, prefix TEXT, advertised BOOLEAN, under_attack BOOLEAN, calm_since DATETIME, calm_minutes REAL, ' +
    'dropped_packets INTEGER, dropped_bits INTEGER, last_attack_packets INTEGER, last_attack_mbps REAL, ' +
    'mitigation_systems TEXT, last_updated DATETIME, updated_at DATETIME',
  operation_keys: 'key TEXT, kind TEXT, created_at TEXT, result JSON',
  notification_log:
    'key TEXT, kind TEXT, prefix TEXT, state TEXT, attempts INTEGER, last_error TEXT, telegram_message_id INTEGER, ' +
    'created_at TEXT, updated_at TEXT',
};

/** Documented defaults: table.column → dflt_value as PRAGMA table_info reports it. */
const DOCUMENTED_DEFAULTS: Record<string, string> = {
  'attack_events.created_at': 'CURRENT_TIMESTAMP',
  'withdrawal_history.created_at': 'CURRENT_TIMESTAMP',
  'pending_withdrawals.created_at': 'CURRENT_TIMESTAMP',
  'pending_withdrawals.status': "'pending'",
  'pending_withdrawals.retry_count': '0',
  'pending_withdrawals.max_retries': '5',
  'webhook_events.received_at': 'CURRENT_TIMESTAMP',
  'webhook_events.processed': '1',
};

/** Documented index name → table and indexed columns (expression columns as null). */
const DOCUMENTED_INDEXES: Record<string, { table: string; columns: (string | null)[]; unique?: boolean }> = {
  idx_pending_unique: { table: 'pending_withdrawals', columns: ['prefix', null], unique: true },
  idx_pending_status: { table: 'pending_withdrawals', columns: ['status'] },
  idx_pending_withdraw_after: { table: 'pending_withdrawals', columns: ['withdraw_after'] },
  idx_history_prefix: { table: 'withdrawal_history', columns: ['prefix'] },
  idx_events_attack_id: { table: 'attack_events', columns: ['attack_id'] },
  idx_webhook_alert_type: { table: 'webhook_events', columns: ['alert_type'] },
  idx_webhook_received_at: { table: 'webhook_events', columns: ['received_at'] },
  idx_webhook_target_ip: { table: 'webhook_events', columns: ['target_ip'] },
  idx_network_analytics_hash: { table: 'network_analytics_events', columns: ['event_hash'] },
  idx_network_analytics_datetime: { table: 'network_analytics_events', columns: ['event_datetime'] },
  idx_network_analytics_attack_id: { table: 'network_analytics_events', columns: ['attack_id'] },
  idx_calm_prefix: { table: 'prefix_calm_status', columns: ['prefix'] },
};

function parseColumns(spec: string): { name: string; type: string }[] {
  return spec.split(',').map((part) => {
    const [name = '', type = ''] = part.trim().split(/\s+/);
    return { name, type };
  });
}

function assertDocumentedIndexes(sqlite: Database.Database): void {
  for (const [name, expected] of Object.entries(DOCUMENTED_INDEXES)) {
    const list = sqlite
      .prepare<[], { name: string; unique: number }>(`PRAGMA index_list("${expected.table}")`)
      .all()
      .find((i) => i.name === name);
    assert.ok(list, `index ${name} exists on ${expected.table}`);
    if (expected.unique) assert.equal(list.unique, 1, `${name} is unique`);
    const cols = sqlite
      .prepare<[], { seqno: number; name: string | null }>(`PRAGMA index_info("${name}")`)
      .all()
      .sort((a, b) => a.seqno - b.seqno)
      .map((c) => c.name);
    assert.deepEqual(cols, expected.columns, `columns of ${name}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Every sqlite3 query printed by the three operator docs, unchanged (placeholders where the doc had them).
// ---------------------------------------------------------------------------------------------------------------
interface DocQuery {
  doc: 'database' | 'db_manager' | 'autowithdraw';
  title: string;
  sql: string;
  params?: unknown[];
  /** Optional check of the result against the seeded data (rows for SELECTs, changes for writes). */
  check?: (result: unknown[] | Database.RunResult) => void;
}

const PREFIX = '185.54.81.0/24';

function rows(result: unknown[] | Database.RunResult): Record<string, unknown>[] {
  assert.ok(Array.isArray(result), 'query returns rows');
  return result as Record<string, unknown>[];
}

const DOC_QUERIES: DocQuery[] = [
  {
    doc: 'database',
    title: 'correlate START/END for an attack',
    sql: `SELECT received_at, event_state, action_taken
   FROM webhook_events
   WHERE alert_id = 'attack-id-here'
   ORDER BY received_at`,
    check: (r) =>
      assert.deepEqual(
        rows(r).map((x) => x.event_state),
        ['ALERT_STATE_EVENT_START', 'ALERT_STATE_EVENT_END'],
      ),
  },
  {
    doc: 'database',
    title: 'completed attacks',
    sql: `SELECT COUNT(DISTINCT w1.alert_id)
FROM webhook_events w1
WHERE w1.event_state = 'ALERT_STATE_EVENT_START'
AND EXISTS (
    SELECT 1 FROM webhook_events w2
    WHERE w2.alert_id = w1.alert_id
    AND w2.event_state = 'ALERT_STATE_EVENT_END'
);`,
    check: (r) => assert.equal(Object.values(rows(r)[0]!)[0], 1),
  },
  {
    doc: 'database',
    title: 'view pending withdrawals',
    sql: `SELECT prefix, withdraw_after, status FROM pending_withdrawals WHERE status='pending'`,
  },
  {
    doc: 'database',
    title: 'view recent attack events',
    sql: `SELECT event_type, prefix, action_taken, created_at FROM attack_events ORDER BY id DESC LIMIT 10`,
    check: (r) => {
      assert.ok(rows(r).some((x) => x.event_type === 'WITHDRAW' && x.action_taken === 'withdrawn_auto'));
      for (const x of rows(r)) assert.match(String(x.created_at), TIMESTAMP_RE);
    },
  },
  {
    doc: 'database',
    title: 'view withdrawal history',
    sql: `SELECT prefix, withdrawn_at, withdraw_method, status FROM withdrawal_history ORDER BY id DESC LIMIT 10`,
    check: (r) => assert.ok(rows(r).some((x) => x.withdraw_method === 'autowithdraw_daemon' && x.status === 'success')),
  },
  {
    doc: 'database',
    title: 'count events today',
    sql: `SELECT COUNT(*) FROM attack_events WHERE date(created_at) = date('now')`,
    check: (r) => assert.ok((Object.values(rows(r)[0]!)[0] as number) >= 2, 'our events are dated today'),
  },
  {
    doc: 'database',
    title: 'get statistics',
    sql: `SELECT
    (SELECT COUNT(*) FROM pending_withdrawals WHERE status='pending') as pending,
    (SELECT COUNT(*) FROM withdrawal_history) as total_withdrawals,
    (SELECT COUNT(*) FROM attack_events) as total_events`,
    check: (r) => {
      const s = rows(r)[0]!;
      assert.ok((s.total_withdrawals as number) >= 1);
      assert.ok((s.total_events as number) >= 2);
    },
  },
  {
    doc: 'database',
    title: 'manually add a pending withdrawal',
    sql: `INSERT INTO pending_withdrawals (prefix, withdraw_after, status)
   VALUES ('185.54.82.0/24', datetime('now', '+1 minute'), 'pending')`,
    check: (r) => assert.equal((r as Database.RunResult).changes, 1),
  },
  {
    doc: 'database',
    title: 'quick count of pending',
    sql: `SELECT COUNT(*) FROM pending_withdrawals WHERE status='pending'`,
    check: (r) => assert.ok((Object.values(rows(r)[0]!)[0] as number) >= 1),
  },
  {
    doc: 'database',
    title: 'failed withdrawals (pending)',
    sql: `SELECT prefix, last_error, retry_count FROM pending_withdrawals WHERE status='failed'`,
  },
  {
    doc: 'database',
    title: 'reset failed status to retry',
    sql: `UPDATE pending_withdrawals SET status='pending', retry_count=0 WHERE status='failed'`,
  },
  {
    doc: 'database',
    title: 'failed in history',
    sql: `SELECT prefix, withdrawn_at, notes FROM withdrawal_history WHERE status='failed'`,
  },
  {
    doc: 'database',
    title: 'events by type today',
    sql: `SELECT event_type, COUNT(*) FROM attack_events
   WHERE date(created_at) = date('now')
   GROUP BY event_type`,
    check: (r) => assert.ok(rows(r).some((x) => x.event_type === 'WITHDRAW')),
  },
  {
    doc: 'database',
    title: 'withdrawals today',
    sql: `SELECT COUNT(*), withdraw_method FROM withdrawal_history
   WHERE date(withdrawn_at) = date('now')
   GROUP BY withdraw_method`,
    check: (r) => assert.ok(rows(r).some((x) => x.withdraw_method === 'autowithdraw_daemon')),
  },
  {
    doc: 'database',
    title: 'recent network analytics events',
    sql: `SELECT event_datetime, attack_vector, source_ip, destination_port, packets
   FROM network_analytics_events
   ORDER BY id DESC LIMIT 10`,
    check: (r) => assert.equal(rows(r).length, 2),
  },
  {
    doc: 'database',
    title: 'events by attack vector',
    sql: `SELECT attack_vector, COUNT(*), SUM(packets) as total_packets
   FROM network_analytics_events
   GROUP BY attack_vector
   ORDER BY total_packets DESC`,
    check: (r) => assert.equal(rows(r)[0]!.total_packets, 1500),
  },
  {
    doc: 'database',
    title: 'network analytics events today',
    sql: `SELECT COUNT(*) FROM network_analytics_events
   WHERE date(notified_at) = date('now')`,
    check: (r) => assert.equal(Object.values(rows(r)[0]!)[0], 2),
  },
  {
    doc: 'database',
    title: 'top source IPs',
    sql: `SELECT source_ip, COUNT(*), SUM(packets) as total_packets
   FROM network_analytics_events
   GROUP BY source_ip
   ORDER BY total_packets DESC
   LIMIT 10`,
  },
  {
    doc: 'database',
    title: 'check withdraw_after time',
    sql: `SELECT prefix, withdraw_after, datetime('now') as now FROM pending_withdrawals`,
  },
  {
    doc: 'db_manager',
    title: 'recent attack events',
    sql: `SELECT event_type, prefix, created_at FROM attack_events ORDER BY id DESC LIMIT 10;`,
  },
  {
    doc: 'db_manager',
    title: 'withdrawal history (minutes)',
    sql: `SELECT prefix, withdrawn_at, protection_duration_seconds/60 as minutes, withdraw_method FROM withdrawal_history ORDER BY id DESC LIMIT 10;`,
    check: (r) => assert.ok(rows(r).some((x) => x.minutes === 60)),
  },
  {
    doc: 'db_manager',
    title: 'webhook stats',
    sql: `SELECT alert_type, COUNT(*) as count FROM webhook_events GROUP BY alert_type;`,
    check: (r) => assert.ok((rows(r)[0]!.count as number) >= 2),
  },
  {
    doc: 'db_manager',
    title: 'events today',
    sql: `SELECT * FROM attack_events WHERE date(created_at) = date('now');`,
  },
  { doc: 'db_manager', title: 'integrity check', sql: `PRAGMA integrity_check;` },
  {
    doc: 'autowithdraw',
    title: 'daemon withdraw event insert',
    sql: `INSERT INTO attack_events
(event_type, alert_type, prefix, action_taken, raw_payload, created_at)
VALUES ('WITHDRAW', 'autowithdraw_daemon', ?, 'withdrawn_auto', ?, ?);`,
    params: ['185.54.83.0/24', '{}', '2026-01-19 14:30:00'],
  },
  {
    doc: 'autowithdraw',
    title: 'daemon withdrawal history insert',
    sql: `INSERT INTO withdrawal_history
(prefix, withdrawn_at, protection_duration_seconds, withdraw_method, status, notes)
VALUES (?, ?, ?, 'autowithdraw_daemon', 'success', ?);`,
    params: ['185.54.83.0/24', '2026-01-19 14:30:00', 1800, 'legacy writer'],
  },
  {
    doc: 'autowithdraw',
    title: 'daemon calm status INSERT OR REPLACE',
    sql: `INSERT OR REPLACE INTO prefix_calm_status
(prefix, under_attack, calm_since, calm_minutes, dropped_packets, dropped_bits, last_updated)
VALUES (?, ?, ?, ?, ?, ?, ?);`,
    params: ['185.54.83.0/24', 0, '2026-01-19 14:15:00', 15.2, 0, 0, '2026-01-19 14:30:00'],
  },
  {
    doc: 'autowithdraw',
    title: 'calm status for dashboard',
    sql: `
  SELECT prefix, under_attack, calm_minutes,
         printf('%.2f', dropped_bits/1000000.0) as dropped_mbps,
         last_updated
  FROM prefix_calm_status;
`,
    check: (r) => {
      const ours = rows(r).find((x) => x.prefix === PREFIX);
      assert.ok(ours, 'our calm status row is visible');
      assert.equal(ours.dropped_mbps, '12.50');
      assert.equal(ours.under_attack, 1);
    },
  },
  {
    doc: 'autowithdraw',
    title: 'recent withdrawals by autowithdraw',
    sql: `
  SELECT prefix, created_at, action_taken
  FROM attack_events
  WHERE event_type='WITHDRAW' AND alert_type='autowithdraw_daemon'
  ORDER BY id DESC LIMIT 10;
`,
    check: (r) => assert.ok(rows(r).some((x) => x.prefix === PREFIX && x.action_taken === 'withdrawn_auto')),
  },
  {
    doc: 'autowithdraw',
    title: 'withdrawal history by autowithdraw',
    sql: `
  SELECT prefix, withdrawn_at, protection_duration_seconds/60 as minutes, notes
  FROM withdrawal_history
  WHERE withdraw_method='autowithdraw_daemon'
  ORDER BY id DESC LIMIT 10;
`,
    check: (r) => assert.ok(rows(r).some((x) => x.prefix === PREFIX && x.minutes === 60)),
  },
  // Destructive maintenance queries last.
  {
    doc: 'database',
    title: 'manually remove a pending withdrawal',
    sql: `DELETE FROM pending_withdrawals WHERE prefix='185.54.82.0/24'`,
    check: (r) => assert.ok((r as Database.RunResult).changes >= 1),
  },
  {
    doc: 'db_manager',
    title: 'clear old webhook events',
    sql: `DELETE FROM webhook_events WHERE received_at < datetime('now', '-30 days');`,
    check: (r) => assert.equal((r as Database.RunResult).changes, 0),
  },
  {
    doc: 'db_manager',
    title: 'clear old attack events',
    sql: `DELETE FROM attack_events WHERE created_at < datetime('now', '-90 days');`,
    check: (r) => assert.ok((r as Database.RunResult).changes >= 1, 'the 2026-01-19 rows are older than 90 days'),
  },
  { doc: 'db_manager', title: 'vacuum', sql: `VACUUM;` },
];

function withdrawalInput(overrides: Partial<WithdrawalRecordInput> = {}): WithdrawalRecordInput {
  const withdrawnAtMs = Date.now();
  return {
    idempotencyKey: 'wf-1/withdraw/1',
    prefix: PREFIX,
    description: 'DMZ',
    eventId: '20260119143000-withdraw',
    method: 'autowithdraw_daemon',
    actionTaken: 'withdrawn_auto',
    status: 'success',
    withdrawnAtMs,
    advertisedAtMs: withdrawnAtMs - 3_600_000,
    attackEndedAtMs: withdrawnAtMs - 900_000,
    calmMs: 900_000,
    peak: null,
    notes: 'calm for 15.0 minutes',
    details: {},
    ...overrides,
  };
}

/** Data the doc queries can see: our writes (dated now) plus webhook / analytics rows of the other tools. */
function seedForDocQueries(handle: DatabaseHandle): void {
  const records = createRecords(handle);
  records.recordWithdrawal(withdrawalInput());
  records.recordAdvertise({
    idempotencyKey: 'adv-1',
    prefix: PREFIX,
    description: 'DMZ',
    eventId: 'adv-evt',
    actionTaken: 'advertised_manual',
    status: 'success',
    advertisedAtMs: Date.now() - 3_600_000,
    notes: '',
    details: {},
  });
  records.upsertCalmStatus({
    prefix: PREFIX,
    advertised: true,
    underAttack: true,
    calmSinceMs: null,
    calmMinutes: 0,
    droppedPackets: 90_000,
    droppedBits: 12_500_000,
    lastAttackPackets: 90_000,
    lastAttackMbps: 12.5,
    mitigationSystems: ['dosd'],
    atMs: Date.now(),
  });
  const webhook = handle.sqlite.prepare(
    `INSERT INTO webhook_events (received_at, alert_type, event_state, alert_id, target_ip, action_taken, payload)
     VALUES (?, 'advanced_ddos_attack_l4_alert', ?, 'attack-id-here', '185.54.81.10', 'received', '{}')`,
  );
  webhook.run(toSqliteTimestamp(Date.now() - 1_800_000), 'ALERT_STATE_EVENT_START');
  webhook.run(toSqliteTimestamp(Date.now()), 'ALERT_STATE_EVENT_END');
  const nae = handle.sqlite.prepare(
    `INSERT INTO network_analytics_events (event_hash, attack_id, event_datetime, attack_vector, source_ip, destination_port, packets, bits, notified_at, raw_data)
     VALUES (?, 'atk', '2026-01-19 00:15:00', 'SYN Flood', '203.0.113.7', 443, ?, 8000, ?, '{}')`,
  );
  nae.run('hash-a', 1000, toSqliteTimestamp(Date.now()));
  nae.run('hash-b', 500, toSqliteTimestamp(Date.now()));
}

function runDocQueries(handle: DatabaseHandle): void {
  for (const q of DOC_QUERIES) {
    let result: unknown[] | Database.RunResult;
    try {
      const stmt = handle.sqlite.prepare(q.sql);
      result = stmt.reader ? stmt.all(...(q.params ?? [])) : stmt.run(...(q.params ?? []));
    } catch (err) {
      assert.fail(`[${q.doc}] ${q.title} failed: ${(err as Error).message}`);
    }
    if (q.title === 'integrity check') assert.deepEqual(result, [{ integrity_check: 'ok' }]);
    q.check?.(result);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// CREATE TABLE statements of the Python system, written from the documented columns (several generations).
// ---------------------------------------------------------------------------------------------------------------
const PYTHON_TABLES = {
  attackEvents: `CREATE TABLE attack_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, event_type TEXT NOT NULL, alert_type TEXT, attack_id TEXT,
    policy_id TEXT, policy_name TEXT, prefix TEXT, target_ip TEXT, target_port INTEGER, protocol TEXT,
    attack_vector TEXT, packets_per_second TEXT, megabits_per_second TEXT, severity TEXT, action_taken TEXT,
    raw_payload TEXT, created_at DATETIME DEFAULT CURRENT_TIMESTAMP)`,
  /** An older withdrawal_history: no attack_type, attack_duration_seconds, notes. */
  withdrawalHistoryOld: `CREATE TABLE withdrawal_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT, prefix TEXT NOT NULL, attack_id TEXT, policy_id TEXT, policy_name TEXT,
    target_ip TEXT, advertised_at DATETIME, attack_ended_at DATETIME, withdrawn_at DATETIME,
    protection_duration_seconds INTEGER, withdraw_method TEXT, status TEXT,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP)`,
  /** pending_withdrawals as db_manager v1.2.0 documents it. */
  pendingWithdrawals: `CREATE TABLE pending_withdrawals (
    id INTEGER PRIMARY KEY AUTOINCREMENT, prefix TEXT NOT NULL, attack_id TEXT, policy_id TEXT, policy_name TEXT,
    target_ip TEXT, attack_type TEXT, advertised_at DATETIME, withdraw_after DATETIME NOT NULL,
    attack_ended_at DATETIME, created_at DATETIME DEFAULT CURRENT_TIMESTAMP, status TEXT DEFAULT 'pending',
    retry_count INTEGER DEFAULT 0, max_retries INTEGER DEFAULT 5, next_retry_at DATETIME, last_error TEXT)`,
  /** pending_withdrawals as the database doc lists it: UNIQUE(prefix, attack_id), no retry scheduling columns. */
  pendingWithdrawalsOld: `CREATE TABLE pending_withdrawals (
    id INTEGER PRIMARY KEY AUTOINCREMENT, prefix TEXT NOT NULL, attack_id TEXT, policy_id TEXT, policy_name TEXT,
    target_ip TEXT, attack_type TEXT, advertised_at DATETIME, withdraw_after DATETIME NOT NULL,
    attack_ended_at DATETIME, created_at DATETIME DEFAULT CURRENT_TIMESTAMP, status TEXT DEFAULT 'pending',
    retry_count INTEGER DEFAULT 0, last_error TEXT, UNIQUE(prefix, attack_id))`,
  webhookEvents: `CREATE TABLE webhook_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, received_at DATETIME DEFAULT CURRENT_TIMESTAMP, alert_type TEXT,
    event_state TEXT, alert_id TEXT, policy_id TEXT, policy_name TEXT, target_ip TEXT, target_prefix TEXT,
    source_ip TEXT, processed INTEGER DEFAULT 1, action_taken TEXT, payload JSON, UNIQUE(alert_id, event_state))`,
  /** prefix_calm_status as the daemon's INSERT OR REPLACE uses it (prefix is the key; no id). */
  calmStatusDaemon: `CREATE TABLE prefix_calm_status (
    prefix TEXT PRIMARY KEY, under_attack INTEGER, calm_since TEXT, calm_minutes REAL, dropped_packets INTEGER,
    dropped_bits INTEGER, last_updated TEXT)`,
  /** prefix_calm_status as the database doc lists it. */
  calmStatusDashboard: `CREATE TABLE prefix_calm_status (
    id INTEGER PRIMARY KEY AUTOINCREMENT, prefix TEXT UNIQUE NOT NULL, advertised BOOLEAN, under_attack BOOLEAN,
    calm_since DATETIME, last_attack_packets INTEGER, last_attack_mbps REAL, mitigation_systems TEXT,
    updated_at DATETIME)`,
  legacyIndexes: [
    'CREATE INDEX idx_pending_status ON pending_withdrawals(status)',
    'CREATE INDEX idx_history_prefix ON withdrawal_history(prefix)',
    'CREATE INDEX idx_events_attack_id ON attack_events(attack_id)',
    'CREATE INDEX idx_webhook_alert_type ON webhook_events(alert_type)',
  ],
};

describe('db schema (integration)', function () {
  let dir: string;
  const handles: DatabaseHandle[] = [];

  const open = (path: string): DatabaseHandle => {
    const h = openDatabase(path);
    handles.push(h);
    return h;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mt-db-schema-'));
  });
  afterEach(() => {
    for (const h of handles.splice(0)) h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('openDatabase', () => {
    it('creates the parent directory and sets WAL, synchronous=NORMAL, foreign_keys, busy_timeout', () => {
      const path = join(dir, 'nested', 'deeper', 'magic_transit.db');
      const h = open(path);
      assert.ok(existsSync(path));
      assert.equal(h.sqlite.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(h.sqlite.pragma('synchronous', { simple: true }), 1);
      assert.equal(h.sqlite.pragma('foreign_keys', { simple: true }), 1);
      assert.equal(h.sqlite.pragma('busy_timeout', { simple: true }), 5000);
      // WAL is persistent: a plain sqlite3 connection (the operators' tools) sees it too.
      h.close();
      const raw = new Database(path);
      try {
        assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
      } finally {
        raw.close();
      }
    });

    it('supports :memory: and an idempotent close()', () => {
      const h = openDatabase(':memory:');
      migrateDatabase(h);
      assert.equal(count(h.sqlite, 'attack_events'), 0);
      h.close();
      h.close();
      assert.equal(h.sqlite.open, false);
    });

    it('opens read-only: reads work, writes are refused', () => {
      const path = join(dir, 'ro.db');
      const w = open(path);
      migrateDatabase(w);
      w.close();
      const ro = openDatabase(path, { readonly: true });
      handles.push(ro);
      assert.equal(count(ro.sqlite, 'withdrawal_history'), 0);
      assert.throws(() => ro.sqlite.exec(`INSERT INTO withdrawal_history (prefix) VALUES ('x')`), /readonly/i);
      assert.throws(() => migrateDatabase(ro), /writable/);
      assert.throws(() => openDatabase(join(dir, 'missing.db'), { readonly: true }));
    });
  });

  describe('fresh migration', () => {
    let h: DatabaseHandle;
    beforeEach(() => {
      h = open(join(dir, 'fresh.db'));
      const report = migrateDatabase(h);
      assert.deepEqual(report.applied, ['0000_baseline']);
      assert.equal(report.adopted, false);
    });

    it('creates every documented table with every documented column and declared type', () => {
      for (const [table, spec] of Object.entries(DOCUMENTED_COLUMNS)) {
        const actual = columns(h.sqlite, table).map((c) => ({ name: c.name, type: c.type.toUpperCase() }));
        assert.deepEqual(actual, parseColumns(spec), `columns of ${table}`);
      }
    });

    it('has the documented defaults, autoincrement ids and primary keys', () => {
      for (const [key, dflt] of Object.entries(DOCUMENTED_DEFAULTS)) {
        const [table = '', column] = key.split('.');
        const col = columns(h.sqlite, table).find((c) => c.name === column);
        assert.equal(col?.dflt_value, dflt, `default of ${key}`);
      }
      for (const table of Object.keys(DOCUMENTED_COLUMNS)) {
        const sqlText = h.sqlite
          .prepare<[string], { sql: string }>(`SELECT sql FROM sqlite_master WHERE name = ?`)
          .get(table)!.sql;
        if (table === 'operation_keys' || table === 'notification_log') {
          assert.equal(columns(h.sqlite, table).find((c) => c.pk === 1)?.name, 'key');
        } else {
          assert.match(sqlText, /`id` integer PRIMARY KEY AUTOINCREMENT/, table);
        }
      }
      h.sqlite.exec(`INSERT INTO attack_events (event_type) VALUES ('START')`);
      h.sqlite.exec(`INSERT INTO pending_withdrawals (prefix, withdraw_after) VALUES ('p', '2026-01-19 00:00:00')`);
      h.sqlite.exec(`INSERT INTO webhook_events (alert_id) VALUES ('a')`);
      const ev = h.sqlite.prepare<[], { created_at: string }>(`SELECT created_at FROM attack_events`).get()!;
      assert.match(ev.created_at, TIMESTAMP_RE);
      assert.deepEqual(h.sqlite.prepare(`SELECT status, retry_count, max_retries FROM pending_withdrawals`).get(), {
        status: 'pending',
        retry_count: 0,
        max_retries: 5,
      });
      assert.deepEqual(h.sqlite.prepare(`SELECT processed FROM webhook_events`).get(), { processed: 1 });
    });

    it('creates every documented index by its documented name', () => {
      assertDocumentedIndexes(h.sqlite);
    });

    it('enforces the documented unique constraints', () => {
      const pending = h.sqlite.prepare(
        `INSERT INTO pending_withdrawals (prefix, attack_id, withdraw_after) VALUES (?, ?, 'x')`,
      );
      pending.run('185.54.82.0/24', null);
      assert.throws(() => pending.run('185.54.82.0/24', null), /UNIQUE/, 'NULL attack_ids collide (COALESCE)');
      pending.run('185.54.82.0/24', 'atk-1');
      assert.throws(() => pending.run('185.54.82.0/24', 'atk-1'), /UNIQUE/);
      pending.run('185.54.83.0/24', 'atk-1');

      const webhook = h.sqlite.prepare(`INSERT INTO webhook_events (alert_id, event_state) VALUES (?, ?)`);
      webhook.run('a1', 'ALERT_STATE_EVENT_START');
      webhook.run('a1', 'ALERT_STATE_EVENT_END');
      assert.throws(() => webhook.run('a1', 'ALERT_STATE_EVENT_START'), /UNIQUE/);

      const nae = h.sqlite.prepare(`INSERT INTO network_analytics_events (event_hash) VALUES (?)`);
      nae.run('h1');
      assert.throws(() => nae.run('h1'), /UNIQUE/);

      const calm = h.sqlite.prepare(`INSERT INTO prefix_calm_status (prefix) VALUES (?)`);
      calm.run('185.54.81.0/24');
      assert.throws(() => calm.run('185.54.81.0/24'), /UNIQUE/);

      assert.throws(
        () => h.sqlite.exec(`INSERT INTO notification_log (key, kind, state) VALUES ('k', 'x', 'lost')`),
        /CHECK/,
      );
    });

    it('runs every sqlite3 query of the three operator docs unchanged', () => {
      seedForDocQueries(h);
      runDocQueries(h);
      // `.tables` / `.schema attack_events` equivalents.
      const tables = h.sqlite
        .prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'`)
        .all()
        .map((r) => r.name);
      for (const t of Object.keys(DOCUMENTED_COLUMNS)) assert.ok(tables.includes(t), t);
    });

    it('migrating twice is a no-op', () => {
      const before = schemaDump(h.sqlite);
      const again = migrateDatabase(h);
      assert.deepEqual(again.applied, []);
      assert.deepEqual(again.createdTables, []);
      assert.deepEqual(again.createdIndexes, []);
      assert.deepEqual(again.addedColumns, []);
      assert.equal(schemaDump(h.sqlite), before);
      assert.equal(count(h.sqlite, '__drizzle_migrations'), 1);
      // A second connection (another process starting) finds nothing to do either.
      const other = open(join(dir, 'fresh.db'));
      assert.deepEqual(migrateDatabase(other).applied, []);
    });
  });

  it('resolves the migrations folder independently of the working directory', () => {
    assert.ok(isAbsolute(MIGRATIONS_FOLDER));
    assert.ok(existsSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json')));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const h = open('relative/cwd.db');
      assert.deepEqual(migrateDatabase(h).applied, ['0000_baseline']);
    } finally {
      process.chdir(cwd);
    }
    assert.ok(existsSync(join(dir, 'relative', 'cwd.db')));
  });

  describe('adopting a database created by the Python system', () => {
    it('keeps every row, adds the missing columns and indexes, creates missing tables, then behaves like a fresh one', () => {
      const path = join(dir, 'magic_transit.db');
      const py = new Database(path);
      py.exec(
        [
          PYTHON_TABLES.attackEvents,
          PYTHON_TABLES.withdrawalHistoryOld,
          PYTHON_TABLES.pendingWithdrawals,
          PYTHON_TABLES.webhookEvents,
          PYTHON_TABLES.calmStatusDaemon,
          `CREATE UNIQUE INDEX idx_pending_unique ON pending_withdrawals(prefix, COALESCE(attack_id, ''))`,
          ...PYTHON_TABLES.legacyIndexes,
        ].join(';\n'),
      );
      py.exec(`
        INSERT INTO attack_events (event_type, alert_type, attack_id, prefix, action_taken, raw_payload, created_at)
          VALUES ('START', 'advanced_ddos_attack_l4_alert', 'cf-1', '185.54.81.0/24', 'mitigating', '{"a":1}', '2026-01-19 14:00:00');
        INSERT INTO attack_events (event_type, alert_type, prefix, action_taken, created_at)
          VALUES ('WITHDRAW', 'autowithdraw_daemon', '185.54.81.0/24', 'withdrawn_auto', '2026-01-19 14:30:00');
        INSERT INTO withdrawal_history (prefix, withdrawn_at, protection_duration_seconds, withdraw_method, status)
          VALUES ('185.54.81.0/24', '2026-01-19 14:30:00', 1800, 'autowithdraw_daemon', 'success');
        INSERT INTO pending_withdrawals (prefix, withdraw_after, status) VALUES ('185.54.80.0/24', '2026-01-19 01:00:00', 'failed');
        INSERT INTO webhook_events (alert_type, event_state, alert_id, payload)
          VALUES ('advanced_ddos_attack_l4_alert', 'ALERT_STATE_EVENT_START', 'cf-1', '{"x":1}');
        INSERT INTO prefix_calm_status VALUES ('185.54.81.0/24', 0, '2026-01-19 14:15:00', 15.2, 10, 20, '2026-01-19 14:30:00');
        INSERT INTO prefix_calm_status VALUES ('185.54.80.0/24', 1, NULL, 0, 9000, 99000000, '2026-01-19 14:30:00');
      `);
      const snapshot = (sql: string): unknown[] => py.prepare(sql).all();
      const before = {
        events: snapshot(`SELECT * FROM attack_events ORDER BY id`),
        history: snapshot(`SELECT * FROM withdrawal_history ORDER BY id`),
        pending: snapshot(`SELECT * FROM pending_withdrawals ORDER BY id`),
        webhooks: snapshot(`SELECT * FROM webhook_events ORDER BY id`),
        calm: snapshot(`SELECT * FROM prefix_calm_status ORDER BY prefix`),
      };
      py.close();

      const h = open(path);
      const report = migrateDatabase(h);
      assert.equal(report.adopted, true);
      assert.deepEqual(report.applied, ['0000_baseline']);
      assert.deepEqual(report.createdTables, ['network_analytics_events', 'notification_log', 'operation_keys']);
      const added = report.addedColumns.map((c) => `${c.table}.${c.column}`).sort();
      assert.deepEqual(added, [
        'prefix_calm_status.advertised',
        'prefix_calm_status.id',
        'prefix_calm_status.last_attack_mbps',
        'prefix_calm_status.last_attack_packets',
        'prefix_calm_status.mitigation_systems',
        'prefix_calm_status.updated_at',
        'withdrawal_history.attack_duration_seconds',
        'withdrawal_history.attack_type',
        'withdrawal_history.notes',
      ]);
      assert.ok(report.warnings.some((w) => w.includes('prefix_calm_status.id')));
      assert.ok(report.createdIndexes.includes('idx_history_prefix') === false, 'existing index kept');
      assert.ok(report.createdIndexes.includes('idx_webhook_received_at'));

      // Every pre-existing row is intact (compared on its original columns).
      const pick = (rowsAfter: Record<string, unknown>[], original: unknown[]): unknown[] =>
        rowsAfter.map((row, i) => Object.fromEntries(Object.keys(original[i] as object).map((k) => [k, row[k]])));
      const after = (sql: string): Record<string, unknown>[] =>
        h.sqlite.prepare(sql).all() as Record<string, unknown>[];
      assert.deepEqual(pick(after(`SELECT * FROM attack_events ORDER BY id`), before.events), before.events);
      assert.deepEqual(pick(after(`SELECT * FROM withdrawal_history ORDER BY id`), before.history), before.history);
      assert.deepEqual(pick(after(`SELECT * FROM pending_withdrawals ORDER BY id`), before.pending), before.pending);
      assert.deepEqual(pick(after(`SELECT * FROM webhook_events ORDER BY id`), before.webhooks), before.webhooks);
      assert.deepEqual(pick(after(`SELECT * FROM prefix_calm_status ORDER BY prefix`), before.calm), before.calm);

      // Now the union of columns exists everywhere and every documented index is present.
      for (const [table, spec] of Object.entries(DOCUMENTED_COLUMNS)) {
        const names = columnNames(h.sqlite, table);
        for (const { name } of parseColumns(spec)) assert.ok(names.includes(name), `${table}.${name}`);
      }
      assertDocumentedIndexes(h.sqlite);

      // Our writes land next to the legacy rows; the calm-status upsert updates the legacy row of the prefix.
      const records = createRecords(h);
      assert.deepEqual(records.recordWithdrawal(withdrawalInput()), { inserted: true });
      records.upsertCalmStatus({
        prefix: '185.54.81.0/24',
        advertised: true,
        underAttack: true,
        calmSinceMs: null,
        calmMinutes: 0,
        droppedPackets: 90_000,
        droppedBits: 12_500_000,
        lastAttackPackets: 90_000,
        lastAttackMbps: 12.5,
        mitigationSystems: ['dosd'],
        atMs: Date.now(),
      });
      assert.equal(count(h.sqlite, 'prefix_calm_status'), 2);
      assert.equal(count(h.sqlite, 'prefix_calm_status', `prefix = '185.54.81.0/24' AND under_attack = 1`), 1);
      assert.equal(count(h.sqlite, 'withdrawal_history'), 2);

      // The doc queries work on the adopted database, and a second migration does nothing.
      seedForDocQueries(h);
      runDocQueries(h);
      const second = migrateDatabase(h);
      assert.deepEqual([second.adopted, second.applied, second.addedColumns], [false, [], []]);
    });

    it('adopts the dashboard variant of prefix_calm_status and keeps duplicate legacy pending rows', () => {
      const path = join(dir, 'legacy2.db');
      const py = new Database(path);
      py.exec([PYTHON_TABLES.pendingWithdrawalsOld, PYTHON_TABLES.calmStatusDashboard].join(';\n'));
      // UNIQUE(prefix, attack_id) lets NULL attack_ids repeat; the COALESCE index cannot be unique over these rows.
      py.exec(`
        INSERT INTO pending_withdrawals (prefix, withdraw_after) VALUES ('185.54.82.0/24', '2026-01-19 01:00:00');
        INSERT INTO pending_withdrawals (prefix, withdraw_after) VALUES ('185.54.82.0/24', '2026-01-19 02:00:00');
        INSERT INTO prefix_calm_status (prefix, advertised, under_attack, calm_since, last_attack_packets, last_attack_mbps, mitigation_systems, updated_at)
          VALUES ('185.54.81.0/24', 1, 0, '2026-01-19 14:15:00', 5000, 12.5, 'dosd,flowtrackd', '2026-01-19 14:30:00');
      `);
      py.close();

      const h = open(path);
      const report = migrateDatabase(h);
      assert.equal(report.adopted, true);
      assert.deepEqual(
        report.addedColumns.map((c) => `${c.table}.${c.column}`),
        [
          'pending_withdrawals.max_retries',
          'pending_withdrawals.next_retry_at',
          'prefix_calm_status.calm_minutes',
          'prefix_calm_status.dropped_packets',
          'prefix_calm_status.dropped_bits',
          'prefix_calm_status.last_updated',
        ],
      );
      const maxRetries = report.addedColumns.find((c) => c.column === 'max_retries')!;
      assert.match(maxRetries.definition, /DEFAULT 5/);
      assert.equal(count(h.sqlite, 'pending_withdrawals'), 2, 'no row lost');
      assert.equal(count(h.sqlite, 'pending_withdrawals', 'max_retries = 5'), 2, 'constant default backfilled');
      assert.ok(report.warnings.some((w) => w.includes('idx_pending_unique')));
      assert.ok(indexNames(h.sqlite).has('idx_pending_unique'));

      const records = createRecords(h);
      records.upsertCalmStatus({
        prefix: '185.54.81.0/24',
        advertised: false,
        underAttack: false,
        calmSinceMs: Date.parse('2026-01-19T14:15:00Z'),
        calmMinutes: 20,
        droppedPackets: 0,
        droppedBits: 0,
        lastAttackPackets: 5000,
        lastAttackMbps: 12.5,
        mitigationSystems: [],
        atMs: Date.parse('2026-01-19T14:35:00Z'),
      });
      assert.deepEqual(
        h.sqlite.prepare(`SELECT id, advertised, calm_minutes, updated_at, last_updated FROM prefix_calm_status`).all(),
        [
          {
            id: 1,
            advertised: 0,
            calm_minutes: 20,
            updated_at: '2026-01-19 14:35:00',
            last_updated: '2026-01-19 14:35:00',
          },
        ],
      );
    });

    it('rolls back entirely when a statement fails (nothing half-migrated)', () => {
      const path = join(dir, 'broken.db');
      const py = new Database(path);
      // A view squatting on an index name of the baseline makes its CREATE INDEX fail midway.
      py.exec(`${PYTHON_TABLES.withdrawalHistoryOld}; CREATE VIEW idx_webhook_target_ip AS SELECT 1 AS x`);
      py.close();
      const h = open(path);
      assert.throws(() => migrateDatabase(h), /idx_webhook_target_ip/);
      assert.deepEqual(columnNames(h.sqlite, 'withdrawal_history').includes('notes'), false, 'ALTER rolled back');
      assert.equal(
        count(h.sqlite, 'sqlite_master', `name IN ('attack_events', '__drizzle_migrations')`),
        0,
        'no table created',
      );
    });
  });

  describe('db:migrate CLI', () => {
    it('migrates DATABASE_PATH and reports what it did', () => {
      const path = join(dir, 'cli', 'magic_transit.db');
      const first = runMigrateCli({ DATABASE_PATH: path });
      assert.equal(first.path, path);
      const text = formatMigrationReport(first.path, first.report);
      assert.match(text, /applied migrations: 0000_baseline/);
      assert.match(text, /created tables: .*withdrawal_history/);
      const second = runMigrateCli({ DATABASE_PATH: path });
      assert.match(formatMigrationReport(second.path, second.report), /schema is up to date/);
    });

    it('runs as a script with the default path db/magic_transit.db relative to the working directory', function () {
      this.timeout(30_000);
      const out = execFileSync(
        process.execPath,
        ['--require', require.resolve('tsx/cjs'), join(REPO_ROOT, 'src', 'db', 'migrate-cli.ts')],
        { cwd: dir, env: { ...process.env, DATABASE_PATH: '' }, encoding: 'utf8' },
      );
      assert.match(out, /applied migrations: 0000_baseline/);
      assert.ok(existsSync(join(dir, 'db', 'magic_transit.db')));
    });
  });
});
