// Request budget on the simulator's clock: N requests per sliding window, then everything is refused for a while.

export interface RateLimitOptions {
  requests: number;
  windowMs: number;
  /** How long every call is refused once the budget is spent; default 5 minutes. */
  blockMs?: number;
}

export interface RateLimiter {
  /** Counts one request; returns the wait in ms when it must be refused, else null. */
  hit(): number | null;
  reset(): void;
}

export function createRateLimiter(opts: RateLimitOptions | false, clock: () => number): RateLimiter {
  if (opts === false) return { hit: () => null, reset: () => undefined };
  const blockMs = opts.blockMs ?? 5 * 60_000;
  let times: number[] = [];
  let blockedUntil = -Infinity;
  return {
    hit() {
      const now = clock();
      if (now < blockedUntil) return blockedUntil - now;
      times = times.filter((t) => now - t < opts.windowMs);
      if (times.length >= opts.requests) {
        blockedUntil = now + blockMs;
        times = [];
        return blockMs;
      }
      times.push(now);
      return null;
    },
    reset() {
      times = [];
      blockedUntil = -Infinity;
    },
  };
}
