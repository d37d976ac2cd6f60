// Worker tuning settings (WORKER_*): cache size, task slots, pollers and the sticky-queue timeout, validated together.
import { parseDuration } from '../domain/durations';

export interface WorkerTuning {
  /** Workflows kept in memory between tasks; an evicted prefix workflow replays its whole history on its next cycle. */
  maxCachedWorkflows: number;
  maxConcurrentWorkflowTasks: number;
  maxConcurrentActivities: number;
  maxConcurrentLocalActivities: number;
  workflowTaskPollers: number;
  activityTaskPollers: number;
  /** How long a task waits on this worker's sticky queue before any worker may take it (e.g. after a crash). */
  stickyQueueTimeoutMs: number;
  /** Where the workflow bundle is cached between starts (keyed by a hash of the code); null: bundle every start. */
  bundleCacheDir: string | null;
}

type Env = Record<string, string | undefined>;

export const WORKER_TUNING_DEFAULTS = {
  /** "auto": the configured prefixes + 100 (supervisor, schedules, operator-started workflows), at least 500. */
  WORKER_MAX_CACHED_WORKFLOWS: 'auto',
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '40',
  WORKER_MAX_CONCURRENT_ACTIVITIES: '100',
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: '100',
  WORKER_WORKFLOW_POLLERS: '10',
  WORKER_ACTIVITY_POLLERS: '10',
  WORKER_STICKY_QUEUE_TIMEOUT: '10s',
  /** A directory, or off. */
  WORKER_BUNDLE_CACHE: 'data/workflow-bundle',
} as const;

type Name = keyof typeof WORKER_TUNING_DEFAULTS;

const MAX_SLOTS = 10_000;
const MAX_CACHE = 1_000_000;
const STICKY_MIN_MS = 1000;
const STICKY_MAX_MS = 300_000;

/** The cache size "auto" picks: every prefix workflow stays cached, so no cycle pays for a full replay. */
export function autoCacheSize(prefixCount: number): number {
  return Math.max(500, prefixCount + 100);
}

/** Reads the WORKER_* settings; every bad value is appended to problems, naming the setting. */
export function loadWorkerTuning(env: Env, prefixCount: number, problems: string[]): WorkerTuning {
  const raw = (name: Name): string => env[name]?.trim() || WORKER_TUNING_DEFAULTS[name];
  const whole = (name: Name, min: number, max: number, fallback: number): number => {
    const text = raw(name);
    const n = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(n >= min && n <= max)) {
      problems.push(`${name}=${text}: must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return n;
  };

  const cacheText = raw('WORKER_MAX_CACHED_WORKFLOWS').toLowerCase();
  const maxCachedWorkflows =
    cacheText === 'auto'
      ? autoCacheSize(prefixCount)
      : whole('WORKER_MAX_CACHED_WORKFLOWS', 2, MAX_CACHE, autoCacheSize(prefixCount));
  const maxConcurrentWorkflowTasks = whole('WORKER_MAX_CONCURRENT_WORKFLOW_TASKS', 2, MAX_SLOTS, 40);
  const maxConcurrentActivities = whole('WORKER_MAX_CONCURRENT_ACTIVITIES', 1, MAX_SLOTS, 100);
  const maxConcurrentLocalActivities = whole('WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES', 1, MAX_SLOTS, 100);
  const workflowTaskPollers = whole('WORKER_WORKFLOW_POLLERS', 2, MAX_SLOTS, 10);
  const activityTaskPollers = whole('WORKER_ACTIVITY_POLLERS', 1, MAX_SLOTS, 10);

  // The SDK would silently lower these; saying so at start-up is clearer than a worker that ignores its settings.
  if (maxConcurrentWorkflowTasks > maxCachedWorkflows)
    problems.push(
      `WORKER_MAX_CONCURRENT_WORKFLOW_TASKS=${maxConcurrentWorkflowTasks}: must not exceed WORKER_MAX_CACHED_WORKFLOWS (${maxCachedWorkflows})`,
    );
  if (workflowTaskPollers > maxConcurrentWorkflowTasks)
    problems.push(
      `WORKER_WORKFLOW_POLLERS=${workflowTaskPollers}: must not exceed WORKER_MAX_CONCURRENT_WORKFLOW_TASKS (${maxConcurrentWorkflowTasks})`,
    );
  if (activityTaskPollers > maxConcurrentActivities)
    problems.push(
      `WORKER_ACTIVITY_POLLERS=${activityTaskPollers}: must not exceed WORKER_MAX_CONCURRENT_ACTIVITIES (${maxConcurrentActivities})`,
    );

  const stickyText = raw('WORKER_STICKY_QUEUE_TIMEOUT');
  let stickyQueueTimeoutMs = parseDuration(WORKER_TUNING_DEFAULTS.WORKER_STICKY_QUEUE_TIMEOUT);
  try {
    const ms = parseDuration(stickyText);
    if (ms < STICKY_MIN_MS || ms > STICKY_MAX_MS) throw new Error('must be from 1s to 5m');
    stickyQueueTimeoutMs = ms;
  } catch (err) {
    problems.push(`WORKER_STICKY_QUEUE_TIMEOUT=${stickyText}: ${(err as Error).message}`);
  }

  const cacheDir = raw('WORKER_BUNDLE_CACHE');
  const bundleCacheDir = ['off', '0', 'false', 'no'].includes(cacheDir.toLowerCase()) ? null : cacheDir;

  return {
    maxCachedWorkflows,
    maxConcurrentWorkflowTasks,
    maxConcurrentActivities,
    maxConcurrentLocalActivities,
    workflowTaskPollers,
    activityTaskPollers,
    stickyQueueTimeoutMs,
    bundleCacheDir,
  };
}
