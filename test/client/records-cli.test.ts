// The records toolkit through mtctl (in process, real SQLite file): webhook import (dry run, broken files, dedupe),
// recent/stats, history, events, stats, correlate START → END → WITHDRAW, db backup / check, and bad arguments.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { runMtctl } from '../../src/client/mtctl';
import { applyRetention, createRecords, openDatabase, type WithdrawalRecordInput } from '../../src/db';

const FIXTURES = join(__dirname, '..', 'fixtures', 'webhooks');
const REFERENCE = join(FIXTURES, 'reference-wrapped');
const ATTACK = '4f1a8c2e9b7d4e6fa1c3b5d7e9f0a2b4';
const END_MS = Date.parse('2026-01-19T00:45:00Z');

interface Run {
  code: number;
  out: string;
  err: string;
}

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

async function mtctl(...argv: string[]): Promise<Run> {
  const out = sink();
  const err = sink();
  // runMtctl's io is typed after process.stdout; any writable stream does.
  const io = { out: out.stream, err: err.stream } as unknown as Parameters<typeof runMtctl>[1];
  const code = await runMtctl(argv, io);
  return { code, out: out.text(), err: err.text() };
}

const json = <T>(r: Run): T => JSON.parse(r.out) as T;

describe('mtctl records toolkit', function () {
  this.timeout(30_000);
  let dir: string;
  let dbPath: string;
  let inbox: string;
  const saved: Record<string, string | undefined> = {};

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mtaw-records-cli-'));
    dbPath = join(dir, 'db', 'magic_transit.db');
    const mapping = join(dir, 'prefix_mapping.json');
    writeFileSync(
      mapping,
      JSON.stringify({
        '185.54.81.0/24': { parent_prefix_id: 'p4', bgp_prefix_id: 'b81', description: 'DMZ' },
        '185.54.82.0/24': { parent_prefix_id: 'p4', bgp_prefix_id: 'b82', description: 'Hosting' },
      }),
    );
    // The old receiver's folder: one file per webhook, plus a broken one.
    inbox = join(dir, 'logs', 'webhooks');
    mkdirSync(inbox, { recursive: true });
    for (const f of readdirSync(FIXTURES).filter((n) => n.endsWith('.json')))
      copyFileSync(join(FIXTURES, f), join(inbox, f));
    writeFileSync(join(inbox, 'webhook_20260119_010203.json'), '{"alert_type": "dos_attack_l4", "data": {');
    const env: Record<string, string> = {
      CLOUDFLARE_ACCOUNT_ID: '9035f53656c247e895c5a6939ae8a0e0',
      CLOUDFLARE_API_TOKEN: 'cf-records-cli-token',
      PREFIX_MAPPING_FILE: mapping,
      DATABASE_PATH: dbPath,
      LOG_LEVEL: 'warn',
      // The fixtures are dated January 2026: kept forever here, so the import takes them all.
      RETENTION_WEBHOOKS: 'off',
    };
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });

  after(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to read a database that does not exist, with one line and exit code 2', async () => {
    const r = await mtctl('stats');
    assert.equal(r.code, 2);
    assert.match(r.err, /database .*magic_transit\.db does not exist/);
  });

  it('webhooks import --dry-run lists what would happen and writes nothing', async () => {
    const r = await mtctl('webhooks', 'import', inbox, '--dry-run');
    assert.match(r.out, /Dry run: would import 8, duplicates 0, tests 2, expired 0, broken 1 \(of 11 files\)/);
    assert.match(r.out, /invalid +webhook_20260119_010203\.json: skipped: the body is not valid JSON/);
    assert.equal(r.code, 1, 'a broken file is reported in the exit code');
    assert.match(
      r.out,
      /^test +thirdparty-dos_attack_l4\.json: Cloudflare test notification \(target_ip 127\.0\.0\.1 is a loopback address\): stored as test_notification, no attack event$/m,
    );
    assert.equal(existsSync(dbPath), false);
  });

  it('webhooks import stores the rest, names the broken file, and a second import only finds duplicates', async () => {
    const first = await mtctl('webhooks', 'import', inbox, '--json');
    const report = json<{
      stored: number;
      duplicates: number;
      tests: number;
      invalid: number;
      files: Array<{ file: string; outcome: string }>;
    }>(first);
    assert.deepEqual([report.stored, report.duplicates, report.tests, report.invalid], [8, 0, 2, 1]);
    assert.deepEqual(
      report.files.filter((f) => f.outcome.startsWith('test')).map((f) => `${f.outcome} ${f.file}`),
      ['test cloudflare-test-message.json', 'test_alert thirdparty-dos_attack_l4.json'],
    );
    assert.deepEqual(
      report.files.filter((f) => f.outcome === 'invalid').map((f) => f.file),
      ['webhook_20260119_010203.json'],
    );
    const again = json<{ stored: number; duplicates: number }>(await mtctl('webhooks', 'import', inbox, '--json'));
    assert.deepEqual([again.stored, again.duplicates], [0, 9]);
    const one = await mtctl('webhooks', 'import', join(inbox, 'thirdparty-fbm_dosd_attack.json'));
    assert.equal(one.code, 0);
    assert.match(one.out, /^duplicate +thirdparty-fbm_dosd_attack\.json/m);
    const db = openDatabase(dbPath, { readonly: true });
    try {
      const rows = db.sqlite
        .prepare(`SELECT action_taken, received_at FROM webhook_events WHERE alert_id = ? ORDER BY id`)
        .all(ATTACK);
      // Imported in arrival order (START before END) and with the time Cloudflare sent them (ts).
      assert.deepEqual(rows, [
        { action_taken: 'imported', received_at: '2026-01-19 00:15:00' },
        { action_taken: 'imported', received_at: '2026-01-19 00:45:00' },
      ]);
    } finally {
      db.close();
    }
  });

  it('webhooks --recent N and --stats', async () => {
    const recent = json<{ recent: Array<{ alertType: string }> }>(await mtctl('webhooks', '--recent', '3', '--json'));
    assert.equal(recent.recent.length, 3);
    const stats = json<{
      stats: { total: number; completedAttacks: number; byType: Array<{ alertType: string; count: number }> };
    }>(await mtctl('webhooks', '--stats', '--json'));
    assert.equal(stats.stats.total, 9);
    assert.equal(stats.stats.completedAttacks, 1);
    assert.deepEqual(stats.stats.byType[0], { alertType: 'advanced_ddos_attack_l4_alert', count: 4 });
    const table = await mtctl('webhooks', '--recent', '2', '--stats');
    assert.match(table.out, /Received \(UTC\) +Alert type/);
    assert.match(table.out, /Webhooks: 9 total/);
    assert.match(table.out, /completed attacks \(START and END\): 1/);
  });

  it('correlate follows one attack START → END → WITHDRAW of its prefix', async () => {
    const db = openDatabase(dbPath);
    try {
      const withdrawal: WithdrawalRecordInput = {
        idempotencyKey: 'records-cli/withdraw/1',
        prefix: '185.54.81.0/24',
        description: 'DMZ',
        eventId: '20260119010000-withdraw',
        method: 'autowithdraw_daemon',
        actionTaken: 'withdrawn_auto',
        status: 'success',
        withdrawnAtMs: END_MS + 16 * 60_000,
        advertisedAtMs: END_MS - 40 * 60_000,
        attackEndedAtMs: END_MS,
        calmMs: 15 * 60_000,
        peak: null,
        notes: 'calm for 15 minutes',
        details: {},
      };
      createRecords(db).recordWithdrawal(withdrawal);
      // A withdraw of the same prefix before the attack ended belongs to something else.
      createRecords(db).recordWithdrawal({
        ...withdrawal,
        idempotencyKey: 'earlier',
        withdrawnAtMs: END_MS - 60 * 60_000,
      });
    } finally {
      db.close();
    }
    const r = await mtctl('correlate', ATTACK, '--json');
    assert.equal(r.code, 0, r.err);
    const c = json<{
      status: string;
      prefix: string;
      steps: Array<{ step: string; source: string }>;
      attackDurationMs: number;
      withdrawDelayMs: number;
    }>(r);
    assert.equal(c.status, 'withdrawn');
    assert.equal(c.prefix, '185.54.81.0/24');
    assert.deepEqual(
      c.steps.map((s) => `${s.step}/${s.source}`),
      ['START/webhook', 'START/attack_event', 'END/webhook', 'END/attack_event', 'WITHDRAW/attack_event'],
    );
    assert.equal(c.attackDurationMs, 30 * 60_000);
    assert.equal(c.withdrawDelayMs, 16 * 60_000);
    const table = await mtctl('correlate', ATTACK);
    assert.match(table.out, /Attack 4f1a8c2e9b7d4e6fa1c3b5d7e9f0a2b4: WITHDRAWN/);
    assert.match(table.out, /Attack lasted 30m 00s; withdrawn 16m 00s after it ended/);
    const unknown = await mtctl('correlate', 'no-such-attack');
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /no webhook or attack event has alert id no-such-attack/);
  });

  it('correlate works for alerts without an attack id (alert_id sha256:…): the attack events stored with them', async () => {
    const listed = json<{ recent: Array<{ alertId: string }> }>(
      await mtctl('webhooks', '--type', 'fbm_dosd_attack', '--json'),
    );
    const alertId = listed.recent[0]?.alertId ?? '';
    assert.match(alertId, /^sha256:[0-9a-f]{32}$/);
    const db = openDatabase(dbPath, { readonly: true });
    try {
      // Cloudflare gave no attack id: the attack_events row keeps attack_id NULL.
      const row = db.sqlite
        .prepare(`SELECT attack_id, event_type FROM attack_events WHERE alert_type = 'fbm_dosd_attack'`)
        .get() as { attack_id: string | null; event_type: string };
      assert.deepEqual(row, { attack_id: null, event_type: 'START' });
    } finally {
      db.close();
    }
    const r = await mtctl('correlate', alertId, '--json');
    assert.equal(r.code, 0, r.err);
    const c = json<{
      status: string;
      prefix: string;
      attackVector: string;
      steps: Array<{ step: string; source: string }>;
    }>(r);
    assert.deepEqual(
      c.steps.map((s) => `${s.step}/${s.source}`),
      ['START/webhook', 'START/attack_event'],
    );
    assert.deepEqual([c.status, c.prefix, c.attackVector], ['ongoing', '185.54.82.0/24', 'UDP Amplification']);
  });

  it('history, events and stats show the records (tables for people, --json for machines)', async () => {
    const history = await mtctl('history');
    assert.match(history.out, /Withdrawn at \(UTC\) +Prefix/);
    assert.match(history.out, /2026-01-19 01:01:00 +185\.54\.81\.0\/24 +autowithdraw_daemon +56m 00s +success/);
    const events = json<Array<{ eventType: string }>>(await mtctl('events', '--type', 'start', '--json', '-n', '50'));
    // Not the test notification (dos_attack_l4 to 127.0.0.1).
    assert.equal(events.length, 5);
    assert.ok(events.every((e) => e.eventType === 'START'));
    const stats = json<Record<string, unknown>>(await mtctl('stats', '--json'));
    assert.deepEqual(
      [
        stats.totalWithdrawals,
        stats.successfulWithdrawals,
        stats.totalEvents,
        stats.totalWebhooks,
        stats.completedAttacks,
      ],
      [2, 2, 9, 9, 1],
    );
    assert.match((await mtctl('stats')).out, /Webhooks +9/);
  });

  it('db backup writes a checked copy and refuses to overwrite; db check reports integrity and migrations', async () => {
    const target = join(dir, 'backup', 'magic_transit-copy.db');
    mkdirSync(join(dir, 'backup'));
    const r = await mtctl('db', 'backup', target);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /integrity: ok/);
    const copy = openDatabase(target, { readonly: true });
    try {
      assert.equal((copy.sqlite.prepare('SELECT COUNT(*) AS n FROM webhook_events').get() as { n: number }).n, 9);
    } finally {
      copy.close();
    }
    const again = await mtctl('db', 'backup', target);
    assert.equal(again.code, 2);
    assert.match(again.err, /already exists/);
    assert.equal((await mtctl('db', 'backup', target, '--force')).code, 0);
    const check = await mtctl('db', 'check');
    assert.equal(check.code, 0);
    assert.match(check.out, /Integrity: ok/);
    assert.match(check.out, /Migrations: 1 applied \(0000_baseline\); none pending/);
  });

  it('bad arguments get one clear line, a non-zero exit, and change nothing', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['webhooks', '--recent', '0'], 2, /--recent must be a whole number from 1 to 10000, got "0"/],
      [['history', '--limit', 'ten'], 2, /--limit must be a whole number/],
      [['webhooks', 'import', join(dir, 'nowhere')], 2, /nowhere does not exist/],
      [['webhooks', 'import', join(dir, 'backup'), '--dry-run'], 2, /holds no \.json file/],
      [['correlate'], 2, /missing required argument/],
    ];
    for (const [argv, code, message] of cases) {
      const r = await mtctl(...argv);
      assert.equal(r.code, code, argv.join(' '));
      assert.match(r.err, message, argv.join(' '));
    }
    const stats = json<Record<string, unknown>>(await mtctl('stats', '--json'));
    assert.equal(stats.totalWebhooks, 9);
  });
});

describe('mtctl webhooks import and retention', function () {
  this.timeout(30_000);
  let dir: string;
  let inbox: string;
  let restore: () => void;
  const DAY = 86_400_000;
  const now = Date.now();

  /** An L4 alert as Cloudflare sends it, received `daysAgo` days ago (its ts). */
  const l4 = (attackId: string, state: 'START' | 'END', daysAgo: number) => ({
    alert_type: 'advanced_ddos_attack_l4_alert',
    alert_event: `ALERT_STATE_EVENT_${state}`,
    alert_correlation_id: `corr-${attackId}`,
    data: { attack_id: attackId, attack_vector: 'SYN Flood', target_ip: '185.54.81.10', target_port: 443 },
    policy_name: 'MT L4 alerts',
    ts: Math.floor((now - daysAgo * DAY) / 1000),
  });

  const setEnv = (env: Record<string, string | undefined>) => {
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    return () => setEnv(saved);
  };
  const counts = (path: string) => {
    const db = openDatabase(path, { readonly: true });
    try {
      const n = (t: string) => (db.sqlite.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
      return { webhooks: n('webhook_events'), events: n('attack_events') };
    } finally {
      db.close();
    }
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mtaw-import-retention-'));
    const mapping = join(dir, 'prefix_mapping.json');
    writeFileSync(
      mapping,
      JSON.stringify({ '185.54.81.0/24': { parent_prefix_id: 'p4', bgp_prefix_id: 'b81', description: 'DMZ' } }),
    );
    inbox = join(dir, 'logs', 'webhooks');
    mkdirSync(inbox, { recursive: true });
    const files: Array<[string, unknown]> = [
      ['webhook_a_start.json', l4('aged-1', 'START', 45)],
      ['webhook_a_end.json', l4('aged-1', 'END', 44)],
      ['webhook_b_start.json', l4('recent-1', 'START', 5)],
    ];
    for (const [name, doc] of files) writeFileSync(join(inbox, name), JSON.stringify(doc));
    restore = setEnv({
      CLOUDFLARE_ACCOUNT_ID: '9035f53656c247e895c5a6939ae8a0e0',
      CLOUDFLARE_API_TOKEN: 'cf-records-cli-token',
      PREFIX_MAPPING_FILE: mapping,
      LOG_LEVEL: 'warn',
    });
  });
  after(() => {
    restore();
    rmSync(dir, { recursive: true, force: true });
  });

  it('re-importing the folder after retention pruned its old webhooks stores nothing again', async () => {
    const dbPath = join(dir, 'reimport.db');
    // The first import keeps everything (e.g. a longer retention at the time).
    let undo = setEnv({ DATABASE_PATH: dbPath, RETENTION_WEBHOOKS: 'off' });
    try {
      const first = json<{ stored: number }>(await mtctl('webhooks', 'import', inbox, '--json'));
      assert.equal(first.stored, 3);
    } finally {
      undo();
    }
    assert.deepEqual(counts(dbPath), { webhooks: 3, events: 3 });

    // Retention as the schedule runs it, with the defaults (webhooks 30 days, attack events 90 days).
    const db = openDatabase(dbPath);
    try {
      const result = await applyRetention(db, {
        nowMs: Date.now(),
        policy: { webhooksMs: 30 * DAY, attackEventsMs: 90 * DAY, networkEventsMs: null },
      });
      assert.equal(result.deleted.webhookEvents, 2);
      assert.equal(result.deleted.attackEvents, 0);
    } finally {
      db.close();
    }
    assert.deepEqual(counts(dbPath), { webhooks: 1, events: 3 });

    undo = setEnv({ DATABASE_PATH: dbPath, RETENTION_WEBHOOKS: undefined });
    try {
      const dry = json<{ stored: number; expired: number; duplicates: number }>(
        await mtctl('webhooks', 'import', inbox, '--dry-run', '--json'),
      );
      assert.deepEqual([dry.stored, dry.expired, dry.duplicates], [0, 2, 1]);
      const again = await mtctl('webhooks', 'import', inbox);
      assert.equal(again.code, 0, again.err);
      assert.match(again.out, /^expired +webhook_a_start\.json: skipped: received .* before the webhook retention/m);
      assert.match(again.out, /Imported 0, duplicates 1, tests 0, expired 2, broken 0 \(of 3 files\)/);
      assert.match(again.out, /outside the webhook retention \(RETENTION_WEBHOOKS\)/);
    } finally {
      undo();
    }
    // Neither the pruned webhooks nor their attack events came back.
    assert.deepEqual(counts(dbPath), { webhooks: 1, events: 3 });
  });

  it('imports the shared reference examples (official payloads and the wrapped third-party ones) end to end', async () => {
    // A fresh copy, as in the operators' folder: files without ts get their arrival time from the file's mtime.
    const refs = join(dir, 'reference');
    mkdirSync(refs);
    for (const f of readdirSync(REFERENCE).sort()) copyFileSync(join(REFERENCE, f), join(refs, f));
    const mapping = join(dir, 'mapping-81-82.json');
    writeFileSync(
      mapping,
      JSON.stringify({
        '185.54.81.0/24': { parent_prefix_id: 'p4', bgp_prefix_id: 'b81', description: 'DMZ' },
        '185.54.82.0/24': { parent_prefix_id: 'p4', bgp_prefix_id: 'b82', description: 'Hosting' },
      }),
    );
    const dbPath = join(dir, 'reference.db');
    type Report = {
      stored: number;
      tests: number;
      expired: number;
      invalid: number;
      files: Array<{ file: string; outcome: string; receivedAtSource?: string }>;
    };
    // With the default retention, the examples dated 2006 and 2025 (their ts) are expired; the undated are not.
    let undo = setEnv({ DATABASE_PATH: dbPath, PREFIX_MAPPING_FILE: mapping, RETENTION_WEBHOOKS: undefined });
    try {
      const dry = json<Report>(await mtctl('webhooks', 'import', refs, '--dry-run', '--json'));
      assert.deepEqual(dry.files.map((f) => `${f.file} ${f.outcome}`).sort(), [
        'official-advanced_ddos_attack_l4_alert.json expired',
        'official-envelope.json expired',
        'thirdparty-advanced_ddos_attack_l4_alert.json expired',
        'thirdparty-dos_attack_l4.json test_alert',
        'thirdparty-fbm_auto_advertisement.json stored',
        'thirdparty-fbm_dosd_attack.json stored',
        'thirdparty-fbm_volumetric_attack.json stored',
      ]);
    } finally {
      undo();
    }
    undo = setEnv({ DATABASE_PATH: dbPath, PREFIX_MAPPING_FILE: mapping, RETENTION_WEBHOOKS: 'off' });
    try {
      const r = await mtctl('webhooks', 'import', refs, '--json');
      assert.equal(r.code, 0, r.err);
      const report = json<Report>(r);
      // SOURCES.md is not a .json file; every example is read, none is broken.
      assert.deepEqual([report.files.length, report.stored, report.tests, report.invalid], [7, 6, 1, 0]);
      const again = json<Report & { duplicates: number }>(await mtctl('webhooks', 'import', refs, '--json'));
      assert.deepEqual([again.stored, again.duplicates], [0, 7]);
    } finally {
      undo();
    }
    const db = openDatabase(dbPath, { readonly: true });
    try {
      const webhooks = db.sqlite
        .prepare(
          `SELECT alert_type, event_state, alert_id, target_prefix, action_taken, received_at, payload
           FROM webhook_events ORDER BY alert_type, event_state`,
        )
        .all() as Array<Record<string, string | null>>;
      for (const w of webhooks) {
        // Stored unwrapped: the payload Cloudflare (would have) sent, not the reference's _source note.
        const payload = JSON.parse(String(w.payload)) as Record<string, unknown>;
        assert.equal(payload._source, undefined);
        assert.equal(payload.payload, undefined);
      }
      assert.deepEqual(
        webhooks.map((w) => [w.alert_type, w.event_state, w.target_prefix, w.action_taken]),
        [
          ['advanced_ddos_attack_l4_alert', 'ALERT_STATE_EVENT_START', null, 'imported'],
          ['advanced_ddos_attack_l4_alert', 'ALERT_STATE_EVENT_START', '185.54.82.0/24', 'imported'],
          ['dos_attack_l4', null, null, 'test_notification'],
          ['fbm_auto_advertisement', null, '185.54.82.0/24', 'imported'],
          ['fbm_dosd_attack', null, '185.54.82.0/24', 'imported'],
          ['fbm_volumetric_attack', null, null, 'imported'],
          ['string', 'string', null, 'imported'],
        ],
      );
      // The wrapped third-party L4 alert keeps its ts as the arrival time.
      assert.equal(
        webhooks.find((w) => w.alert_id === 'aBcD1234efgh567i890j1kl234567m80' && w.event_state)?.received_at,
        '2025-01-18 22:56:40',
      );
      assert.deepEqual(
        db.sqlite
          .prepare('SELECT event_type, alert_type, prefix, action_taken, attack_vector FROM attack_events ORDER BY id')
          .all()
          .map((e) => Object.values(e as object).join(' ')),
        [
          'START advanced_ddos_attack_l4_alert  mitigating string',
          'START advanced_ddos_attack_l4_alert 185.54.82.0/24 mitigating UDP Flood',
          'ADVERTISE fbm_auto_advertisement 185.54.82.0/24 auto_advertised Volumetric',
          'START fbm_dosd_attack 185.54.82.0/24 notified UDP Amplification',
          'START fbm_volumetric_attack  notified ',
        ],
      );
    } finally {
      db.close();
    }
  });

  it('file-name times are read as server local time by default, as UTC with --file-times utc', async () => {
    const names = join(dir, 'named');
    mkdirSync(names);
    // No ts and no envelope: only the old receiver's file name says when it arrived.
    writeFileSync(
      join(names, 'webhook_20260119_001500.json'),
      JSON.stringify({ alert_type: 'fbm_volumetric_attack', data: { rule_name: 'High Traffic Threshold' } }),
    );
    const undo = setEnv({ DATABASE_PATH: join(dir, 'named.db'), RETENTION_WEBHOOKS: 'off', TZ: 'Europe/Zurich' });
    try {
      type Report = { fileNameTimes: string; files: Array<{ receivedAt: string; receivedAtSource: string }> };
      const local = json<Report>(await mtctl('webhooks', 'import', names, '--dry-run', '--json'));
      assert.equal(local.fileNameTimes, 'local');
      // 00:15 in Zurich in January (UTC+1).
      assert.deepEqual(local.files[0], {
        ...local.files[0],
        receivedAt: '2026-01-18T23:15:00.000Z',
        receivedAtSource: 'file_name',
      });
      const utc = json<Report>(await mtctl('webhooks', 'import', names, '--dry-run', '--json', '--file-times', 'utc'));
      assert.equal(utc.files[0]?.receivedAt, '2026-01-19T00:15:00.000Z');
      const text = await mtctl('webhooks', 'import', names, '--dry-run');
      assert.match(text.out, /read from file names as server local time \(--file-times\)/);
      const bad = await mtctl('webhooks', 'import', names, '--file-times', 'cet');
      assert.equal(bad.code, 2);
      assert.match(bad.err, /--file-times must be local or utc, got "cet"/);
    } finally {
      undo();
    }
  });

  it('import --stats prints the statistics after importing; listing options after import are refused', async () => {
    const undo = setEnv({ DATABASE_PATH: join(dir, 'stats.db'), RETENTION_WEBHOOKS: undefined });
    try {
      const r = await mtctl('webhooks', 'import', inbox, '--stats');
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /Imported 1, duplicates 0, tests 0, expired 2/);
      assert.match(r.out, /Webhooks: 1 total, 0 today, 1 in the last 7 days; completed attacks \(START and END\): 0/);
      const withJson = json<{ stored: number; stats: { total: number } }>(
        await mtctl('webhooks', 'import', inbox, '--stats', '--json'),
      );
      assert.deepEqual([withJson.stored, withJson.stats.total], [0, 1]);
      for (const [flag, value] of [
        ['--recent', '5'],
        ['--type', 'fbm_dosd_attack'],
        ['--days', '3'],
      ]) {
        const refused = await mtctl('webhooks', 'import', inbox, flag!, value!);
        assert.equal(refused.code, 2, flag);
        assert.match(refused.err, new RegExp(`webhooks import does not take ${flag}`));
      }
      assert.equal(counts(join(dir, 'stats.db')).webhooks, 1);
    } finally {
      undo();
    }
  });

  it('reads of an existing database without tables say so in one line (dry-run import included)', async () => {
    const bare = join(dir, 'bare.db');
    openDatabase(bare).close();
    const undo = setEnv({ DATABASE_PATH: bare, RETENTION_WEBHOOKS: undefined });
    try {
      for (const argv of [
        ['webhooks', 'import', inbox, '--dry-run'],
        ['webhooks', '--recent', '3'],
        ['correlate', 'recent-1'],
        ['stats'],
      ]) {
        const r = await mtctl(...argv);
        assert.equal(r.code, 1, argv.join(' '));
        assert.match(r.err, /the database has no \w+ table yet \(start the worker once, or run npm run db:migrate\)/);
        assert.doesNotMatch(r.err, /SqliteError|at /);
      }
    } finally {
      undo();
    }
  });
});
