// The worker's start-up message, handed to a small workflow so it is retried and its fate recorded like any other.
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { DeliverNotification } from '../workflows/deliver-notification';
import type { Notification } from './types';

type WorkerStarted = Extract<Notification, { kind: 'worker_started' }>;

/** One workflow per worker start: host and start time make the ID (and the notification key). */
export function workerStartedKey(hostId: string, startedAtMs: number): string {
  return `worker-started/${hostId}/${startedAtMs}`;
}

/** Starts (idempotently) the delivery of the start-up message; does not wait for Telegram. */
export async function announceWorkerStart(
  client: Client,
  taskQueue: string,
  hostId: string,
  notification: WorkerStarted,
): Promise<WorkflowHandle<typeof DeliverNotification>> {
  const key = workerStartedKey(hostId, notification.atMs);
  return client.workflow.start<typeof DeliverNotification>('DeliverNotification', {
    workflowId: `notify/${key}`,
    taskQueue,
    args: [{ key, notification }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `Worker start-up message (${hostId})`,
  });
}
