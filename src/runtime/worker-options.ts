// The validated WORKER_* tuning as Temporal WorkerOptions: the one place the worker and the benchmarks take them from.
import type { WorkerOptions } from '@temporalio/worker';
import type { WorkerTuning } from '../config/worker-tuning';

export type TuningOptions = Required<
  Pick<
    WorkerOptions,
    | 'maxCachedWorkflows'
    | 'maxConcurrentWorkflowTaskExecutions'
    | 'maxConcurrentActivityTaskExecutions'
    | 'maxConcurrentLocalActivityExecutions'
    | 'workflowTaskPollerBehavior'
    | 'activityTaskPollerBehavior'
    | 'stickyQueueScheduleToStartTimeout'
  >
>;

export function workerTuningOptions(t: WorkerTuning): TuningOptions {
  return {
    maxCachedWorkflows: t.maxCachedWorkflows,
    maxConcurrentWorkflowTaskExecutions: t.maxConcurrentWorkflowTasks,
    maxConcurrentActivityTaskExecutions: t.maxConcurrentActivities,
    maxConcurrentLocalActivityExecutions: t.maxConcurrentLocalActivities,
    workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: t.workflowTaskPollers },
    activityTaskPollerBehavior: { type: 'simple-maximum', maximum: t.activityTaskPollers },
    stickyQueueScheduleToStartTimeout: t.stickyQueueTimeoutMs,
  };
}
