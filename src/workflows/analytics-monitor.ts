// AnalyticsMonitor: one run of the network analytics monitor (started every MONITOR_INTERVAL by a schedule): store the
// dosd drop events of the lookback window, then one summary message if the run found attacks no earlier run had seen,
// and once it is sent, notified_at on the rows it announced.
import {
  ActivityFailure,
  ApplicationFailure,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NON_RETRYABLE_CLOUDFLARE, NON_RETRYABLE_TELEGRAM } from '../errors';

/** Retries stop well before the next scheduled run, which reads an overlapping window anyway. */
const monitor = proxyActivities<Pick<Activities, 'collectNetworkEvents'>>({
  startToCloseTimeout: '1m',
  scheduleToCloseTimeout: '4m',
  retry: {
    initialInterval: '5s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
    nonRetryableErrorTypes: NON_RETRYABLE_CLOUDFLARE,
  },
});

/** Same policy as every other notification: ~10 minutes honouring retry_after, then recorded as failed. */
const telegram = proxyActivities<Pick<Activities, 'sendNotification'>>({
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

const records = proxyLocalActivities<Pick<Activities, 'recordNotificationFailed' | 'markNetworkEventsNotified'>>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 10 },
});

export interface AnalyticsMonitorInput {
  /** How far back each run reads (MONITOR_LOOKBACK): longer than the interval, so late or missed data is caught. */
  lookbackMs: number;
}

export interface AnalyticsMonitorResult {
  fetched: number;
  inserted: number;
  newAttacks: number;
  continuingEvents: number;
  truncated: boolean;
  /** Fate of the run's summary message ('none' when there was nothing new to announce). */
  notification: 'none' | 'sent' | 'skipped' | 'already_sent' | 'failed';
  /** Rows whose notified_at this run set (the rows of the attacks its message announced). */
  notifiedEvents: number;
}

/** notification_log key of a run's summary: one message per run, however often its activities are retried. */
export function monitorSummaryKey(runKey: string): string {
  return `analytics-monitor/${runKey}/summary`;
}

function failureText(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return `${cause.type ?? 'ApplicationFailure'}: ${cause.message}`;
  return cause instanceof Error ? cause.message : String(cause);
}

export async function AnalyticsMonitor(input: AnalyticsMonitorInput): Promise<AnalyticsMonitorResult> {
  // Scheduled runs get unique IDs (the schedule appends the scheduled time): the run's idempotency key.
  const runKey = workflowInfo().workflowId;
  const run = await monitor.collectNetworkEvents({ runKey, windowEndMs: Date.now(), lookbackMs: input.lookbackMs });
  const result: AnalyticsMonitorResult = {
    fetched: run.fetched,
    inserted: run.inserted,
    newAttacks: run.newAttacks.length,
    continuingEvents: run.continuingEvents,
    truncated: run.truncated,
    notification: 'none',
    notifiedEvents: 0,
  };
  if (run.truncated)
    log.warn(`network analytics: the row limit was reached (${run.fetched} rows); smaller groups may be missing`);
  if (run.newAttacks.length === 0) return result;

  const key = monitorSummaryKey(runKey);
  try {
    const delivery = await telegram.sendNotification({
      key,
      notification: {
        kind: 'network_attacks_detected',
        windowStartMs: run.windowStartMs,
        windowEndMs: run.windowEndMs,
        attacks: run.newAttacks,
        newEvents: run.inserted,
        continuingEvents: run.continuingEvents,
        truncated: run.truncated,
        atMs: Date.now(),
      },
    });
    result.notification = delivery.state;
  } catch (err) {
    // The rows are stored whatever happens to the message; its failure becomes part of the record.
    const error = failureText(err);
    log.warn(`network analytics summary not delivered: ${error}`);
    await records.recordNotificationFailed({ key, error });
    result.notification = 'failed';
  }
  // Runs begun before this step existed replay without it.
  if ((result.notification === 'sent' || result.notification === 'already_sent') && patched('mark-notified-at')) {
    try {
      result.notifiedEvents = (await records.markNetworkEventsNotified({ runKey, summaryKey: key })).marked;
    } catch (err) {
      // The message went out; only the column stays empty.
      log.warn(`network analytics: notified_at not recorded: ${failureText(err)}`);
    }
  }
  return result;
}
