// The scale bench's lag arithmetic: measured against the originally scheduled time, skipped grid points counted.
import assert from 'node:assert/strict';
import { cyclesOf, percentile, type HistoryFacts } from '../../bench/scale/cycles';

const S = 1000;
const m = (windowEndMs: number, startedAtMs: number | null, timerFiredAtMs: number | null = null) => ({
  windowEndMs,
  scheduledAtMs: (startedAtMs ?? windowEndMs) - 5,
  startedAtMs,
  timerFiredAtMs,
});

describe('scale bench: cycle lag from a history', () => {
  it('a late cycle moved forward by the workflow keeps its lag and counts the grid points it jumped', () => {
    // Due at 11 s; the workflow only got to it at 13.4 s and measured the 13 s window instead.
    const facts: HistoryFacts = {
      carriedLastCycleAtMs: 10 * S,
      measurements: [m(11 * S, 11 * S + 40, 11 * S + 10), m(13 * S, 13 * S + 400), m(14 * S, 14 * S + 30)],
      eventTimesMs: [],
    };
    const cycles = cyclesOf(facts, S, 20 * S, false);
    assert.deepEqual(
      cycles.map((c) => [c.dueAtMs, c.lagMs, c.skipped]),
      [
        [11 * S, 40, 0],
        [12 * S, 1400, 1],
        [14 * S, 30, 0],
      ],
    );
    assert.equal(cycles[0]!.timerLateMs, 10);
    assert.equal(cycles[0]!.workflowTaskMs, 25);
    assert.equal(cycles[0]!.activityQueueMs, 5);
  });

  it('a first run has no scheduled time for its first cycle; a stalled open run counts its overdue cycle', () => {
    const facts: HistoryFacts = { carriedLastCycleAtMs: null, measurements: [m(5 * S, 5 * S + 20)], eventTimesMs: [] };
    assert.deepEqual(cyclesOf(facts, S, 5 * S + 500, true), []);
    const stalled = cyclesOf(facts, S, 9 * S + 500, true);
    assert.deepEqual(
      stalled.map((c) => [c.dueAtMs, c.lagMs, c.started, c.skipped]),
      [[6 * S, 3500, false, 3]],
    );
    assert.deepEqual(cyclesOf(facts, S, 9 * S + 500, false), [], 'a closed run hands over to its successor');
  });

  it('a measurement scheduled but not started is as late as the read time says', () => {
    const facts: HistoryFacts = {
      carriedLastCycleAtMs: 1 * S,
      measurements: [m(2 * S, null)],
      eventTimesMs: [],
    };
    const [c] = cyclesOf(facts, S, 4 * S, true);
    assert.deepEqual([c!.lagMs, c!.started, c!.activityQueueMs], [2 * S, false, null]);
  });

  it('percentile is nearest-rank and ignores non-numbers', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.deepEqual([percentile(v, 0.5), percentile(v, 0.99), percentile(v, 1)], [50, 99, 100]);
    assert.ok(Number.isNaN(percentile([NaN], 0.5)));
  });
});
