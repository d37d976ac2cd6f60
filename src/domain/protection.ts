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

/** Next aligned cycle boundary strictly after nowMs: every prefix measures the same window in a cycle. */
export function nextCycleAtMs(nowMs: number, intervalMs: number): number {
  return (Math.floor(nowMs / intervalMs) + 1) * intervalMs;
}

/** The boundary at or before nowMs. */
export function currentCycleAtMs(nowMs: number, intervalMs: number): number {
  return Math.floor(nowMs / intervalMs) * intervalMs;
}
