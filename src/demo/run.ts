// `npm run demo`: owns the demo's lifecycles (Temporal dev server, simulators, worker), plays the scenario, shows it
// live, and on Ctrl-C stops everything in order (worker, simulators, server), keeping the state to resume from.
import { existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startEmbeddedServer, type EmbeddedServer } from '../runtime/embedded-server';
import { freePort } from '../runtime/free-port';
import { createDisplay, type Display } from './display';
import { evaluate, type Check, type Observed, type ObservedWorkflow } from './expectations';
import { createObserver, readWithdrawals } from './observe';
import type { DemoOptions } from './options';
import { DEMO_PREFIXES, SCENARIO_DEADLINE_S, SCENARIO_LENGTH_S } from './scenario';
import {
  appendMessage,
  downtime,
  loadMessages,
  loadState,
  saveState,
  type DemoSession,
  type DemoState,
  type SavedMessage,
} from './state-file';
import { outcomeLines, statusTable, plain as noColour, type PrefixRow } from './view';
import { startDemoWorker, tailOf, type DemoWorker } from './worker-process';
import { initialPrefixes, startDemoWorld, type DemoWorld } from './world';

const RUN_FILE = 'run.json';
const OWN_FILES = [
  'scenario.json',
  'scenario.json.tmp',
  'telegram.jsonl',
  'temporal.db',
  'temporal.db-shm',
  'temporal.db-wal',
  'temporal.db-journal',
  'magic_transit.db',
  'magic_transit.db-shm',
  'magic_transit.db-wal',
  'worker.log',
  'temporal-server.log',
  'demo.env',
  'prefix_mapping.json',
  RUN_FILE,
];

export class DemoError extends Error {
  override readonly name = 'DemoError';
}

interface Lifecycle {
  server: EmbeddedServer | null;
  world: DemoWorld | null;
  worker: DemoWorker | null;
  connection: Connection | null;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs the demo; resolves with the process exit code. */
export async function runDemo(opts: DemoOptions, out: NodeJS.WriteStream = process.stdout): Promise<number> {
  const dir = opts.dataDir;
  mkdirSync(dir, { recursive: true });
  refuseSecondDemo(dir);
  if (opts.reset) for (const f of OWN_FILES) rmSync(join(dir, f), { force: true });

  const state: DemoState = loadState(dir) ?? {
    version: 1,
    t0Ms: null,
    sessions: [],
    prefixes: initialPrefixes(Date.now()),
    patches: [],
  };
  const session: DemoSession = { startedAtMs: Date.now(), readyAtMs: null, aliveAtMs: Date.now(), stoppedAtMs: null };
  state.sessions.push(session);
  const resumed = state.t0Ms !== null;
  const messages: SavedMessage[] = loadMessages(dir);
  const save = (): void => {
    session.aliveAtMs = Date.now();
    saveState(dir, state);
  };
  save();

  const stop: { signal: NodeJS.Signals | null } = { signal: null };
  let display: Display | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stop.signal !== null) {
      // Second Ctrl-C: the exit hooks kill what is left.
      process.exit(130);
    }
    stop.signal = signal;
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);

  const life: Lifecycle = { server: null, world: null, worker: null, connection: null };
  let code: number;
  let final: string[] = [];
  try {
    const temporalPort = opts.temporalPort ?? (await freePort());
    const uiPort = opts.uiPort ?? (await freePort());
    const metricsPort = opts.metricsPort ?? (await freePort());
    const say = (line: string): void => void out.write(`${line}\n`);
    say(
      `mt-autowithdraw demo: ${resumed ? 'resuming the scenario saved' : 'starting a new scenario'} in ${shown(dir)}`,
    );
    say('starting the Temporal dev server…');
    life.server = await startEmbeddedServer({
      dbFile: join(dir, 'temporal.db'),
      port: temporalPort,
      uiPort,
      logFile: join(dir, 'temporal-server.log'),
    });
    // The simulator's PATCH log starts empty each session; earlier sessions' entries stay in front of it.
    const earlierPatches = state.patches;
    life.world = await startDemoWorld({
      dir,
      state,
      temporalAddress: life.server.address,
      metricsPort,
      onPatch: () => {
        if (!life.world) return;
        state.prefixes = life.world.prefixes();
        state.patches = [...earlierPatches, ...life.world.cf.stats.patches()];
        save();
      },
      onMessage: (m) => {
        const saved = { atMs: m.atMs, text: m.plainText };
        messages.push(saved);
        appendMessage(dir, saved);
        display?.message(saved, state.t0Ms);
      },
    });
    const world = life.world;
    if (state.t0Ms !== null) world.playScenario(state.t0Ms);

    say('starting the worker…');
    const workerLog = join(dir, 'worker.log');
    life.worker = startDemoWorker({ envFile: world.envFile, logFile: workerLog });
    writeFileSync(
      join(dir, RUN_FILE),
      JSON.stringify({
        pid: process.pid,
        worker: life.worker.pid,
        temporal: life.server.pid,
        ports: { temporalPort, uiPort, metricsPort },
      }),
    );
    life.connection = await Connection.connect({ address: life.server.address });
    const client = new Client({ connection: life.connection, namespace: 'default' });
    const observer = createObserver(client, life.connection);

    const uiUrl = `${life.server.uiUrl}/namespaces/default/workflows`;
    const header = [
      'mt-autowithdraw demo — a scripted DDoS incident on loopback Cloudflare and Telegram',
      `Temporal Web UI  ${uiUrl}`,
      `Metrics          http://127.0.0.1:${metricsPort}/metrics`,
      `mtctl            MTCTL_ENV_FILE=${shown(world.envFile)} npm run mtctl -- status`,
      `Logs             ${shown(workerLog)} (worker), ${shown(join(dir, 'temporal-server.log'))}`,
      `Ctrl-C stops everything; \`npm run demo\` again resumes; \`npm run demo -- --reset\` starts over.`,
    ];
    display = createDisplay({ plain: opts.plain, out });

    let outcome: Check[] | null = null;
    let lastSave = 0;
    for (;;) {
      if (stop.signal) {
        code = opts.untilDone ? 130 : 0;
        final = [`stopped (${stop.signal}) before the scenario ended`];
        break;
      }
      if (!life.worker.running()) {
        throw new DemoError(`the worker exited unexpectedly; last lines of ${shown(workerLog)}:\n${tailOf(workerLog)}`);
      }
      const now = Date.now();
      if (session.readyAtMs === null) {
        const sup = await observer.supervisor();
        const advertised = DEMO_PREFIXES.filter((p) => p.advertised).map((p) => p.cidr);
        const ready = sup !== null && (state.t0Ms !== null || advertised.every((c) => sup.protected.includes(c)));
        if (ready) {
          session.readyAtMs = Date.now();
          if (state.t0Ms === null) {
            state.t0Ms = session.readyAtMs;
            world.playScenario(state.t0Ms);
          }
          save();
        } else if (now - session.startedAtMs > 180_000) {
          throw new DemoError(`the worker did not protect the prefixes within 3 minutes; see ${shown(workerLog)}`);
        }
      }
      const rows = await gatherRows(observer, world);
      const seenAt = Date.now();
      if (now - lastSave > 5_000) {
        lastSave = now;
        save();
      }
      if (state.t0Ms !== null && outcome === null && scenarioOver(state, rows, now)) {
        outcome = evaluate(observed(state, rows, dir));
        if (opts.untilDone) {
          code = outcome.every((c) => c.ok) ? 0 : 1;
          final = [...statusTable(rows, now, state.t0Ms, noColour), '', 'Outcome:', ...outcomeLines(outcome)];
          break;
        }
      }
      display.frame({ header, rows, nowMs: seenAt, t0Ms: state.t0Ms, messages, outcome });
      await sleep(1_000);
    }
  } catch (err) {
    code = 1;
    final = [`demo failed: ${err instanceof Error ? err.message : String(err)}`];
  } finally {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, onSignal);
    process.once('SIGINT', () => process.exit(130));
    await shutdown(life);
    session.stoppedAtMs = Date.now();
    save();
    rmSync(join(dir, RUN_FILE), { force: true });
    final.push(
      '',
      `Everything is stopped. State kept in ${shown(dir)}: \`npm run demo\` resumes it, \`npm run demo -- --reset\` starts over.`,
    );
    if (display) display.close(final);
    else out.write(`${final.join('\n')}\n`);
  }
  return code;
}

/** Worker first (it finishes what it is doing), then the world it talks to, then the server it runs on. */
async function shutdown(life: Lifecycle): Promise<void> {
  await life.worker?.stop().catch(() => undefined);
  await life.connection?.close().catch(() => undefined);
  await life.world?.close().catch(() => undefined);
  await life.server?.stop().catch(() => undefined);
}

type Row = PrefixRow & { workflowState: ObservedWorkflow['state'] };

async function gatherRows(observer: ReturnType<typeof createObserver>, world: DemoWorld): Promise<Row[]> {
  return Promise.all(
    DEMO_PREFIXES.map(async (prefix) => {
      const o = await observer.observe(prefix);
      const cf = world.cf.state.get(prefix.bgpPrefixId);
      return {
        prefix,
        status: o.status,
        ended: o.workflow.state === 'completed' ? (o.workflow.reason ?? 'completed') : null,
        cloudflare: cf ? { advertised: cf.advertised, locked: cf.locked } : null,
        workflowState: o.workflow.state,
      };
    }),
  );
}

/** Over when the timeline has played and every attacked prefix's protection has ended, or at the deadline. */
function scenarioOver(state: DemoState, rows: PrefixRow[], now: number): boolean {
  const t0 = state.t0Ms!;
  const stoppedMs = downtime(state).reduce((sum, d) => sum + (d.untilMs - d.fromMs), 0);
  if (now > t0 + SCENARIO_DEADLINE_S * 1000 + stoppedMs) return true;
  if (now < t0 + SCENARIO_LENGTH_S * 1000) return false;
  return rows.filter((r) => r.prefix.role === 'attacked').every((r) => r.ended !== null);
}

function observed(state: DemoState, rows: Row[], dir: string): Observed {
  return {
    t0Ms: state.t0Ms!,
    downtime: downtime(state),
    patches: state.patches.map((p) => ({
      atMs: p.atMs,
      bgpPrefixId: p.bgpPrefixId,
      advertised: p.advertised,
      outcome: p.outcome,
    })),
    workflows: Object.fromEntries(rows.map((r) => [r.prefix.key, { state: r.workflowState, reason: r.ended }])),
    messages: loadMessages(dir),
    withdrawals: readWithdrawals(join(dir, 'magic_transit.db')),
  };
}

/** Two demos on one data directory would fight over its files and ports. */
function refuseSecondDemo(dir: string): void {
  const file = join(dir, RUN_FILE);
  if (!existsSync(file)) return;
  let pid = 0;
  try {
    pid = (JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid;
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') {
      unlinkSync(file); // left behind by a demo that was killed
      return;
    }
  }
  throw new DemoError(
    `another demo (pid ${pid}) is running with ${shown(dir)}; stop it first (Ctrl-C in its terminal)`,
  );
}

function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}
