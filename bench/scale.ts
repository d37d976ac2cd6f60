// Benchmark: N advertised prefixes protected by one worker on the dev server with a 1 s check interval.
// Prints sustained cycles/s, cycle lag p50/p99 (activity start vs scheduled cycle time), worker RSS,
// Cloudflare REST and GraphQL calls per cycle, history events per prefix-hour and the longest run before
// continue-as-new.
// Usage: npx tsx bench/scale.ts [--seconds 60] [--interval 1s] N [N ...]   (default N: 100 1000)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../src/activities';
import { parseDuration } from '../src/domain/durations';
import { buildDependencies } from '../src/runtime/dependencies';
import { ensureSupervisor } from '../src/runtime/temporal';
import { protectionWorkflowId, SUPERVISOR_WORKFLOW_ID } from '../src/workflows/ids';
import { supervisorStatusQuery } from '../src/workflows/messages';
import { memoryLogger, startFixture, type TestPrefix } from '../test/helpers/fixture';
import { createDevServerEnv, eventually, quietTemporalRuntime, workflowBundle } from '../test/helpers/temporal';

interface Options {
  seconds: number;
  intervalMs: number;
  sizes: number[];
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { seconds: 60, intervalMs: 1000, sizes: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--seconds') opts.seconds = Number(argv[++i]);
    else if (a === '--interval') opts.intervalMs = parseDuration(argv[++i]!);
    else opts.sizes.push(Number(a));
  }
  if (opts.sizes.length === 0) opts.sizes = [100, 1000];
  return opts;
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;

async function run(n: number, opts: Options): Promise<Record<string, string | number>> {
  const dir = mkdtempSync(join(tmpdir(), 'mtaw-scale-'));
  const env = await createDevServerEnv({ dbFilename: join(dir, 'temporal.db') });
  const parents = 4;
  const prefixes: TestPrefix[] = Array.from({ length: n }, (_, i) => ({
    cidr: `10.${Math.floor(i / 250)}.${i % 250}.0/24`,
    description: `p${i}`,
    parentPrefixId: `parent${i % parents}`,
    bgpPrefixId: `bgp${i}`,
    advertised: true,
  }));
  const fx = await startFixture({
    prefixes,
    cloudflare: { sampleIntervalMs: 1000, rateLimit: false, graphqlRateLimit: false },
    env: {
      CHECK_INTERVAL: `${opts.intervalMs}ms`,
      CALM_PERIOD: '1h',
      ATTACK_LOOKBACK: '10s',
      TELEMETRY_MAX_AGE: '2m',
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_TASK_QUEUE: 'scale',
      LOG_LEVEL: 'error',
    },
  });
  const now = Date.now();
  for (const p of prefixes) fx.cf.traffic.addBackground(p.cidr, { startMs: now - 600_000 });
  const deps = buildDependencies(fx.config, memoryLogger().logger);
  const lags: number[] = [];
  let measuring = false;
  let cycles = 0;
  const activities: Activities = {
    ...deps.activities,
    measureDroppedTraffic: async (input) => {
      if (measuring) {
        cycles++;
        lags.push(Date.now() - input.windowEndMs);
      }
      return deps.activities.measureDroppedTraffic(input);
    },
  };
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: 'scale',
    workflowBundle: await workflowBundle(),
    activities,
    maxConcurrentWorkflowTaskExecutions: 100,
    maxConcurrentActivityTaskExecutions: 200,
    maxConcurrentLocalActivityExecutions: 200,
    maxCachedWorkflows: Math.max(1000, n + 100),
  });
  const running = worker.run();
  try {
    const handle = await ensureSupervisor(env.client, 'scale');
    const rampStart = Date.now();
    await eventually(
      async () => ((await handle.query(supervisorStatusQuery)).protected.length >= n ? true : undefined),
      { timeoutMs: Math.max(120_000, n * 100), intervalMs: 1000, what: `${n} protections started` },
    );
    const rampSeconds = (Date.now() - rampStart) / 1000;
    fx.cf.stats.reset();
    const supBefore = (await handle.query(supervisorStatusQuery)).cycles;
    measuring = true;
    const t0 = Date.now();
    let rssMax = 0;
    while (Date.now() - t0 < opts.seconds * 1000) {
      await new Promise((r) => setTimeout(r, 1000));
      rssMax = Math.max(rssMax, process.memoryUsage().rss);
    }
    measuring = false;
    const elapsed = (Date.now() - t0) / 1000;
    const supCycles = (await handle.query(supervisorStatusQuery)).cycles - supBefore;
    const desc = await env.client.workflow.getHandle(protectionWorkflowId(prefixes[0]!.cidr)).describe();
    const sup = await env.client.workflow.getHandle(SUPERVISOR_WORKFLOW_ID).describe();
    const ageHours = (Date.now() - desc.startTime.getTime()) / 3_600_000;
    const sorted = [...lags].sort((a, b) => a - b);
    const expected = (n * elapsed * 1000) / opts.intervalMs;
    return {
      prefixes: n,
      interval: `${opts.intervalMs}ms`,
      rampSeconds: rampSeconds.toFixed(1),
      cyclesPerSecond: (cycles / elapsed).toFixed(1),
      ofExpected: `${((100 * cycles) / expected).toFixed(0)}%`,
      lagP50Ms: Math.round(percentile(sorted, 0.5)),
      lagP99Ms: Math.round(percentile(sorted, 0.99)),
      rssMB: Math.round(rssMax / 1e6),
      restListPerCycle: (fx.cf.stats.requests('listBgpPrefixes') / Math.max(1, supCycles)).toFixed(2),
      graphqlPerCycle: (fx.cf.stats.requests('graphql') / Math.max(1, cycles / n || 1)).toFixed(2),
      eventsPerPrefixHour: Math.round((desc.historyLength ?? 0) / ageHours),
      prefixRunEvents: desc.historyLength ?? 0,
      supervisorRunEvents: sup.historyLength ?? 0,
    };
  } finally {
    worker.shutdown();
    await running;
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
    const row = await run(n, opts);
    console.log(JSON.stringify(row));
    rows.push(row);
  }
  console.table(rows);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
