// Cycle timing from a prefix workflow's history: each measurement against the time it was originally scheduled for.
//
// The workflow moves a late cycle forward (lastCycleAtMs = max(cycleAt, current grid point)), so the activity's
// windowEndMs hides the delay. The scheduled time of cycle k is the previous cycle's window end plus the interval
// (cycles sit on the interval grid); its lag is when the measurement activity started minus that time, and grid
// points jumped over are skipped cycles.

export interface HistoryFacts {
  /** lastCycleAtMs carried into this run by continue-as-new; null for a first run. */
  carriedLastCycleAtMs: number | null;
  /** Measurement activities in history order. */
  measurements: Array<{
    windowEndMs: number;
    scheduledAtMs: number;
    /** null: scheduled but not started when the history was read. */
    startedAtMs: number | null;
    /** The TimerFired between the previous measurement and this one (the cycle's wait), if any. */
    timerFiredAtMs: number | null;
    /** The answer was cut off by the row limit (traffic left unattributed); it showed drops for this prefix. */
    cutOff?: boolean;
    dropped?: boolean;
  }>;
  /** Every event's time, for events per hour. */
  eventTimesMs: number[];
}

export interface Cycle {
  /** When the cycle should have run: the previous cycle plus one interval. */
  dueAtMs: number;
  windowEndMs: number;
  /** Activity start − due time; for a measurement not started yet, readAt − due time (a lower bound). */
  lagMs: number;
  started: boolean;
  /** Grid points jumped over before this cycle. */
  skipped: number;
  cutOff: boolean;
  dropped: boolean;
  /** Parts of the lag: timer fired late (server), workflow task (worker) and activity queue. */
  timerLateMs: number | null;
  workflowTaskMs: number | null;
  activityQueueMs: number | null;
}

/** open: the run is still running at readAtMs (a due cycle not yet scheduled is then counted as late). */
export function cyclesOf(facts: HistoryFacts, intervalMs: number, readAtMs: number, open: boolean): Cycle[] {
  const out: Cycle[] = [];
  let prev = facts.carriedLastCycleAtMs;
  for (const m of facts.measurements) {
    if (prev !== null) {
      const dueAtMs = prev + intervalMs;
      const start = m.startedAtMs ?? readAtMs;
      const fired = m.timerFiredAtMs;
      out.push({
        dueAtMs,
        windowEndMs: m.windowEndMs,
        lagMs: start - dueAtMs,
        started: m.startedAtMs !== null,
        skipped: Math.max(0, Math.round((m.windowEndMs - prev) / intervalMs) - 1),
        cutOff: m.cutOff === true,
        dropped: m.dropped === true,
        timerLateMs: fired === null ? null : fired - dueAtMs,
        workflowTaskMs: m.scheduledAtMs - (fired ?? dueAtMs),
        activityQueueMs: m.startedAtMs === null ? null : m.startedAtMs - m.scheduledAtMs,
      });
    }
    prev = m.windowEndMs;
  }
  // A cycle that is due but has not even been scheduled counts too: a stalled workflow must not look punctual.
  if (open && prev !== null && readAtMs - (prev + intervalMs) > intervalMs) {
    out.push({
      dueAtMs: prev + intervalMs,
      windowEndMs: NaN,
      lagMs: readAtMs - (prev + intervalMs),
      started: false,
      skipped: Math.max(0, Math.floor((readAtMs - prev) / intervalMs) - 1),
      cutOff: false,
      dropped: false,
      timerLateMs: null,
      workflowTaskMs: null,
      activityQueueMs: null,
    });
  }
  return out;
}

/** p in [0, 1]; nearest-rank on a sorted copy; NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil(p * v.length) - 1))]!;
}
