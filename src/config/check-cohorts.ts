// CHECK_COHORTS: into how many phase cohorts the prefixes' cycles are spread inside the check interval.
// Each cohort makes one GraphQL query per cycle, so the count is bounded by Cloudflare's GraphQL budget.

/** Cloudflare's default GraphQL quota: 300 queries per 5-minute window (on top of the REST limits). */
export const GRAPHQL_QUERIES_PER_5_MIN = 300;
const FIVE_MINUTES_MS = 300_000;
export const MAX_CHECK_COHORTS = 60;
/**
 * auto: one cohort per this many configured prefixes (a small fleet keeps ONE query per cycle). A cohort's cycles wake
 * together, and on 2 cores 150 at once were late by 2.7 s (p99) where 50 were by 1.1 s (docs/scale.md).
 */
export const PREFIXES_PER_AUTO_COHORT = 50;
/** auto stays within a fifth of the budget (60 queries per 5 minutes: 12 cohorts at 60 s cycles). */
const AUTO_BUDGET_SHARE = 0.2;
/** An explicit count may use at most half of the budget; the rest is for retries, manual reads and the monitor. */
const EXPLICIT_BUDGET_SHARE = 0.5;

export interface CheckCohorts {
  setting: 'auto' | number;
  /** The effective number of cohorts (1: every prefix on the same grid point). */
  count: number;
}

/** Measurement queries per 5 minutes with this many cohorts: one per cohort per cycle. */
export function queriesPerFiveMinutes(cohorts: number, checkIntervalMs: number): number {
  return (cohorts * FIVE_MINUTES_MS) / checkIntervalMs;
}

/** The most cohorts whose queries stay within `share` of the budget at this interval (at least 1). */
function budgetCap(checkIntervalMs: number, share: number): number {
  const perCycle = Math.floor((GRAPHQL_QUERIES_PER_5_MIN * share * checkIntervalMs) / FIVE_MINUTES_MS);
  return Math.max(1, Math.min(MAX_CHECK_COHORTS, perCycle));
}

/** auto: ceil(prefixes / 50), at least 1, at most what a fifth of the GraphQL budget allows at this interval. */
export function autoCohorts(prefixCount: number, checkIntervalMs: number): number {
  const wanted = Math.max(1, Math.ceil(prefixCount / PREFIXES_PER_AUTO_COHORT));
  return Math.min(wanted, budgetCap(checkIntervalMs, AUTO_BUDGET_SHARE));
}

/** Parses CHECK_COHORTS (auto | 1..60); a problem names the setting, the value and what is allowed. */
export function loadCheckCohorts(
  raw: string,
  prefixCount: number,
  checkIntervalMs: number,
  problems: string[],
): CheckCohorts {
  const value = raw.trim().toLowerCase();
  if (value === 'auto') return { setting: 'auto', count: autoCohorts(prefixCount, checkIntervalMs) };
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= MAX_CHECK_COHORTS)) {
    problems.push(`CHECK_COHORTS=${raw}: must be auto or a whole number from 1 to ${MAX_CHECK_COHORTS}`);
    return { setting: 'auto', count: autoCohorts(prefixCount, checkIntervalMs) };
  }
  const cap = budgetCap(checkIntervalMs, EXPLICIT_BUDGET_SHARE);
  if (n > cap) {
    const queries = Math.round(queriesPerFiveMinutes(n, checkIntervalMs));
    problems.push(
      `CHECK_COHORTS=${n}: ${n} GraphQL queries per check interval of ${checkIntervalMs / 1000}s are ${queries} per 5 minutes, more than half of Cloudflare's budget of ${GRAPHQL_QUERIES_PER_5_MIN}; at most ${cap} at this CHECK_INTERVAL`,
    );
    return { setting: 'auto', count: autoCohorts(prefixCount, checkIntervalMs) };
  }
  return { setting: n, count: n };
}
