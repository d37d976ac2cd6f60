// Reads real workflow histories from the server: every run of a prefix workflow, its measurement activities and
// events, and the runs ended by continue-as-new.
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { tsToMs } from '@temporalio/common/lib/time';
import type { HistoryFacts } from './cycles';

type Event = temporal.api.history.v1.IHistoryEvent;
type Payloads = temporal.api.common.v1.IPayloads | null | undefined;

function firstJson(p: Payloads): unknown {
  const data = p?.payloads?.[0]?.data;
  if (!data) return undefined;
  try {
    return JSON.parse(Buffer.from(data).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export interface RunFacts extends HistoryFacts {
  runId: string;
  startMs: number;
  closeMs: number | null;
  status: string;
  historyLength: number;
  /** Bytes of the run's input (the carried state after a continue-as-new). */
  inputBytes: number;
  /** Failed or timed-out workflow tasks, and measurement activities that failed or timed out. */
  workflowTaskFailures: number;
  measureFailures: number;
}

export function factsOfHistory(
  events: readonly Event[],
): Omit<RunFacts, 'runId' | 'startMs' | 'closeMs' | 'status' | 'historyLength'> {
  let carriedLastCycleAtMs: number | null = null;
  let inputBytes = 0;
  const scheduled = new Map<string, RunFacts['measurements'][number]>();
  const measurements: RunFacts['measurements'] = [];
  const eventTimesMs: number[] = [];
  let lastTimerFiredMs: number | null = null;
  let workflowTaskFailures = 0;
  let measureFailures = 0;
  for (const e of events) {
    const at = tsToMs(e.eventTime);
    eventTimesMs.push(at);
    const id = String(e.eventId);
    if (e.workflowExecutionStartedEventAttributes) {
      const input = e.workflowExecutionStartedEventAttributes.input;
      inputBytes = (input?.payloads ?? []).reduce((n, p) => n + (p.data?.length ?? 0), 0);
      const arg = firstJson(input) as { carried?: { lastCycleAtMs?: number | null } } | undefined;
      carriedLastCycleAtMs = arg?.carried?.lastCycleAtMs ?? null;
    } else if (e.timerFiredEventAttributes) {
      lastTimerFiredMs = at;
    } else if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'measureDroppedTraffic') {
      const input = firstJson(e.activityTaskScheduledEventAttributes.input) as { windowEndMs?: number } | undefined;
      const m: RunFacts['measurements'][number] = {
        windowEndMs: input?.windowEndMs ?? NaN,
        scheduledAtMs: at,
        startedAtMs: null,
        timerFiredAtMs: lastTimerFiredMs,
      };
      lastTimerFiredMs = null;
      scheduled.set(id, m);
      measurements.push(m);
    } else if (e.activityTaskStartedEventAttributes) {
      const m = scheduled.get(String(e.activityTaskStartedEventAttributes.scheduledEventId));
      if (m) m.startedAtMs = at;
    } else if (e.activityTaskCompletedEventAttributes) {
      const m = scheduled.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId));
      if (!m) continue;
      const r = firstJson(e.activityTaskCompletedEventAttributes.result) as
        { packets?: number; unattributedPackets?: number } | undefined;
      m.cutOff = (r?.unattributedPackets ?? 0) > 0;
      m.dropped = (r?.packets ?? 0) > 0;
    } else if (e.activityTaskFailedEventAttributes || e.activityTaskTimedOutEventAttributes) {
      const ref =
        e.activityTaskFailedEventAttributes?.scheduledEventId ??
        e.activityTaskTimedOutEventAttributes?.scheduledEventId;
      if (scheduled.has(String(ref))) measureFailures += 1;
    } else if (e.workflowTaskFailedEventAttributes || e.workflowTaskTimedOutEventAttributes) {
      workflowTaskFailures += 1;
    }
  }
  return {
    carriedLastCycleAtMs,
    measurements,
    eventTimesMs,
    inputBytes,
    workflowTaskFailures,
    measureFailures,
  };
}

export async function runsOf(client: Client, workflowId: string): Promise<WorkflowExecutionInfo[]> {
  const runs: WorkflowExecutionInfo[] = [];
  for await (const r of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(r);
  return runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
}

/** Every run of the workflow that overlaps [fromMs, toMs), with the facts of its history. */
export async function runFacts(client: Client, workflowId: string, fromMs: number, toMs: number): Promise<RunFacts[]> {
  const out: RunFacts[] = [];
  for (const r of await runsOf(client, workflowId)) {
    const startMs = r.startTime.getTime();
    const closeMs = r.closeTime?.getTime() ?? null;
    if (startMs >= toMs || (closeMs !== null && closeMs < fromMs)) continue;
    const history = await client.workflow.getHandle(workflowId, r.runId).fetchHistory();
    out.push({
      runId: r.runId,
      startMs,
      closeMs,
      status: r.status.name,
      historyLength: history.events?.length ?? r.historyLength,
      ...factsOfHistory(history.events ?? []),
    });
  }
  return out;
}
