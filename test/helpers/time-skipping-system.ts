// The whole system in-process on the time-skipping server: simulators, SQLite, real activities and a worker.
// The simulator's clock follows workflow time, so analytics answers describe the time-skipped windows asked for.
import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities';
import { buildDependencies, type Dependencies } from '../../src/runtime/dependencies';
import type { CloudflareSimulatorOptions } from '../../src/simulators/cloudflare';
import { memoryLogger, startFixture, type Fixture, type TestPrefix } from './fixture';
import { createTimeSkippingEnv, quietTemporalRuntime, workflowBundle } from './temporal';

export interface TimeSkippingSystem {
  env: TestWorkflowEnvironment;
  fx: Fixture;
  deps: Dependencies;
  taskQueue: string;
  /** Workflow time when the system started. */
  startMs: number;
  stop(): Promise<void>;
}

export interface TimeSkippingOptions {
  taskQueue: string;
  prefixes: TestPrefix[];
  /** Each prefix's advertisement happened this long before the start (default 2 h: no 15-minute rule in the way). */
  advertisedAgoMs?: number;
  /** Steady passed traffic for advertised prefixes, so answers are never empty (default true). */
  background?: boolean;
  env?: Record<string, string>;
  cloudflare?: Omit<CloudflareSimulatorOptions, 'accountId' | 'token' | 'clock'>;
  /**
   * Also move the simulator's clock to each activity's scheduled (workflow) time, so Cloudflare's 15-minute rules
   * see time-skipped durations (e.g. a cooldown spent without measuring).
   */
  simClockFollowsActivities?: boolean;
}

/**
 * One system for the enclosing suite (a describe): started in its `before`, stopped in its `after` once the workflows
 * named in `terminateAtEnd` are terminated (those already closed are passed over). The getter serves hooks and tests.
 */
export function useTimeSkippingSystem(
  opts: TimeSkippingOptions & { terminateAtEnd?: readonly string[] },
): () => TimeSkippingSystem {
  let sys: TimeSkippingSystem | undefined;
  before(async () => {
    sys = await startTimeSkippingSystem(opts);
  });
  after(async () => {
    if (!sys) return;
    for (const id of opts.terminateAtEnd ?? [])
      await sys.env.client.workflow
        .getHandle(id)
        .terminate('test done')
        .catch(() => undefined);
    await sys.stop();
  });
  return () => {
    if (!sys) throw new Error('the time-skipping system runs only inside the suite (its hooks and tests)');
    return sys;
  };
}

export async function startTimeSkippingSystem(opts: TimeSkippingOptions): Promise<TimeSkippingSystem> {
  quietTemporalRuntime();
  const env = await createTimeSkippingEnv();
  const startMs = await env.currentTimeMs();
  let simNow = startMs;
  const fx = await startFixture({
    prefixes: opts.prefixes.map((p) => ({
      advertisedModifiedAtMs: startMs - (opts.advertisedAgoMs ?? 7_200_000),
      ...p,
    })),
    cloudflare: { ingestDelayMs: 30_000, ...opts.cloudflare, clock: () => Math.max(Date.now(), simNow) },
    env: { TEMPORAL_TASK_QUEUE: opts.taskQueue, ...opts.env },
  });
  if (opts.background ?? true) {
    for (const p of opts.prefixes)
      fx.cf.traffic.addBackground(p.cidr, { startMs: startMs - 3_600_000, packetsPerSecond: 200 });
  }
  const deps = buildDependencies(fx.config, memoryLogger().logger);
  const activities: Activities = {
    ...(opts.simClockFollowsActivities
      ? followingWorkflowTime(deps.activities, (t) => (simNow = Math.max(simNow, t)))
      : deps.activities),
    measureDroppedTraffic: async (input) => {
      simNow = Math.max(simNow, input.windowEndMs + 5_000);
      return deps.activities.measureDroppedTraffic(input);
    },
  };
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: opts.taskQueue,
    workflowBundle: await workflowBundle(),
    activities,
  });
  const running = worker.run();
  return {
    env,
    fx,
    deps,
    taskQueue: opts.taskQueue,
    startMs,
    async stop() {
      worker.shutdown();
      await running;
      await env.teardown();
      deps.close();
      await fx.close();
    },
  };
}

/** Each activity first tells `advance` the workflow time it was scheduled at. */
function followingWorkflowTime(activities: Activities, advance: (workflowTimeMs: number) => void): Activities {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities) as Array<[string, (...args: unknown[]) => unknown]>) {
    wrapped[name] = (...args: unknown[]) => {
      advance(Context.current().info.currentAttemptScheduledTimestampMs);
      return fn(...args);
    };
  }
  return wrapped as Activities;
}
