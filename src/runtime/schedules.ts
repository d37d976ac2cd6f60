// Temporal schedules the worker keeps in place (created or updated at start-up): the network analytics monitor every
// MONITOR_INTERVAL and the daily records retention. A schedule that cannot be set up is logged, never fatal: the
// worker's first job is protecting prefixes.
import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
} from '@temporalio/client';
import type { AppConfig } from '../config';
import type { StartupContext } from './startup';

export const MONITOR_SCHEDULE_ID = 'mt-autowithdraw-analytics-monitor';
export const RETENTION_SCHEDULE_ID = 'mt-autowithdraw-retention';
/** The schedule appends the scheduled time to these: every run gets its own workflow ID (its idempotency key). */
export const MONITOR_WORKFLOW_ID = 'analytics-monitor';
export const RETENTION_WORKFLOW_ID = 'records-retention';

/** The note marking a schedule paused by configuration (and therefore ours to resume). */
export const DISABLED_BY_CONFIG = 'disabled by configuration (MONITOR_INTERVAL=off)';

const DEFAULT_MONITOR_INTERVAL_MS = 5 * 60_000;
const DAY_MS = 86_400_000;
/** Retention runs at 03:30 UTC, away from midnight jobs. */
const RETENTION_OFFSET_MS = 3.5 * 3_600_000;

export interface DesiredSchedule {
  options: ScheduleOptions;
  /** Paused because the configuration disables it. */
  disabled: boolean;
}

/** The schedules the configuration asks for. */
export function desiredSchedules(config: Pick<AppConfig, 'taskQueue' | 'monitor'>): DesiredSchedule[] {
  const monitorEvery = config.monitor.intervalMs ?? DEFAULT_MONITOR_INTERVAL_MS;
  return [
    {
      disabled: config.monitor.intervalMs === null,
      options: {
        scheduleId: MONITOR_SCHEDULE_ID,
        spec: { intervals: [{ every: monitorEvery }] },
        action: {
          type: 'startWorkflow',
          workflowType: 'AnalyticsMonitor',
          workflowId: MONITOR_WORKFLOW_ID,
          taskQueue: config.taskQueue,
          args: [{ lookbackMs: config.monitor.lookbackMs }],
          workflowExecutionTimeout: 15 * 60_000,
          staticSummary: 'Network analytics monitor: store new dosd drop events, announce new attacks',
        },
        policies: {
          // A run still going when the next is due means Cloudflare is slow: skip, the lookback overlaps anyway.
          overlap: ScheduleOverlapPolicy.SKIP,
          // After an outage, one catch-up run is enough (each run reads a whole lookback window).
          catchupWindow: monitorEvery,
        },
      },
    },
    {
      disabled: false,
      options: {
        scheduleId: RETENTION_SCHEDULE_ID,
        spec: { intervals: [{ every: DAY_MS, offset: RETENTION_OFFSET_MS }] },
        action: {
          type: 'startWorkflow',
          workflowType: 'RecordsRetention',
          workflowId: RETENTION_WORKFLOW_ID,
          taskQueue: config.taskQueue,
          args: [{}],
          workflowExecutionTimeout: 2 * 3_600_000,
          staticSummary: 'Records retention: prune old webhook_events, attack_events and monitor run keys',
        },
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: DAY_MS },
      },
    },
  ];
}

/** The parts of a schedule this code owns, in a form comparable between desired and described. */
function fingerprint(x: {
  intervals: Array<{ every: number; offset: number }>;
  workflowType: string;
  workflowId: string | undefined;
  taskQueue: string | undefined;
  args: unknown[] | undefined;
  overlap: string | undefined;
  catchupWindow: number | undefined;
}): string {
  return JSON.stringify(x);
}

function desiredFingerprint(d: ScheduleOptions): string {
  const intervals = (d.spec.intervals ?? []).map((i) => ({
    every: Number(i.every),
    offset: Number(i.offset ?? 0),
  }));
  return fingerprint({
    intervals,
    workflowType: String(d.action.workflowType),
    workflowId: d.action.workflowId,
    taskQueue: d.action.taskQueue,
    args: d.action.args as unknown[] | undefined,
    overlap: d.policies?.overlap,
    catchupWindow: Number(d.policies?.catchupWindow),
  });
}

function describedFingerprint(d: ScheduleDescription): string {
  return fingerprint({
    // A zero offset is described as undefined.
    intervals: d.spec.intervals?.map((i) => ({ every: i.every, offset: i.offset ?? 0 })) ?? [],
    workflowType: d.action.workflowType,
    workflowId: d.action.workflowId,
    taskQueue: d.action.taskQueue,
    args: d.action.args as unknown[] | undefined,
    overlap: d.policies.overlap,
    catchupWindow: d.policies.catchupWindow,
  });
}

export type ScheduleSync = 'created' | 'updated' | 'unchanged' | 'failed';

/** Whether the schedule should end up paused, and with which note. */
function pauseState(desired: DesiredSchedule, current: ScheduleDescription | null): { paused: boolean; note?: string } {
  if (desired.disabled) return { paused: true, note: DISABLED_BY_CONFIG };
  // Resume only what configuration paused; a pause an operator set stays.
  if (current?.state.paused && current.state.note !== DISABLED_BY_CONFIG)
    return { paused: true, note: current.state.note };
  return { paused: false, note: 'managed by mt-autowithdraw' };
}

/** Creates the schedule, or brings an existing one in line with the configuration; idempotent. */
export async function syncSchedule(client: Client, desired: DesiredSchedule): Promise<Exclude<ScheduleSync, 'failed'>> {
  const { options } = desired;
  try {
    await client.schedule.create({ ...options, state: pauseState(desired, null) });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const handle = client.schedule.getHandle(options.scheduleId);
  const current = await handle.describe();
  const state = pauseState(desired, current);
  if (describedFingerprint(current) === desiredFingerprint(options) && current.state.paused === state.paused)
    return 'unchanged';
  await handle.update(() => ({
    spec: options.spec,
    action: options.action,
    policies: options.policies,
    state,
  }));
  return 'updated';
}

export async function ensureSchedules(ctx: StartupContext): Promise<Record<string, ScheduleSync>> {
  const outcome: Record<string, ScheduleSync> = {};
  for (const desired of desiredSchedules(ctx.config)) {
    const id = desired.options.scheduleId;
    try {
      outcome[id] = await syncSchedule(ctx.client, desired);
      ctx.logger.info({ schedule: id, disabled: desired.disabled }, `schedule ${id} ${outcome[id]}`);
    } catch (err) {
      outcome[id] = 'failed';
      ctx.logger.error(
        { schedule: id, err: (err as Error).message },
        `schedule ${id} could not be set up; the worker runs without it`,
      );
    }
  }
  return outcome;
}
