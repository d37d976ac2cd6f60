// The evidence scenario, as data: four prefixes, their attacks on a timeline relative to T0, and what must follow.
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestPrefix } from '../../helpers/fixture';

/** One workflow bundle cache for every worker this test process starts (webpack runs once, not at each restart). */
const BUNDLE_CACHE = join(tmpdir(), `mtaw-evidence-bundle-${process.pid}`);
process.on('exit', () => rmSync(BUNDLE_CACHE, { recursive: true, force: true }));

export const CHECK_MS = 1_000;
export const CALM_MS = 8_000;
export const LOOKBACK_MS = 3_000;

/** Settings every run shares (worker and receiver): 1 s cycles, 8 s calm, no schedules firing mid-run. */
export const SCENARIO_ENV: Record<string, string> = {
  CHECK_INTERVAL: '1s',
  CALM_PERIOD: '8s',
  ATTACK_LOOKBACK: '3s',
  READVERTISE_COOLDOWN: '2s',
  MIN_ADVERTISED_DURATION: '0s',
  // Freshness is judged by the newest sample's datetimeMinute: up to a minute old by construction.
  TELEMETRY_MAX_AGE: '2m',
  // The network analytics monitor would fire at 5-minute boundaries, i.e. in some runs and not in others.
  MONITOR_INTERVAL: 'off',
  CLOUDFLARE_TIMEOUT: '2s',
  TELEGRAM_TIMEOUT: '3s',
  LOG_LEVEL: 'info',
  // After a SIGKILL, tasks wait this long on the dead worker's sticky queue before another worker may take them.
  WORKER_STICKY_QUEUE_TIMEOUT: '1s',
  WORKER_BUNDLE_CACHE: BUNDLE_CACHE,
};

/** Secrets configured in every run (the secrets test looks for each of them everywhere). */
export const WEBHOOK_SECRET = 'evidence-webhook-secret-5d1c9a7e3f';
/** Sent to the dev server (which ignores it) as every client's API key; TLS stays off on loopback. */
export const TEMPORAL_API_KEY = 'evidence-temporal-api-key-8b2f6d4a';

export const A: TestPrefix = {
  cidr: '185.54.81.0/24',
  description: 'attack, calm, withdraw',
  parentPrefixId: 'p4',
  bgpPrefixId: 'a81',
  advertised: true,
};
export const B: TestPrefix = {
  cidr: '185.54.82.0/24',
  description: 'locked at Cloudflare',
  parentPrefixId: 'p4',
  bgpPrefixId: 'b82',
  advertised: true,
  locked: true,
};
export const C: TestPrefix = {
  cidr: '185.54.83.0/24',
  description: 'attacked twice',
  parentPrefixId: 'p4',
  bgpPrefixId: 'c83',
  advertised: true,
};
export const E: TestPrefix = {
  cidr: '2a02:4460:1::/48',
  description: 'under attack throughout',
  parentPrefixId: 'p6',
  bgpPrefixId: 'e6',
  advertised: true,
};
export const PREFIXES: readonly TestPrefix[] = [A, B, C, E];

/**
 * Offsets from T0 (the moment every prefix is seen under attack). Each attack began a minute before T0.
 * A: ends at +6 s. B: ends at +6 s (locked: calm, never changed). C: ends at +2 s, attacked again from +11 s
 * (before its calm period can complete: at most 6 s of calm by then), and that attack ends 1-2 s after A's
 * withdraw, at +17 s at the earliest — so C's withdraw always comes after A's, whatever delays a run suffers.
 * E: attacked until the end of the run.
 */
export const TIMELINE = {
  aEndMs: 6_000,
  bEndMs: 6_000,
  cFirstEndMs: 2_000,
  cSecondStartMs: 11_000,
  cSecondEndNotBeforeMs: 17_000,
  /** The START webhook is posted at T0, the END one when A's attack ends. */
  webhookAttackId: 'evidence-attack-a81',
} as const;

/** The PATCHes the scenario calls for, in order: A withdrawn, then C. */
export const EXPECTED_WITHDRAWS: readonly TestPrefix[] = [A, C];

export const ATTACK = { packetsPerSecond: 40_000, bitsPerSecond: 3e8, outcome: 'drop' as const };
