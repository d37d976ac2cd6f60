// Records repository and read queries against real SQLite files: idempotent withdrawal/advertise records (also
// across connections and threads), calm-status upserts, notification_log state machine, dashboard queries.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  createQueries,
  createRecords,
  migrateDatabase,
  openDatabase,
  parseSqliteTimestamp,
  toSqliteTimestamp,
  type AdvertiseRecordInput,
  type CalmStatusInput,
  type DatabaseHandle,
  type Records,
  type WithdrawalRecordInput,
} from '../../src/db';

const PREFIX = '185.54.81.0/24';
const T0 = Date.parse('2026-01-19T14:00:00Z');
const MIN = 60_000;

function withdrawal(overrides: Partial<WithdrawalRecordInput> = {}): WithdrawalRecordInput {
  return {
    idempotencyKey: 'wf-185.54.81.0_24/withdraw/1',
    prefix: PREFIX,
    description: 'DMZ',
    eventId: '20260119143000-withdraw',
    method: 'autowithdraw_daemon',
    actionTaken: 'withdrawn_auto',
    status: 'success',
    advertisedAtMs: T0,
    attackEndedAtMs: T0 + 15 * MIN,
    withdrawnAtMs: T0 + 30 * MIN + 250,
    calmMs: 15 * MIN,
    peak: {
      packets: 1_234_567,
      bits: 98_765_432_100,
      mbps: 329.218107,
      systems: ['dosd', 'flowtrackd'],
      atMs: T0 + 5 * MIN,
      firstAttackAtMs: T0 + MIN,
    },
    notes: 'calm for 15.0 minutes',
    details: { workflowId: 'prefix-185.54.81.0_24', cycle: 42 },
    ...overrides,
  };
}

function advertise(overrides: Partial<AdvertiseRecordInput> = {}): AdvertiseRecordInput {
  return {
    idempotencyKey: 'adv/1',
    prefix: PREFIX,
    description: 'DMZ',
    eventId: '20260119140000-advertise',
    actionTaken: 'advertised_manual',
    status: 'success',
    advertisedAtMs: T0,
    notes: 'operator request',
    details: { operator: 'noc' },
    ...overrides,
  };
}

function calm(overrides: Partial<CalmStatusInput> = {}): CalmStatusInput {
  return {
    prefix: PREFIX,
    advertised: true,
    underAttack: false,
    calmSinceMs: T0 + 15 * MIN,
    calmMinutes: 5.25,
    droppedPackets: 120,
    droppedBits: 4_000_000,
    lastAttackPackets: 1_234_567,
    lastAttackMbps: 329.22,
    mitigationSystems: ['dosd', 'flowtrackd'],
    atMs: T0 + 20 * MIN + 15_000,
    ...overrides,
  };
}

function count(h: DatabaseHandle, table: string, where = '1'): number {
  return h.sqlite.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM "${table}" WHERE ${where}`).get()!.n;
}

function all(h: DatabaseHandle, sql: string): Record<string, unknown>[] {
  return h.sqlite.prepare(sql).all() as Record<string, unknown>[];
}

describe('db records (integration)', function () {
  let dir: string;
  let path: string;
  let h: DatabaseHandle;
  let records: Records;
  let clock: number;
  const extra: DatabaseHandle[] = [];

  const openMigrated = (): DatabaseHandle => {
    const handle = openDatabase(path);
    extra.push(handle);
    migrateDatabase(handle);
    return handle;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mt-db-records-'));
    path = join(dir, 'magic_transit.db');
    h = openDatabase(path);
    migrateDatabase(h);
    clock = T0 + 31 * MIN;
    records = createRecords(h, { now: () => clock });
  });
  afterEach(() => {
    for (const x of extra.splice(0)) x.close();
    h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('timestamps', () => {
    it('writes SQLite CURRENT_TIMESTAMP form and parses the forms found in the database', () => {
      assert.equal(toSqliteTimestamp(Date.parse('2026-01-19T14:30:00.999Z')), '2026-01-19 14:30:00');
      assert.equal(parseSqliteTimestamp('2026-01-19 14:30:00'), Date.parse('2026-01-19T14:30:00Z'));
      assert.equal(parseSqliteTimestamp('2026-01-19 14:30:00.123456'), Date.parse('2026-01-19T14:30:00.123Z'));
      assert.equal(parseSqliteTimestamp('2026-01-19T16:30:00+02:00'), Date.parse('2026-01-19T14:30:00Z'));
      assert.equal(parseSqliteTimestamp('2026-01-19T14:30:00Z'), Date.parse('2026-01-19T14:30:00Z'));
      assert.equal(parseSqliteTimestamp('yesterday'), null);
      assert.equal(parseSqliteTimestamp(null), null);
      assert.throws(() => toSqliteTimestamp(Number.NaN), RangeError);
      // SQLite agrees with the format: date() of our text is the UTC day.
      const row = h.sqlite
        .prepare(`SELECT date(?) AS d, datetime(?) AS t`)
        .get('2026-01-19 23:59:59', '2026-01-19 23:59:59');
      assert.deepEqual(row, { d: '2026-01-19', t: '2026-01-19 23:59:59' });
    });
  });

  describe('recordWithdrawal', () => {
    it('writes one attack_events row and one withdrawal_history row in the operators vocabulary', () => {
      assert.deepEqual(records.recordWithdrawal(withdrawal()), { inserted: true });

      const [ev, ...moreEvents] = all(h, `SELECT * FROM attack_events`);
      assert.equal(moreEvents.length, 0);
      assert.equal(ev!.event_type, 'WITHDRAW');
      assert.equal(ev!.alert_type, 'autowithdraw_daemon');
      assert.equal(ev!.action_taken, 'withdrawn_auto');
      assert.equal(ev!.prefix, PREFIX);
      assert.equal(ev!.created_at, '2026-01-19 14:30:00');
      assert.equal(ev!.megabits_per_second, '329.22');
      assert.equal(ev!.packets_per_second, null, 'pps unknown unless given');
      const payload = JSON.parse(String(ev!.raw_payload)) as Record<string, unknown>;
      assert.equal(payload.eventId, '20260119143000-withdraw');
      assert.equal(payload.description, 'DMZ');
      assert.equal(payload.calmMs, 15 * MIN);
      assert.equal(payload.notes, 'calm for 15.0 minutes');
      assert.deepEqual((payload.peak as { systems: string[] }).systems, ['dosd', 'flowtrackd']);
      assert.equal(payload.workflowId, 'prefix-185.54.81.0_24');
      assert.equal(payload.cycle, 42);

      const [wh, ...moreHistory] = all(h, `SELECT * FROM withdrawal_history`);
      assert.equal(moreHistory.length, 0);
      assert.deepEqual(
        {
          prefix: wh!.prefix,
          advertised_at: wh!.advertised_at,
          attack_ended_at: wh!.attack_ended_at,
          withdrawn_at: wh!.withdrawn_at,
          attack_duration_seconds: wh!.attack_duration_seconds,
          protection_duration_seconds: wh!.protection_duration_seconds,
          withdraw_method: wh!.withdraw_method,
          status: wh!.status,
          notes: wh!.notes,
          created_at: wh!.created_at,
        },
        {
          prefix: PREFIX,
          advertised_at: '2026-01-19 14:00:00',
          attack_ended_at: '2026-01-19 14:15:00',
          withdrawn_at: '2026-01-19 14:30:00',
          attack_duration_seconds: 900,
          protection_duration_seconds: 1800,
          withdraw_method: 'autowithdraw_daemon',
          status: 'success',
          notes: 'calm for 15.0 minutes',
          created_at: '2026-01-19 14:31:00',
        },
      );
      const key = all(h, `SELECT * FROM operation_keys`);
      assert.equal(key.length, 1);
      assert.equal(key[0]!.kind, 'withdrawal');
      assert.deepEqual(JSON.parse(String(key[0]!.result)), { attackEventId: ev!.id, withdrawalHistoryId: wh!.id });
    });

    it('the same key twice writes exactly one row per table, even with different content', () => {
      assert.deepEqual(records.recordWithdrawal(withdrawal()), { inserted: true });
      const snapshot = [all(h, `SELECT * FROM attack_events`), all(h, `SELECT * FROM withdrawal_history`)];
      assert.deepEqual(records.recordWithdrawal(withdrawal()), { inserted: false });
      assert.deepEqual(records.recordWithdrawal(withdrawal({ notes: 'retried', status: 'failed' })), {
        inserted: false,
      });
      assert.equal(count(h, 'attack_events'), 1);
      assert.equal(count(h, 'withdrawal_history'), 1);
      assert.deepEqual([all(h, `SELECT * FROM attack_events`), all(h, `SELECT * FROM withdrawal_history`)], snapshot);
    });

    it('two different keys write two rows', () => {
      records.recordWithdrawal(withdrawal({ idempotencyKey: 'a' }));
      records.recordWithdrawal(withdrawal({ idempotencyKey: 'b', withdrawnAtMs: T0 + 90 * MIN }));
      assert.equal(count(h, 'attack_events', `event_type = 'WITHDRAW'`), 2);
      assert.equal(count(h, 'withdrawal_history'), 2);
      assert.equal(count(h, 'operation_keys'), 2);
    });

    it('maps manual / external methods and leaves unknown durations and rates NULL', () => {
      records.recordWithdrawal(
        withdrawal({ idempotencyKey: 'm', method: 'manual', actionTaken: 'withdrawn_manual', peakPps: 41152.2345 }),
      );
      records.recordWithdrawal(
        withdrawal({
          idempotencyKey: 'x',
          method: 'external',
          actionTaken: 'withdrawn_external',
          advertisedAtMs: null,
          attackEndedAtMs: null,
          peak: null,
        }),
      );
      assert.deepEqual(
        all(
          h,
          `SELECT e.alert_type, e.action_taken, e.packets_per_second AS pps, e.megabits_per_second AS mbps,
                  w.withdraw_method, w.status, w.attack_duration_seconds AS attack, w.protection_duration_seconds AS prot,
                  w.advertised_at
           FROM attack_events e JOIN withdrawal_history w ON w.id = e.id ORDER BY e.id`,
        ),
        [
          {
            alert_type: 'manual',
            action_taken: 'withdrawn_manual',
            pps: '41152.23',
            mbps: '329.22',
            withdraw_method: 'manual',
            status: 'success',
            attack: 900,
            prot: 1800,
            advertised_at: '2026-01-19 14:00:00',
          },
          {
            alert_type: 'cloudflare',
            action_taken: 'withdrawn_external',
            pps: null,
            mbps: null,
            withdraw_method: 'external',
            status: 'success',
            attack: null,
            prot: null,
            advertised_at: null,
          },
        ],
      );
    });

    it('a failed round or a shadow decision is kept in withdrawal_history only, never as a WITHDRAW event', () => {
      records.recordWithdrawal(withdrawal({ idempotencyKey: 'f', actionTaken: 'withdraw_failed', status: 'failed' }));
      records.recordWithdrawal(
        withdrawal({ idempotencyKey: 's', actionTaken: 'shadow_withdraw', status: 'shadow', attackEndedAtMs: null }),
      );
      assert.equal(count(h, 'attack_events'), 0);
      assert.deepEqual(all(h, `SELECT withdraw_method, status FROM withdrawal_history ORDER BY id`), [
        { withdraw_method: 'autowithdraw_daemon', status: 'failed' },
        { withdraw_method: 'autowithdraw_daemon', status: 'shadow' },
      ]);
      const keys = all(h, `SELECT result FROM operation_keys ORDER BY key`).map(
        (k) => JSON.parse(String(k.result)) as { attackEventId: unknown },
      );
      assert.ok(keys.every((k) => k.attackEventId === null));
    });

    it('details cannot overwrite the fixed raw_payload fields', () => {
      records.recordWithdrawal(withdrawal({ details: { eventId: 'spoofed', extra: true } }));
      const payload = JSON.parse(String(all(h, `SELECT raw_payload FROM attack_events`)[0]!.raw_payload)) as Record<
        string,
        unknown
      >;
      assert.equal(payload.eventId, '20260119143000-withdraw');
      assert.equal(payload.extra, true);
    });

    it('is one transaction: a failing withdrawal_history insert leaves no event and no key behind', () => {
      h.sqlite.exec(
        `CREATE TRIGGER fail_history BEFORE INSERT ON withdrawal_history BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`,
      );
      assert.throws(() => records.recordWithdrawal(withdrawal()), /disk on fire/);
      assert.equal(count(h, 'attack_events'), 0);
      assert.equal(count(h, 'operation_keys'), 0);
      h.sqlite.exec(`DROP TRIGGER fail_history`);
      assert.deepEqual(records.recordWithdrawal(withdrawal()), { inserted: true }, 'the retry writes the rows');
      assert.equal(count(h, 'withdrawal_history'), 1);
    });

    it('two connections to the same file with the same key produce one row', () => {
      const other = openMigrated();
      const otherRecords = createRecords(other);
      assert.deepEqual(records.recordWithdrawal(withdrawal()), { inserted: true });
      assert.deepEqual(otherRecords.recordWithdrawal(withdrawal()), { inserted: false });
      assert.equal(count(other, 'attack_events'), 1);
      assert.equal(count(h, 'withdrawal_history'), 1);
    });

    it('concurrent writers in parallel threads insert each key exactly once', async function () {
      this.timeout(60_000);
      const WORKERS = 4;
      const KEYS = Array.from({ length: 200 }, (_, i) => `concurrent/${i}`);
      const barrier = new SharedArrayBuffer(12);
      const flags = new Int32Array(barrier);
      const source = `
        const { workerData, parentPort } = require('node:worker_threads');
        require(workerData.tsx);
        const { openDatabase, createRecords } = require(workerData.dbModule);
        const handle = openDatabase(workerData.path);
        const records = createRecords(handle);
        const flags = new Int32Array(workerData.barrier);
        Atomics.add(flags, 1, 1);
        Atomics.wait(flags, 0, 0);
        const keys = workerData.reverse ? [...workerData.keys].reverse() : workerData.keys;
        let inserted = 0;
        for (const key of keys) {
          if (records.recordWithdrawal({ ...workerData.input, idempotencyKey: key }).inserted) inserted++;
          Atomics.wait(flags, 2, 0, 1); // sleep 1 ms so the threads interleave instead of one holding the lock
        }
        handle.close();
        parentPort.postMessage(inserted);
      `;
      const workers = Array.from(
        { length: WORKERS },
        (_, i) =>
          new Worker(source, {
            eval: true,
            workerData: {
              tsx: require.resolve('tsx/cjs'),
              dbModule: require.resolve('../../src/db'),
              path,
              barrier,
              keys: KEYS,
              reverse: i % 2 === 1,
              input: withdrawal(),
            },
          }),
      );
      const results = workers.map(
        (w) =>
          new Promise<number>((resolve, reject) => {
            w.once('message', (n: number) => resolve(n));
            w.once('error', reject);
          }),
      );
      const deadline = Date.now() + 30_000;
      while (Atomics.load(flags, 1) < WORKERS) {
        assert.ok(Date.now() < deadline, 'workers did not start');
        await new Promise((r) => setTimeout(r, 10));
      }
      Atomics.store(flags, 0, 1);
      Atomics.notify(flags, 0);
      const inserted = await Promise.all(results);
      await Promise.all(workers.map((w) => w.terminate()));

      assert.equal(
        inserted.reduce((a, b) => a + b, 0),
        KEYS.length,
        `inserted per worker: ${inserted.join(', ')}`,
      );
      assert.equal(count(h, 'attack_events'), KEYS.length);
      assert.equal(count(h, 'withdrawal_history'), KEYS.length);
      assert.equal(count(h, 'operation_keys'), KEYS.length);
    });
  });

  describe('recordAdvertise', () => {
    it('writes one ADVERTISE event per key', () => {
      assert.deepEqual(records.recordAdvertise(advertise()), { inserted: true });
      assert.deepEqual(records.recordAdvertise(advertise()), { inserted: false });
      assert.deepEqual(records.recordAdvertise(advertise({ idempotencyKey: 'adv/2', advertisedAtMs: T0 + MIN })), {
        inserted: true,
      });
      const rows = all(
        h,
        `SELECT event_type, alert_type, action_taken, prefix, created_at, raw_payload FROM attack_events ORDER BY id`,
      );
      assert.equal(rows.length, 2);
      assert.deepEqual(
        { ...rows[0], raw_payload: JSON.parse(String(rows[0]!.raw_payload)) },
        {
          event_type: 'ADVERTISE',
          alert_type: 'manual',
          action_taken: 'advertised_manual',
          prefix: PREFIX,
          created_at: '2026-01-19 14:00:00',
          raw_payload: {
            eventId: '20260119140000-advertise',
            description: 'DMZ',
            status: 'success',
            notes: 'operator request',
            operator: 'noc',
          },
        },
      );
      assert.equal(count(h, 'withdrawal_history'), 0);
    });

    it('shares the key space with withdrawals (a key is claimed once, whatever its kind)', () => {
      records.recordWithdrawal(withdrawal({ idempotencyKey: 'shared' }));
      assert.deepEqual(records.recordAdvertise(advertise({ idempotencyKey: 'shared' })), { inserted: false });
      assert.equal(count(h, 'attack_events', `event_type = 'ADVERTISE'`), 0);
    });
  });

  describe('upsertCalmStatus', () => {
    it('keeps one row per prefix and writes every union column', () => {
      records.upsertCalmStatus(calm());
      const first = all(h, `SELECT * FROM prefix_calm_status`);
      assert.deepEqual(first, [
        {
          id: 1,
          prefix: PREFIX,
          advertised: 1,
          under_attack: 0,
          calm_since: '2026-01-19 14:15:00',
          calm_minutes: 5.25,
          dropped_packets: 120,
          dropped_bits: 4_000_000,
          last_attack_packets: 1_234_567,
          last_attack_mbps: 329.22,
          mitigation_systems: 'dosd,flowtrackd',
          last_updated: '2026-01-19 14:20:15',
          updated_at: '2026-01-19 14:20:15',
        },
      ]);

      records.upsertCalmStatus(
        calm({
          underAttack: true,
          calmSinceMs: null,
          calmMinutes: 0,
          droppedPackets: 90_000.4,
          mitigationSystems: [],
          atMs: T0 + 21 * MIN,
        }),
      );
      records.upsertCalmStatus(calm({ prefix: '2a02:4460:1::/48', advertised: false }));
      assert.equal(count(h, 'prefix_calm_status'), 2);
      const [updated] = all(h, `SELECT * FROM prefix_calm_status WHERE prefix = '${PREFIX}'`);
      assert.equal(updated!.id, 1, 'updated in place');
      assert.equal(updated!.under_attack, 1);
      assert.equal(updated!.calm_since, null);
      assert.equal(updated!.dropped_packets, 90_000);
      assert.equal(updated!.mitigation_systems, '');
      assert.equal(updated!.updated_at, '2026-01-19 14:21:00');
      assert.deepEqual(all(h, `SELECT typeof(advertised) AS a, typeof(calm_minutes) AS m FROM prefix_calm_status`), [
        { a: 'integer', m: 'real' },
        { a: 'integer', m: 'real' },
      ]);
    });

    it('coexists with the old daemon INSERT OR REPLACE on the same prefix', () => {
      records.upsertCalmStatus(calm());
      h.sqlite
        .prepare(
          `INSERT OR REPLACE INTO prefix_calm_status (prefix, under_attack, calm_since, calm_minutes, dropped_packets, dropped_bits, last_updated) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(PREFIX, 0, '2026-01-19 14:15:00', 6, 0, 0, '2026-01-19 14:21:00');
      records.upsertCalmStatus(calm({ calmMinutes: 7 }));
      assert.deepEqual(all(h, `SELECT prefix, calm_minutes FROM prefix_calm_status`), [
        { prefix: PREFIX, calm_minutes: 7 },
      ]);
    });
  });

  describe('notification_log', () => {
    const begin = (key = 'n/1') =>
      records.beginNotification({ key, kind: 'withdraw', prefix: PREFIX, atMs: T0 + 30 * MIN + 500 });

    it('begin creates a pending row once and returns the existing row afterwards', () => {
      const entry = begin();
      assert.deepEqual(entry, {
        key: 'n/1',
        kind: 'withdraw',
        prefix: PREFIX,
        state: 'pending',
        attempts: 0,
        lastError: null,
        telegramMessageId: null,
        createdAtMs: T0 + 30 * MIN,
        updatedAtMs: T0 + 30 * MIN,
      });
      records.markNotificationAttemptFailed('n/1', 'ETIMEDOUT', T0 + 31 * MIN);
      const again = records.beginNotification({ key: 'n/1', kind: 'other', prefix: null, atMs: T0 + 40 * MIN });
      assert.equal(again.kind, 'withdraw', 'not overwritten');
      assert.equal(again.attempts, 1);
      assert.equal(again.createdAtMs, T0 + 30 * MIN);
      assert.equal(count(h, 'notification_log'), 1);
      assert.equal(records.getNotification('missing'), null);
    });

    it('pending → attempt failed ×2 → sent; later calls cannot regress it', () => {
      begin();
      records.markNotificationAttemptFailed('n/1', 'ETIMEDOUT', T0 + 31 * MIN);
      records.markNotificationAttemptFailed('n/1', '502 Bad Gateway', T0 + 32 * MIN);
      let e = records.getNotification('n/1')!;
      assert.deepEqual([e.state, e.attempts, e.lastError], ['pending', 2, '502 Bad Gateway']);

      records.markNotificationSent('n/1', 4242, T0 + 33 * MIN);
      e = records.getNotification('n/1')!;
      assert.deepEqual([e.state, e.attempts, e.telegramMessageId, e.updatedAtMs], ['sent', 3, 4242, T0 + 33 * MIN]);

      records.markNotificationSent('n/1', 9999, T0 + 34 * MIN);
      records.markNotificationAttemptFailed('n/1', 'late failure', T0 + 35 * MIN);
      records.markNotificationFailed('n/1', 'late final failure', T0 + 36 * MIN);
      records.markNotificationSkipped('n/1', 'late skip', T0 + 37 * MIN);
      e = records.getNotification('n/1')!;
      assert.deepEqual(
        [e.state, e.attempts, e.telegramMessageId, e.lastError, e.updatedAtMs],
        ['sent', 3, 4242, '502 Bad Gateway', T0 + 33 * MIN],
      );
    });

    it('pending → failed is final for failures and skips', () => {
      begin();
      records.markNotificationAttemptFailed('n/1', 'ETIMEDOUT', T0 + 31 * MIN);
      records.markNotificationFailed('n/1', 'gave up after 3 attempts', T0 + 32 * MIN);
      records.markNotificationAttemptFailed('n/1', 'ignored', T0 + 33 * MIN);
      records.markNotificationSkipped('n/1', 'ignored', T0 + 33 * MIN);
      const e = records.getNotification('n/1')!;
      assert.deepEqual([e.state, e.attempts, e.lastError], ['failed', 1, 'gave up after 3 attempts']);
      // A late success (the message did go out) is still recorded.
      records.markNotificationSent('n/1', 7, T0 + 34 * MIN);
      assert.equal(records.getNotification('n/1')!.state, 'sent');
    });

    it('pending → skipped keeps the reason', () => {
      begin('n/2');
      records.markNotificationSkipped('n/2', 'telegram disabled', T0 + 31 * MIN);
      const e = records.getNotification('n/2')!;
      assert.deepEqual([e.state, e.attempts, e.lastError], ['skipped', 0, 'telegram disabled']);
      assert.deepEqual(all(h, `SELECT state, created_at, updated_at FROM notification_log`), [
        { state: 'skipped', created_at: '2026-01-19 14:30:00', updated_at: '2026-01-19 14:31:00' },
      ]);
    });

    it('marking an unknown key is an error', () => {
      assert.throws(() => records.markNotificationSent('nope', 1, T0), /beginNotification/);
      assert.throws(() => records.markNotificationAttemptFailed('nope', 'x', T0), /beginNotification/);
      assert.throws(() => records.markNotificationFailed('nope', 'x', T0), /beginNotification/);
      assert.throws(() => records.markNotificationSkipped('nope', 'x', T0), /beginNotification/);
    });
  });

  describe('queries', () => {
    beforeEach(() => {
      records.recordAdvertise(advertise());
      records.recordWithdrawal(withdrawal({ idempotencyKey: 'w1' }));
      records.recordWithdrawal(
        withdrawal({
          idempotencyKey: 'w2',
          prefix: '185.54.82.0/24',
          method: 'manual',
          actionTaken: 'withdrawn_manual',
          withdrawnAtMs: T0 + 40 * MIN,
        }),
      );
      records.recordWithdrawal(
        withdrawal({
          idempotencyKey: 'w3',
          actionTaken: 'withdraw_failed',
          status: 'failed',
          withdrawnAtMs: T0 + 50 * MIN,
        }),
      );
      records.upsertCalmStatus(calm({ prefix: '185.54.83.0/24' }));
      records.upsertCalmStatus(calm());
      h.sqlite.exec(`
        INSERT INTO webhook_events (received_at, alert_id, event_state) VALUES ('2026-01-19 01:00:00', 'a', 'S');
        INSERT INTO webhook_events (received_at, alert_id, event_state) VALUES ('2026-01-18 23:59:59', 'b', 'S');
        INSERT INTO attack_events (event_type, created_at) VALUES ('START', '2026-01-18 10:00:00');
        INSERT INTO pending_withdrawals (prefix, withdraw_after, status) VALUES ('p1', '2026-01-19 01:00:00', 'pending');
        INSERT INTO pending_withdrawals (prefix, withdraw_after, status) VALUES ('p2', '2026-01-19 01:00:00', 'failed');
      `);
    });

    it('recent attack events, newest first, with filters and limit', () => {
      const q = createQueries(h);
      assert.deepEqual(
        q.recentAttackEvents().map((e) => e.eventType),
        ['START', 'WITHDRAW', 'WITHDRAW', 'ADVERTISE'],
      );
      assert.equal(q.recentAttackEvents({ limit: 2 }).length, 2);
      assert.deepEqual(
        q.recentAttackEvents({ eventType: 'WITHDRAW', prefix: PREFIX }).map((e) => e.actionTaken),
        ['withdrawn_auto'],
      );
    });

    it('withdrawal history with prefix / method filters', () => {
      const q = createQueries(h);
      assert.equal(q.withdrawalHistory().length, 3);
      assert.deepEqual(
        q.withdrawalHistory({ prefix: PREFIX }).map((w) => w.status),
        ['failed', 'success'],
      );
      assert.deepEqual(
        q.withdrawalHistory({ method: 'manual' }).map((w) => w.prefix),
        ['185.54.82.0/24'],
      );
      assert.equal(q.withdrawalHistory({ limit: 1 })[0]!.withdrawnAt, '2026-01-19 14:50:00');
    });

    it('calm status rows by prefix', () => {
      const rows = createQueries(h).calmStatus();
      assert.deepEqual(
        rows.map((r) => [r.prefix, r.advertised, r.underAttack, r.calmMinutes]),
        [
          [PREFIX, true, false, 5.25],
          ['185.54.83.0/24', true, false, 5.25],
        ],
      );
    });

    it('get_stats counters, "today" by the injected clock', () => {
      const q = createQueries(h, { now: () => T0 + 60 * MIN });
      assert.deepEqual(q.stats(), {
        pendingWithdrawals: 1,
        totalWithdrawals: 3,
        successfulWithdrawals: 2,
        totalEvents: 4,
        eventsToday: 3,
        totalWebhooks: 2,
        webhooksToday: 1,
      });
      const nextDay = createQueries(h, { now: () => T0 + 24 * 60 * MIN });
      assert.equal(nextDay.stats().eventsToday, 0);
    });

    it('lastWithdrawal: newest successful withdrawal of a prefix, or any status on request', () => {
      const q = createQueries(h);
      const last = q.lastWithdrawal(PREFIX)!;
      assert.equal(last.status, 'success');
      assert.equal(last.withdrawnAtMs, T0 + 30 * MIN);
      const anyStatus = q.lastWithdrawal(PREFIX, { status: null })!;
      assert.equal(anyStatus.status, 'failed');
      assert.equal(anyStatus.withdrawnAtMs, T0 + 50 * MIN);
      assert.equal(q.lastWithdrawal('10.0.0.0/8'), null);
    });
  });

  it('works on :memory: as well', () => {
    const mem = openDatabase(':memory:');
    try {
      migrateDatabase(mem);
      const r = createRecords(mem);
      assert.deepEqual(r.recordWithdrawal(withdrawal()), { inserted: true });
      assert.deepEqual(r.recordWithdrawal(withdrawal()), { inserted: false });
      assert.equal(createQueries(mem).stats().totalWithdrawals, 1);
    } finally {
      mem.close();
    }
  });
});
