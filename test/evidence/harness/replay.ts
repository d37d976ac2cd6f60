// Replays every workflow history a run produced (all runs, open and closed) with today's workflow code: a worker
// killed mid-task, a restarted server or a continue-as-new must leave histories that replay without nondeterminism.
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { quietTemporalRuntime, workflowBundle } from '../../helpers/temporal';

export interface ReplayReport {
  replayed: number;
  failures: string[];
}

export async function replayEveryHistory(client: Client): Promise<ReplayReport> {
  quietTemporalRuntime();
  const report: ReplayReport = { replayed: 0, failures: [] };
  const histories = client.workflow.list().intoHistories();
  const results = Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories);
  for await (const r of results) {
    report.replayed++;
    if (r.error) report.failures.push(`${r.workflowId} (${r.runId}): ${r.error.name}: ${r.error.message}`);
  }
  return report;
}
