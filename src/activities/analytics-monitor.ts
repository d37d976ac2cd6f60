// The network analytics monitor's activities: read the dosd drop events of the lookback window, store the new ones
// (deduplicated by event hash) and report the attacks no earlier run had seen, once per run key; once the run's
// summary is sent, stamp notified_at on the rows it announced.
import type { MarkNotifiedResult, NetworkEventStore, NetworkRunResult } from '../db/network-events';
import type { NetworkEventsApi } from '../integrations/cloudflare/network-events-query';
import { classified } from './failures';

export interface AnalyticsMonitorActivityDeps {
  networkEvents: NetworkEventsApi;
  networkEventStore: NetworkEventStore;
  now?: () => number;
}

export interface CollectNetworkEventsInput {
  /** Unique per run (the scheduled workflow's ID): a retried attempt returns the first attempt's result. */
  runKey: string;
  windowEndMs: number;
  lookbackMs: number;
}

export type CollectNetworkEventsResult = NetworkRunResult & { windowStartMs: number; windowEndMs: number };

/** operation_keys key of a monitor run. */
export function monitorRunKey(runKey: string): string {
  return `analytics-monitor/${runKey}`;
}

export function createAnalyticsMonitorActivities(deps: AnalyticsMonitorActivityDeps) {
  const now = deps.now ?? Date.now;
  return {
    /** One GraphQL read and one SQLite transaction; what the run found is returned for the summary message. */
    async collectNetworkEvents(input: CollectNetworkEventsInput): Promise<CollectNetworkEventsResult> {
      const window = { startMs: input.windowEndMs - input.lookbackMs, endMs: input.windowEndMs };
      const report = await classified(() => deps.networkEvents.networkEvents(window));
      const result = deps.networkEventStore.recordRun({
        runKey: monitorRunKey(input.runKey),
        events: report.events,
        truncated: report.truncated,
        atMs: now(),
      });
      return { ...result, windowStartMs: window.startMs, windowEndMs: window.endMs };
    },

    /** notified_at = when the summary under summaryKey was sent, on the rows of the attacks it announced. */
    // eslint-disable-next-line @typescript-eslint/require-await
    async markNetworkEventsNotified(input: { runKey: string; summaryKey: string }): Promise<MarkNotifiedResult> {
      return deps.networkEventStore.markNotified(monitorRunKey(input.runKey), input.summaryKey);
    },
  };
}

export type AnalyticsMonitorActivities = ReturnType<typeof createAnalyticsMonitorActivities>;
