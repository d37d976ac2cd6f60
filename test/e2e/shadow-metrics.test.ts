// `npm start -- --shadow` end to end: embedded Temporal server, worker process, simulators, SQLite and the metrics
// endpoint scraped while an attack comes and goes; nothing is ever PATCHed, everything else happens and is recorded.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import Database from 'better-sqlite3';
import { freePort, isPortFree } from '../../src/runtime/free-port';
import { protectionWorkflowId } from '../../src/workflows/ids';
import { statusQuery } from '../../src/workflows/messages';
import type { ProtectionStatus } from '../../src/workflows/types';
import { CF_TOKEN, startFixture, TG_TOKEN, type Fixture, type TestPrefix } from '../helpers/fixture';
import { eventually } from '../helpers/temporal';
import { childEnv } from '../helpers/worker-process';
import { scrape, valueOf, type Sample } from './metrics-text';

const ROOT = resolve(__dirname, '..', '..');
const CALM_S = 8;
const NAMESPACE = 'mt-shadow';
const X: TestPrefix = {
  cidr: '185.54.81.0/24',
  description: 'DMZ',
  parentPrefixId: 'p4',
  bgpPrefixId: 'x81',
  advertised: true,
};
const Z: TestPrefix = {
  cidr: '2a02:4460:1::/48',
  description: 'DMZv6 (locked in the mapping)',
  parentPrefixId: 'p6',
  bgpPrefixId: 'z6',
  advertised: true,
  configLocked: true,
};
const ATTACK = {
  destination: X.cidr,
  spread: 16,
  packetsPerSecond: 40_000,
  bitsPerSecond: 3e8,
  outcome: 'drop' as const,
  mitigationSystem: 'dosd',
};

interface Proc {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/**
 * Runs an npm script's command in its own process group, as a terminal would (Ctrl-C reaches the whole group).
 * The command is read from package.json and run without npm in between, so its own exit code is seen.
 */
function npmScript(name: string, extraArgs: string[], env: Record<string, string>): Proc {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const [command, ...args] = pkg.scripts[name]!.split(' ');
  assert.equal(command, 'node', `the ${name} script runs node`);
  const chunks: string[] = [];
  const child = spawn(process.execPath, [...args, ...extraArgs], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout?.on('data', (c: Buffer) => chunks.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => chunks.push(c.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, output: () => chunks.join(''), exited };
}

function signalGroup(p: Proc, signal: NodeJS.Signals): void {
  try {
    process.kill(-p.child.pid!, signal);
  } catch {
    // already gone
  }
}

describe('npm start -- --shadow with metrics (embedded Temporal server, worker process, 1 s cycles)', function () {
  this.timeout(150_000);
  let fx: Fixture;
  let proc: Proc;
  let client: Client;
  let connection: Connection | undefined;
  let temporalPort: number;
  let metricsPort: number;
  let metricsUrl: string;
  let attackFlow: number;
  let attackStartMs: number;

  before(async () => {
    fx = await startFixture({
      prefixes: [X, Z],
      cloudflare: { sampleIntervalMs: 1000 },
      env: {
        CHECK_INTERVAL: '1s',
        CALM_PERIOD: `${CALM_S}s`,
        ATTACK_LOOKBACK: '5s',
        READVERTISE_COOLDOWN: '4s',
        MIN_ADVERTISED_DURATION: '0s',
        TELEMETRY_MAX_AGE: '2m',
        TEMPORAL_TASK_QUEUE: 'e2e-shadow',
        LOG_LEVEL: 'info',
      },
    });
    temporalPort = await freePort();
    metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    const now = Date.now();
    for (const p of [X, Z]) fx.cf.traffic.addBackground(p.cidr, { startMs: now - 3_600_000, packetsPerSecond: 500 });
    attackStartMs = now - 20_000;
    // Open-ended until the test has seen it: worker start-up time varies.
    attackFlow = fx.cf.traffic.addFlow({ ...ATTACK, startMs: attackStartMs });
    proc = npmScript('start', ['--shadow'], {
      ...fx.env,
      // No Temporal address anywhere (not even a profile file): `npm start` runs its own server.
      TEMPORAL_CONFIG_FILE: join(fx.dir, 'no-temporal.toml'),
      TEMPORAL_DB_FILE: join(fx.dir, 'temporal', 'temporal.db'),
      TEMPORAL_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: 'off',
      // Not "default": the embedded server must create the namespace the worker's envconfig names.
      TEMPORAL_NAMESPACE: NAMESPACE,
      METRICS_PORT: String(metricsPort),
    });
    await eventually(() => (proc.output().includes('worker starting') ? true : undefined), {
      timeoutMs: 90_000,
      what: 'the worker to start',
    }).catch((err: Error) => {
      throw new Error(`${err.message}; its output:\n${proc.output()}`);
    });
    connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
    client = new Client({ connection, namespace: NAMESPACE });
  });

  after(async () => {
    await connection?.close();
    if (proc && proc.child.exitCode === null) {
      signalGroup(proc, 'SIGKILL');
      await proc.exited;
    }
    await fx?.close();
  });

  const status = (p: TestPrefix): Promise<ProtectionStatus> =>
    client.workflow.getHandle(protectionWorkflowId(p.cidr)).query(statusQuery);
  const metric = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
    valueOf(samples, `mt_autowithdraw_${name}`, labels);

  it('started its own Temporal server and says it is in shadow mode', () => {
    const lines = jsonLines(proc.output());
    const started = lines.find((l) => l.msg === 'worker starting');
    assert.equal(started?.shadow, true);
    assert.ok(
      lines.some(
        (l) =>
          l.msg === 'embedded Temporal server ready' &&
          l.address === `127.0.0.1:${temporalPort}` &&
          l.namespace === NAMESPACE,
      ),
    );
    assert.deepEqual(started?.temporal, { address: `127.0.0.1:${temporalPort}`, namespace: NAMESPACE });
    assert.ok(lines.some((l) => l.level === 40 && /^SHADOW MODE/.test(String(l.msg))));
  });

  it('metrics: under attack, no withdraw due, fresh telemetry, SDK metrics on the same port', async () => {
    const samples = await eventually(
      async () => {
        const s = await scrape(metricsUrl);
        // Z's first cycle may come a moment after X's on a loaded machine.
        const zSeen = metric(s, 'locked', { prefix: Z.cidr }) !== undefined;
        return metric(s, 'under_attack', { prefix: X.cidr }) === 1 && zSeen ? s : undefined;
      },
      { timeoutMs: 30_000, what: 'under_attack 1 for X (and a first cycle of Z)' },
    );
    assert.equal(metric(samples, 'seconds_until_withdraw', { prefix: X.cidr }), undefined);
    assert.equal(metric(samples, 'calm_seconds', { prefix: X.cidr }), 0);
    assert.equal(metric(samples, 'calm_period_seconds', { prefix: X.cidr }), CALM_S);
    assert.equal(metric(samples, 'held', { prefix: X.cidr }), 0);
    assert.equal(metric(samples, 'telemetry', { prefix: X.cidr, state: 'ok' }), 1);
    const age = metric(samples, 'telemetry_age_seconds', { prefix: X.cidr });
    assert.ok(age !== undefined && age >= 0 && age < 5, `telemetry age ${age}`);
    assert.ok((metric(samples, 'decisions_total', { prefix: X.cidr, action: 'attack_started', reason: '' }) ?? 0) >= 1);
    assert.equal(metric(samples, 'locked', { prefix: Z.cidr }), 1);
    assert.equal(metric(samples, 'locked', { prefix: X.cidr }), 0);
    assert.equal(metric(samples, 'shadow_mode'), 1);
    assert.equal(metric(samples, 'phase', { prefix: X.cidr, phase: 'protecting' }), 1);
    assert.equal(metric(samples, 'sdk_metrics_up'), 1);
    assert.ok(
      samples.some((s) => s.name.startsWith('temporal_') && s.labels.task_queue === 'e2e-shadow'),
      'the SDK metrics of this worker are served on the same port',
    );
    assert.ok(samples.some((s) => s.name === 'process_cpu_user_seconds_total'));
    const names = new Set<string>();
    for (const line of (await (await fetch(metricsUrl)).text()).split('\n')) {
      const m = /^# TYPE (\S+)/.exec(line);
      if (m) {
        assert.ok(!names.has(m[1]!), `metric ${m[1]} is declared twice`);
        names.add(m[1]!);
      }
    }
  });

  it('metrics: after the attack, calm grows and the withdraw comes closer', async () => {
    fx.cf.traffic.removeFlow(attackFlow);
    fx.cf.traffic.addFlow({ ...ATTACK, startMs: attackStartMs, endMs: Date.now() });
    const first = await eventually(
      async () => {
        const s = await scrape(metricsUrl);
        const calm = metric(s, 'calm_seconds', { prefix: X.cidr }) ?? 0;
        return calm >= 1 && calm <= CALM_S - 3 ? s : undefined;
      },
      { timeoutMs: 30_000, what: 'X calm for a second or more' },
    );
    await new Promise((r) => setTimeout(r, 2_100));
    const second = await scrape(metricsUrl);
    assert.equal(metric(first, 'under_attack', { prefix: X.cidr }), 0);
    const [calm1, calm2] = [first, second].map((s) => metric(s, 'calm_seconds', { prefix: X.cidr })!);
    const [due1, due2] = [first, second].map((s) => metric(s, 'seconds_until_withdraw', { prefix: X.cidr }));
    assert.ok(calm2! > calm1!, `calm seconds grow: ${calm1} → ${calm2}`);
    assert.ok(due1 !== undefined && due1 > 0 && due1 <= CALM_S, `seconds until withdraw ${due1}`);
    assert.ok(due2 !== undefined && due2 < due1, `seconds until withdraw decrease: ${due1} → ${due2}`);
  });

  it('shadow: the withdraw is decided once, recorded, notified and logged — and never PATCHed', async () => {
    const s = await eventually(
      async () => {
        const st = await status(X);
        return st.shadowWithdrawnAtMs !== null ? st : undefined;
      },
      { timeoutMs: 30_000, what: 'the shadow withdraw' },
    );
    assert.equal(s.shadow, true);
    assert.equal(s.phase, 'protecting', 'the prefix stays under protection');
    // Let later cycles show any repeated decision before counting.
    await new Promise((r) => setTimeout(r, 3_000));
    assert.deepEqual(fx.cf.stats.patches(), [], 'no PATCH request of any kind');
    assert.equal(fx.cf.state.get(X.bgpPrefixId)?.advertised, true);
    assert.equal(fx.cf.state.get(Z.bgpPrefixId)?.advertised, true);

    const db = new Database(fx.databasePath, { readonly: true });
    try {
      const rows = db
        .prepare('SELECT prefix, status, withdraw_method, notes FROM withdrawal_history ORDER BY id')
        .all() as { prefix: string; status: string; withdraw_method: string; notes: string }[];
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.prefix, X.cidr);
      assert.equal(rows[0]!.status, 'shadow');
      assert.match(rows[0]!.notes, /SHADOW MODE: would have withdrawn at \d{4}-\d\d-\d\dT/);
      const events = db.prepare("SELECT action_taken FROM attack_events WHERE event_type = 'WITHDRAW'").all();
      // A shadow decision is not a withdraw: dashboards counting WITHDRAW events must not see it.
      assert.deepEqual(events, []);
    } finally {
      db.close();
    }

    const messages = fx.tg.messages.map((m) => m.plainText);
    const withdraws = messages.filter((t) => t.includes(X.cidr) && /would withdraw/i.test(t));
    assert.equal(withdraws.length, 1, messages.join('\n---\n'));
    assert.match(withdraws[0]!, /SHADOW MODE — would withdraw, nothing changed/);
    assert.ok(!messages.some((t) => /AUTO-WITHDRAWN/.test(t)), 'no message claims a withdraw happened');
    assert.match(messages.find((t) => /WORKER STARTED/.test(t)) ?? '', /SHADOW/);

    const lines = jsonLines(proc.output());
    const wf = lines.find(
      (l) => l.sdkComponent === 'workflow' && /SHADOW MODE: .* would have been withdrawn/.test(String(l.msg)),
    );
    assert.ok(wf, 'the workflow log line reached pino as JSON');
    assert.equal(wf.level, 40);
    assert.equal(wf.workflowId, protectionWorkflowId(X.cidr));
    assert.ok(
      lines.some(
        (l) => l.sdkComponent === 'activity' && l.level === 40 && /SHADOW MODE: would withdraw/.test(String(l.msg)),
      ),
      'the activity says it loudly (warn) too',
    );

    const samples = await scrape(metricsUrl);
    assert.equal(metric(samples, 'decisions_total', { prefix: X.cidr, action: 'withdraw', reason: '' }), 1);
    assert.equal(metric(samples, 'decisions_total', { prefix: Z.cidr, action: 'withdraw', reason: '' }), undefined);
  });

  it('logs are JSON at LOG_LEVEL=info (nothing below it) and carry no secret', () => {
    const out = proc.output();
    const lines = jsonLines(out);
    assert.ok(lines.length >= 5);
    assert.ok(
      lines.every((l) => typeof l.level === 'number' && l.level >= 30),
      'no debug or trace lines',
    );
    for (const secret of [CF_TOKEN, TG_TOKEN, TG_TOKEN.split(':')[1]!]) assert.ok(!out.includes(secret));
  });

  it('Ctrl-C stops the worker and its Temporal server cleanly', async () => {
    signalGroup(proc, 'SIGINT');
    assert.equal(await proc.exited, 0, proc.output().slice(-2000));
    assert.ok(await isPortFree('127.0.0.1', temporalPort), 'the Temporal server is gone');
    assert.ok(await isPortFree('127.0.0.1', metricsPort), 'the metrics endpoint is closed');
    assert.match(proc.output(), /worker stopped/);
  });
});

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
