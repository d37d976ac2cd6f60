// Activity proxies with their timeouts and retry policies; every policy lists the failures retrying cannot fix.
import {
  ActivityFailure,
  ApplicationFailure,
  proxyActivities,
  proxyLocalActivities,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { compactDuration } from '../domain/durations';
import { NON_RETRYABLE_CLOUDFLARE, NON_RETRYABLE_TELEGRAM } from '../errors';

type CloudflareReads = Pick<
  Activities,
  'readPrefixStates' | 'readPrefixStatePage' | 'readLivePrefixState' | 'loadProtectionSettings'
>;
type CloudflareChanges = Pick<Activities, 'withdrawPrefix' | 'advertisePrefix'>;
type RecordActivities = Pick<
  Activities,
  'recordCycle' | 'recordWithdrawal' | 'recordAdvertise' | 'recordNotificationFailed'
>;

/** Reads of Cloudflare state: short, a few quick retries. */
const READS: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '20s',
    maximumAttempts: 4,
    nonRetryableErrorTypes: NON_RETRYABLE_CLOUDFLARE,
  },
};

/** Advertise / withdraw: retried with backoff for up to ~10 minutes; 429 Retry-After and the 15-minute rule set the pace. */
const CHANGES: ActivityOptions = {
  startToCloseTimeout: '45s',
  scheduleToCloseTimeout: '10m',
  retry: {
    initialInterval: '5s',
    backoffCoefficient: 2,
    maximumInterval: '2m',
    nonRetryableErrorTypes: NON_RETRYABLE_CLOUDFLARE,
  },
};

export const cloudflareReads = proxyActivities<CloudflareReads>(READS);
export const cloudflareChanges = proxyActivities<CloudflareChanges>(CHANGES);

// The *For(summary) variants label each call in the Web UI's event history ("withdraw 185.54.81.0/24 at Cloudflare").
export const cloudflareReadsFor = (summary: string): CloudflareReads =>
  proxyActivities<CloudflareReads>({ ...READS, summary });
export const cloudflareChangesFor = (summary: string): CloudflareChanges =>
  proxyActivities<CloudflareChanges>({ ...CHANGES, summary });

/**
 * The measurement is worth little once its cycle has passed: few attempts, all of them within one check interval
 * (a late answer is unknown for that cycle; the next cycle asks again).
 */
export function trafficReader(checkIntervalMs: number, cidr: string): Pick<Activities, 'measureDroppedTraffic'> {
  const attemptMs = Math.min(30_000, Math.max(5_000, Math.floor(checkIntervalMs / 2)));
  return proxyActivities<Pick<Activities, 'measureDroppedTraffic'>>({
    summary: `measure dropped traffic ${cidr}`,
    startToCloseTimeout: attemptMs,
    scheduleToCloseTimeout: Math.max(attemptMs, checkIntervalMs),
    retry: { initialInterval: '1s', maximumAttempts: 2, nonRetryableErrorTypes: NON_RETRYABLE_CLOUDFLARE },
  });
}

/** SQLite writes run in the worker process next to the database: local activities keep histories small. */
const RECORDS: LocalActivityOptions = {
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
};

/** Telegram's whole retry budget per notification (also across continue-as-new: see outbox.ts). */
export const NOTIFY_BUDGET_MS = 10 * 60_000;

/** Telegram delivery: retried for ~10 minutes, honouring retry_after; a final failure is recorded, never fatal. */
const NOTIFY: ActivityOptions = {
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: NOTIFY_BUDGET_MS,
  retry: {
    initialInterval: '5s',
    backoffCoefficient: 2,
    maximumInterval: '2m',
    maximumAttempts: 8,
    nonRetryableErrorTypes: NON_RETRYABLE_TELEGRAM,
  },
};

export const records = proxyLocalActivities<RecordActivities>(RECORDS);
export const notifications = proxyActivities<Pick<Activities, 'sendNotification'>>(NOTIFY);

export const recordsFor = (summary: string): RecordActivities =>
  proxyLocalActivities<RecordActivities>({ ...RECORDS, summary });
export const notificationsFor = (summary: string): Pick<Activities, 'sendNotification'> =>
  proxyActivities<Pick<Activities, 'sendNotification'>>({ ...NOTIFY, summary });

/** The notification policy with only what is left of its budget (a notification carried into a new run). */
export const notificationsWithin = (remainingMs: number, summary: string): Pick<Activities, 'sendNotification'> => {
  const budget = Math.max(1_000, Math.min(NOTIFY_BUDGET_MS, Math.floor(remainingMs)));
  return proxyActivities<Pick<Activities, 'sendNotification'>>({
    ...NOTIFY,
    startToCloseTimeout: Math.min(30_000, budget),
    scheduleToCloseTimeout: budget,
    summary,
  });
};

/** The named failure type and message behind an activity failure. */
export function describeFailure(err: unknown): { type: string; message: string } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return { type: cause.type ?? 'ApplicationFailure', message: cause.message };
  if (cause instanceof Error) return { type: cause.name, message: cause.message };
  return { type: 'Error', message: String(cause) };
}

/** "wait 60s", "wait 15m", "wait 250ms": waits to an aligned cycle are rounded up to whole seconds. */
export function waitSummary(ms: number): string {
  const rounded = ms >= 1000 ? Math.ceil(ms / 1000) * 1000 : Math.max(0, Math.round(ms));
  return `wait ${rounded < 120_000 && rounded >= 1000 ? `${rounded / 1000}s` : compactDuration(rounded)}`;
}
