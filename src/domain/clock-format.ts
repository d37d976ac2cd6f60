// Times shown to operators: UTC wall-clock text and "at 14:45:30 UTC, in 3m 21s" phrases (time is an input).
import { formatDuration } from './durations';

/** "14:45:30 UTC" when atMs falls on the same UTC day as nowMs, else "2026-01-20 14:45:30 UTC". */
export function formatUtc(atMs: number, nowMs: number): string {
  const at = new Date(atMs).toISOString();
  const sameDay = at.slice(0, 10) === new Date(nowMs).toISOString().slice(0, 10);
  return `${sameDay ? '' : `${at.slice(0, 10)} `}${at.slice(11, 19)} UTC`;
}

/** "14:45:30 UTC, in 3m 21s" (or "…, 2m 05s ago" for a past time, "…, now" for the present second). */
export function formatAtAndIn(atMs: number, nowMs: number): string {
  const delta = atMs - nowMs;
  const rel =
    Math.abs(delta) < 1000 ? 'now' : delta > 0 ? `in ${formatDuration(delta)}` : `${formatDuration(-delta)} ago`;
  return `${formatUtc(atMs, nowMs)}, ${rel}`;
}

/** ISO 8601 text for JSON output, or null. */
export function isoOrNull(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}
