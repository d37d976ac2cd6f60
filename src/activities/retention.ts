// The retention activity: prunes webhook_events, attack_events, the monitor's old run keys (and
// network_analytics_events when configured) older than their keep periods, batch by batch, heartbeating its progress
// and yielding between batches, and returns what it deleted.
import { Context } from '@temporalio/activity';
import type { DatabaseHandle } from '../db/connection';
import { applyRetention, type RetentionPolicy, type RetentionResult } from '../db/retention';

export interface RetentionActivityDeps {
  database: DatabaseHandle;
  retention: RetentionPolicy;
}

export function createRetentionActivities(deps: RetentionActivityDeps) {
  return {
    /** Cut-offs come from the workflow's time, so a retried attempt deletes exactly what the first one meant to. */
    async applyRecordsRetention(input: { nowMs: number; batchSize?: number }): Promise<RetentionResult> {
      const ctx = Context.current();
      return applyRetention(deps.database, {
        nowMs: input.nowMs,
        policy: deps.retention,
        batchSize: input.batchSize,
        onBatch: (progress) => {
          ctx.heartbeat(progress);
          // A cancelled run (workflow cancelled, heartbeat timeout) stops between batches; deleted batches stay.
          if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
        },
      });
    },
  };
}

export type RetentionActivities = ReturnType<typeof createRetentionActivities>;
