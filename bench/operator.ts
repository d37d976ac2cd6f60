// Benchmark: what an operator waits for. N advertised prefixes on the dev server (1 s cycles), mtctl run in-process
// (a fresh Temporal connection per command, as from a shell). Prints `status --json` time, hold/resume and withdraw
// round trips, how late a queued advertise fires after the re-advertise cooldown, and `status` with the worker down.
// Usage: npx tsx bench/operator.ts [--actions 10] [--interval 1s] N [N ...]   (default N: 20 200)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Worker } from '@temporalio/worker';
import { runMtctl } from '../src/client/mtctl';
import { parseDuration } from '../src/domain/durations';
import { buildDependencies } from '../src/runtime/dependencies';
import { ensureSupervisor } from '../src/runtime/temporal';
import { supervisorStatusQuery } from '../src/workflows/messages';
import { memoryLogger, startFixture, type TestPrefix } from '../test/helpers/fixture';
import { createDevServerEnv, eventually, quietTemporalRuntime, workflowBundle } from '../test/helpers/temporal';

const COOLDOWN_MS = 5_000;

function parseArgs(argv: string[]): { actions: number; interval: string; sizes: number[] } {
  const opts = { actions: 10, interval: '1s', sizes: [] as number[] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--actions') opts.actions = Number(argv[++i]);
    else if (argv[i] === '--interval') opts.interval = argv[++i] ?? '1s';
    else opts.sizes.push(Number(argv[i]));
  }
  if (opts.sizes.length === 0) opts.sizes = [20, 200];
  return opts;
}

const quiet = (): Writable => new Writable({ write: (_c, _e, done) => done() });

async function timed(args: string[]): Promise<number> {
  const t0 = performance.now();
  const code = await runMtctl(args, { out: quiet(), err: quiet() });
  if (code !== 0) throw new Error(`mtctl ${args.join(' ')} exited ${code}`);
  return performance.now() - t0;
}

const p50 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const max = (xs: number[]): number => Math.max(...xs);

async function run(n: number, actions: number, interval: string): Promise<Record<string, string | number>> {
  const dir = mkdtempSync(join(tmpdir(), 'mtaw-opbench-'));
  const env = await createDevServerEnv({ dbFilename: join(dir, 'temporal.db') });
  const prefixes: TestPrefix[] = Array.from({ length: n }, (_, i) => ({
    cidr: `10.${Math.floor(i / 250)}.${i % 250}.0/24`,
    description: `p${i}`,
    parentPrefixId: `parent${i % 4}`,
    bgpPrefixId: `bgp${i}`,
    advertised: true,
  }));
  const fx = await startFixture({
    prefixes,
    cloudflare: {
      sampleIntervalMs: 1000,
      rateLimit: false,
      graphqlRateLimit: false,
      readvertiseCooldownMs: COOLDOWN_MS,
      minAdvertisedMs: 0,
    },
    env: {
      CHECK_INTERVAL: interval,
      CALM_PERIOD: '1h',
      ATTACK_LOOKBACK: '10s',
      READVERTISE_COOLDOWN: `${COOLDOWN_MS}ms`,
      MIN_ADVERTISED_DURATION: '0s',
      TELEMETRY_MAX_AGE: '2m',
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: 'opbench',
      LOG_LEVEL: 'error',
      MTCTL_ACTOR: 'bench@localhost',
    },
  });
  Object.assign(process.env, fx.env);
  for (const p of prefixes) fx.cf.traffic.addBackground(p.cidr, { startMs: Date.now() - 600_000 });
  const deps = buildDependencies(fx.config, memoryLogger().logger);
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: 'opbench',
    workflowBundle: await workflowBundle(),
    activities: deps.activities,
    maxCachedWorkflows: Math.max(1000, n + 100),
  });
  const running = worker.run();
  let stopped = false;
  try {
    const sup = await ensureSupervisor(env.client, 'opbench');
    await eventually(async () => ((await sup.query(supervisorStatusQuery)).protected.length >= n ? true : undefined), {
      timeoutMs: Math.max(120_000, n * 200),
      intervalMs: 500,
      what: `${n} protections started`,
    });
    await new Promise((r) => setTimeout(r, parseDuration(interval) + 2_000)); // every prefix measured: traffic known
    const status: number[] = [];
    for (let i = 0; i < 5; i++) status.push(await timed(['status', '--json']));
    const targets = prefixes.slice(0, Math.min(actions, n));
    const hold: number[] = [];
    const resume: number[] = [];
    for (const p of targets) {
      hold.push(await timed(['hold', p.cidr]));
      resume.push(await timed(['resume', p.cidr]));
    }
    const withdraw: number[] = [];
    const queue: number[] = [];
    for (const p of targets) {
      withdraw.push(await timed(['withdraw', p.cidr]));
      queue.push(await timed(['advertise', p.cidr, '--when-allowed']));
    }
    const lateness: number[] = [];
    for (const p of targets) {
      const patches = await eventually(
        () => {
          const mine = fx.cf.stats.patches().filter((x) => x.bgpPrefixId === p.bgpPrefixId);
          return mine.length >= 2 ? mine : undefined;
        },
        { timeoutMs: 60_000, what: `queued advertise of ${p.cidr}` },
      );
      lateness.push(patches[1]!.atMs - (patches[0]!.atMs + COOLDOWN_MS));
    }
    worker.shutdown();
    await running;
    stopped = true;
    const fallback = await timed(['status', '--json']);
    return {
      prefixes: n,
      interval,
      statusP50Ms: Math.round(p50(status)),
      statusMaxMs: Math.round(max(status)),
      holdP50Ms: Math.round(p50(hold)),
      resumeP50Ms: Math.round(p50(resume)),
      withdrawP50Ms: Math.round(p50(withdraw)),
      withdrawMaxMs: Math.round(max(withdraw)),
      queueP50Ms: Math.round(p50(queue)),
      queuedAdvertiseLateP50Ms: Math.round(p50(lateness)),
      queuedAdvertiseLateMaxMs: Math.round(max(lateness)),
      statusWorkerDownMs: Math.round(fallback),
    };
  } finally {
    if (!stopped) {
      worker.shutdown();
      await running;
    }
    await env.teardown();
    deps.close();
    await fx.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  quietTemporalRuntime();
  const opts = parseArgs(process.argv.slice(2));
  const rows = [];
  for (const n of opts.sizes) {
    const row = await run(n, opts.actions, opts.interval);
    console.log(JSON.stringify(row));
    rows.push(row);
  }
  console.table(rows);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
