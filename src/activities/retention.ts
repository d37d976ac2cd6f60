// The retention activity: prunes webhook_events, attack_events (and network_analytics_events when configured)
// older than their keep periods, batch by batch with a heartbeat, and returns what it deleted.
import { heartbeat } from '@temporalio/activity';
import type { DatabaseHandle } from '../db/connection';
import { applyRetention, type RetentionPolicy, type RetentionResult } from '../db/retention';

export interface RetentionActivityDeps {
  database: DatabaseHandle;
  retention: RetentionPolicy;
}

export function createRetentionActivities(deps: RetentionActivityDeps) {
  return {
    /** Cut-offs come from the workflow's time, so a retried attempt deletes exactly what the first one meant to. */
    // eslint-disable-next-line @typescript-eslint/require-await
    async applyRecordsRetention(input: { nowMs: number; batchSize?: number }): Promise<RetentionResult> {
      return applyRetention(deps.database, {
        nowMs: input.nowMs,
        policy: deps.retention,
        batchSize: input.batchSize,
        onBatch: (table, deleted) => heartbeat({ table, deleted }),
      });
    },
  };
}

export type RetentionActivities = ReturnType<typeof createRetentionActivities>;
