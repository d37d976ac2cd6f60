// Activity proxies with their timeouts and retry policies; every policy lists the failures retrying cannot fix.
import { ActivityFailure, ApplicationFailure, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { compactDuration } from '../domain/durations';
import { NON_RETRYABLE_CLOUDFLARE, NON_RETRYABLE_TELEGRAM } from '../errors';

/** Reads of Cloudflare state: short, a few quick retries. */
export const cloudflareReads = proxyActivities<
  Pick<Activities, 'readPrefixStates' | 'readLivePrefixState' | 'loadProtectionSettings'>
>({
  startToCloseTimeout: '30s',
  retry: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '20s',
    maximumAttempts: 4,
    nonRetryableErrorTypes: NON_RETRYABLE_CLOUDFLARE,
  },
});

/** Advertise / withdraw: retried with backoff for up to ~10 minutes; 429 Retry-After and the 15-minute rule set the pace. */
export const cloudflareChanges = proxyActivities<Pick<Activities, 'withdrawPrefix' | 'advertisePrefix'>>({
  startToCloseTimeout: '45s',
  scheduleToCloseTimeout: '10m',
  retry: {
    initialInterval: '5s',
    backoffCoefficient: 2,
    maximumInterval: '2m',
    nonRetryableErrorTypes: NON_RETRYABLE_CLOUDFLARE,
  },
});

/** The measurement is worth little once its cycle has passed: few attempts, bounded by the check interval. */
export function trafficReader(checkIntervalMs: number, cidr: string): Pick<Activities, 'measureDroppedTraffic'> {
  const attemptMs = Math.min(30_000, Math.max(5_000, Math.floor(checkIntervalMs / 2)));
  return proxyActivities<Pick<Activities, 'measureDroppedTraffic'>>({
    summary: `measure dropped traffic ${cidr}`,
    startToCloseTimeout: attemptMs,
    retry: { initialInterval: '1s', maximumAttempts: 2, nonRetryableErrorTypes: NON_RETRYABLE_CLOUDFLARE },
  });
}

/** SQLite writes run in the worker process next to the database: local activities keep histories small. */
export const records = proxyLocalActivities<
  Pick<Activities, 'recordCycle' | 'recordWithdrawal' | 'recordAdvertise' | 'recordNotificationFailed'>
>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
});

/** Telegram delivery: retried for ~10 minutes, honouring retry_after; a final failure is recorded, never fatal. */
export const notifications = proxyActivities<Pick<Activities, 'sendNotification'>>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '10m',
  retry: {
    initialInterval: '5s',
    backoffCoefficient: 2,
    maximumInterval: '2m',
    maximumAttempts: 8,
    nonRetryableErrorTypes: NON_RETRYABLE_TELEGRAM,
  },
});

/** The named failure type and message behind an activity failure. */
export function describeFailure(err: unknown): { type: string; message: string } {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return { type: cause.type ?? 'ApplicationFailure', message: cause.message };
  if (cause instanceof Error) return { type: cause.name, message: cause.message };
  return { type: 'Error', message: String(cause) };
}

export function waitSummary(ms: number): string {
  return `wait ${compactDuration(Math.max(0, Math.round(ms)))}`;
}
