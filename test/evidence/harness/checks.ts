// Checks of a run against the scenario's own timeline: who may be PATCHed, not before when, exactly once; summaries.
import assert from 'node:assert/strict';
import { A, B, C, CALM_MS, E, EXPECTED_WITHDRAWS, LOOKBACK_MS } from './scenario';
import type { RunResult } from './run';

/**
 * When the calm period of a prefix was complete at the earliest, from the simulator's traffic timeline: calm begins
 * once a whole lookback window holds no attack sample (LOOKBACK_MS after the last attack ended), and CALM_MS of it
 * must pass. Time the analytics were dark does not count (unknown is never calm): once they answer again, calm is
 * counted from the first window read after the blackout, whose end may lie a little before the blackout's end
 * (a late or retried read of a cycle).
 */
export function calmCompleteAtMs(run: RunResult, cidr: string): number {
  const ends = run.attacks.filter((a) => a.cidr === cidr).map((a) => a.endMs ?? Infinity);
  const calmFrom = Math.max(...ends) + LOOKBACK_MS;
  const back = firstWindowAfterDarkMs(run);
  if (run.dark === null || back === null || calmFrom >= back) return calmFrom + CALM_MS;
  const before = Math.max(0, run.dark.fromMs - calmFrom);
  return before >= CALM_MS ? calmFrom + CALM_MS : back + (CALM_MS - before);
}

/** End of the earliest traffic window the analytics answered once the blackout was over. */
export function firstWindowAfterDarkMs(run: RunResult): number | null {
  if (run.dark === null) return null;
  const ends = run.graphqlLog
    .filter((g) => g.answered && g.atMs >= run.dark!.untilMs && typeof g.variables.end === 'string')
    .map((g) => Date.parse(g.variables.end as string));
  return ends.length ? Math.min(...ends) : null;
}

/** No PATCH before calm was complete, exactly one withdraw per expected prefix, in the scenario's order, none else. */
export function assertTimeline(run: RunResult): void {
  const applied = run.patchLog.filter((p) => p.outcome === 'changed');
  assert.deepEqual(
    applied.map((p) => [p.cidr, p.advertised]),
    EXPECTED_WITHDRAWS.map((p) => [p.cidr, false]),
    `${run.name}: applied PATCHes`,
  );
  for (const p of run.patchLog) {
    assert.ok(
      p.cidr !== B.cidr && p.cidr !== E.cidr,
      `${run.name}: ${p.cidr} (locked or under attack) was PATCHed (${p.outcome})`,
    );
    if (p.cidr === null) continue;
    const earliest = calmCompleteAtMs(run, p.cidr);
    assert.ok(
      p.atMs >= earliest,
      `${run.name}: PATCH of ${p.cidr} at T0+${rel(run, p.atMs)} before its calm period was complete (T0+${rel(run, earliest)})`,
    );
  }
  // The database agrees: one successful withdrawal row per withdrawn prefix, written after the PATCH.
  for (const p of EXPECTED_WITHDRAWS) {
    const rows = run.rawWithdrawals.filter((r) => r.prefix === p.cidr && r.status === 'success');
    assert.equal(rows.length, 1, `${run.name}: withdrawal_history rows of ${p.cidr}`);
  }
  assert.equal(run.endings[A.cidr], 'cooldown_elapsed');
  assert.equal(run.endings[C.cidr], 'cooldown_elapsed');
  assert.equal(run.endings[B.cidr], 'protecting', `${run.name}: the locked prefix is still protected`);
  assert.equal(run.endings[E.cidr], 'protecting', `${run.name}: the attacked prefix is still protected`);
}

function rel(run: RunResult, ms: number): string {
  return `${((ms - run.t0) / 1000).toFixed(1)}s`;
}

/** One line of figures for the log and the evidence document (and the run's notes with EVIDENCE_VERBOSE=1). */
export function summary(run: RunResult): string {
  if (process.env.EVIDENCE_VERBOSE === '1') console.log(run.notes.map((n) => `        ${n}`).join('\n'));
  const withdraws = run.patchLog
    .filter((p) => p.outcome === 'changed')
    .map((p) => `${p.cidr} at T0+${rel(run, p.atMs)} (calm complete T0+${rel(run, calmCompleteAtMs(run, p.cidr!))})`)
    .join(', ');
  const failed = run.patchLog.filter((p) => p.outcome !== 'changed').length;
  return (
    `${run.name}: ${(run.durationMs / 1000).toFixed(1)} s in all, ${(run.scenarioMs / 1000).toFixed(1)} s from T0; ` +
    `worker starts ${run.workerStarts}, kills ${run.kills}, server starts ${run.serverStarts}; ` +
    `PATCHes applied ${run.patches.length}, failed ${failed}; withdrawn: ${withdraws}; ` +
    `Telegram ${run.telegram.length} (+${run.telegramStarts} start-up); histories replayed ${run.historiesReplayed}`
  );
}
