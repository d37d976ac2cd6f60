// RecordsRetention: the daily pruning of old webhook_events, attack_events and monitor run keys (started by a schedule).
import { log, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const retention = proxyActivities<Pick<Activities, 'applyRecordsRetention'>>({
  startToCloseTimeout: '30m',
  // Each batch heartbeats; a stuck attempt is noticed within a minute.
  heartbeatTimeout: '1m',
  retry: { initialInterval: '30s', backoffCoefficient: 2, maximumInterval: '10m', maximumAttempts: 5 },
});

export type RetentionResult = Awaited<ReturnType<Activities['applyRecordsRetention']>>;

export interface RecordsRetentionInput {
  /** Rows per DELETE; default 5000. */
  batchSize?: number;
}

export async function RecordsRetention(input: RecordsRetentionInput = {}): Promise<RetentionResult> {
  const result = await retention.applyRecordsRetention({ nowMs: Date.now(), batchSize: input.batchSize });
  const { webhookEvents, attackEvents, networkAnalyticsEvents, monitorRunKeys } = result.deleted;
  log.info(
    `retention: deleted ${webhookEvents} webhook_events, ${attackEvents} attack_events, ` +
      `${networkAnalyticsEvents} network_analytics_events, ${monitorRunKeys} monitor run keys (operation_keys)`,
  );
  return result;
}
