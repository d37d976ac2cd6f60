// Pure rules around a withdraw: event IDs, retry back-off after a failed withdraw, the re-advertise cooldown.

/** Operators' event ID format: UTC timestamp plus the action, e.g. "20260119143000-withdraw". */
export function eventIdFor(atMs: number, action: 'withdraw' | 'advertise'): string {
  const iso = new Date(atMs).toISOString(); // 2026-01-19T14:30:00.000Z
  return `${iso.slice(0, 19).replace(/[-:T]/g, '')}-${action}`;
}

/** After n failed withdraw rounds, wait 5, 10, 20, 40 then 60 minutes before trying again. */
export function withdrawRetryDelayMs(failedRounds: number): number {
  const minutes = Math.min(60, 5 * 2 ** Math.max(0, failedRounds - 1));
  return minutes * 60_000;
}

/**
 * Cloudflare refuses to re-advertise for a while after a withdraw. The cooldown ends at the later of our own
 * withdraw and Cloudflare's last advertisement change, plus the cooldown.
 */
export function cooldownEndsAtMs(
  withdrawnAtMs: number | null,
  advertisedModifiedAtMs: number | null,
  cooldownMs: number,
): number {
  return Math.max(withdrawnAtMs ?? 0, advertisedModifiedAtMs ?? 0) + cooldownMs;
}

/**
 * Next cycle boundary strictly after nowMs. The boundaries are offsetMs + k × intervalMs: every prefix of one cohort
 * measures the same window in a cycle (one shared query), and the cohorts are spread over the interval.
 */
export function nextCycleAtMs(nowMs: number, intervalMs: number, offsetMs = 0): number {
  return (Math.floor((nowMs - offsetMs) / intervalMs) + 1) * intervalMs + offsetMs;
}

/** The boundary at or before nowMs. */
export function currentCycleAtMs(nowMs: number, intervalMs: number, offsetMs = 0): number {
  return Math.floor((nowMs - offsetMs) / intervalMs) * intervalMs + offsetMs;
}

/** The cohort of the prefix at `index` in the sorted mapping: round-robin, so cohort sizes differ by at most one. */
export function cohortOf(index: number, cohorts: number): number {
  return cohorts <= 1 ? 0 : index % cohorts;
}

/**
 * Where the supervisor reconciles inside the interval: half-way between the first two cohorts' cycles, so its list
 * reads and the signals it sends never land on a cohort's burst (nor race a child's own cycle timer).
 */
export function reconcileOffsetMs(cohorts: number, intervalMs: number): number {
  return Math.floor(intervalMs / (2 * Math.max(1, cohorts)));
}

/** Where a cohort's cycles fall inside the interval: cohorts evenly spaced, cohort 0 on the plain grid. */
export function cohortOffsetMs(cohort: number, cohorts: number, intervalMs: number): number {
  return cohorts <= 1 ? 0 : Math.floor((cohort * intervalMs) / cohorts);
}
