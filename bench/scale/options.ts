// Command line of the scale bench: two presets (1 s cycles; 60 s cycles) and every knob they set.
import { DEV_SERVER_SQLITE_PRAGMAS } from '../../src/runtime/embedded-server';
import { compactDuration, parseDuration } from '../../src/domain/durations';

export interface ScaleOptions {
  preset: '1s' | '60s';
  sizes: number[];
  intervalMs: number;
  lookbackMs: number;
  /** Steady phase: every prefix calm except the attacked cohort (under a continuing attack). */
  steadyMs: number;
  /** Attack phase: a surge on a second cohort pushes the rows past the row limit, then every attack ends. */
  attack: boolean;
  surgeMs: number;
  /** Share of N in each attack cohort. */
  attackFraction: number;
  /** calm_period of the attacked cohort, which is withdrawn at the end of the attack phase. */
  attackCalmMs: number;
  /** Prefixes whose histories are read for lag, events and runs. */
  sample: number;
  /** Hard limit on one N (start-up, ramp, phases, histories, restart); null: budgetFor(n). */
  budgetMs: number | null;
  /** A cycle held when its lag stays under this (p99). */
  lagLimitMs: number;
  restart: boolean;
  cloudflareRateLimits: boolean;
  /** Raise the server's per-workflow limits (pending children and signals, payload size): measures past them. */
  liftServerLimits: boolean;
  /** WORKER_* settings passed to the worker (e.g. WORKER_MAX_CACHED_WORKFLOWS=12000). */
  tuning: Record<string, string>;
  stopOnBreak: boolean;
  jsonFile: string | null;
  keep: boolean;
  /** Where each N's directory (server and worker SQLite files, logs) is made; e.g. /dev/shm to take fsync out. */
  parentDir: string | null;
  /** The dev server's SQLite pragmas (--sqlite-pragma); null: the embedded server's default (WAL). */
  sqlitePragmas: string[] | null;
}

export const USAGE = `usage: npx tsx bench/scale.ts [--preset 1s|60s] [options] N [N ...]
  --preset 1s      1 s cycles, 10 s lookback, 5 min steady (a continue-as-new is seen) + attack phase, p99 lag limit 1 s (default)
  --preset 60s     60 s cycles, 60 s lookback, 3 min steady, no attack phase, p99 lag limit 2 s
  --interval D     check interval            --lookback D   attack lookback
  --steady D       steady phase length
  --budget D       hard time limit per N, aborting that N cleanly (default: phases + 4 min + 100 ms per prefix)
  --attack D       surge length (enables the attack phase)   --no-attack
  --attack-fraction F   share of N in each attack cohort (default 0.1)
  --attack-calm D  calm period of the attacked cohort (they get withdrawn)
  --lag-limit D    p99 lag a held cycle stays under
  --sample K       prefixes whose histories are read (default 50)
  --no-restart     skip the restart measurement
  --cf-rate-limits keep the simulator's Cloudflare rate limits (1200 REST / 300 GraphQL per 5 min)
  --lift-server-limits  raise the dev server's 2,000 pending children / signals and 2 MB payload limits,
                   to measure the worker beyond them (not a configuration to run in production)
  --tune K=V       a WORKER_* setting or CHECK_COHORTS for the worker (repeatable)
  --stop-on-break  skip the larger N once one breaks
  --json FILE      also write every figure as JSON
  --keep           keep each N's directory (worker logs, databases) and print its path
  --dir DIR        make each N's directory under DIR (default: the OS temp dir; /dev/shm takes disk fsyncs out)
  --sqlite-pragma K=V   the dev server's SQLite pragma instead of the default journal_mode=wal (repeatable;
                   journal_mode=delete measures the rollback journal)
  default N: 100 1000 5000 10000`;

const PRESETS: Record<
  ScaleOptions['preset'],
  Omit<
    ScaleOptions,
    'sizes' | 'tuning' | 'jsonFile' | 'keep' | 'stopOnBreak' | 'liftServerLimits' | 'parentDir' | 'sqlitePragmas'
  >
> = {
  '1s': {
    preset: '1s',
    intervalMs: 1000,
    lookbackMs: 10_000,
    steadyMs: 300_000,
    attack: true,
    surgeMs: 20_000,
    attackFraction: 0.1,
    attackCalmMs: 15_000,
    sample: 50,
    budgetMs: null,
    lagLimitMs: 1000,
    restart: true,
    cloudflareRateLimits: false,
  },
  '60s': {
    preset: '60s',
    intervalMs: 60_000,
    lookbackMs: 60_000,
    steadyMs: 180_000,
    attack: false,
    surgeMs: 120_000,
    attackFraction: 0.1,
    attackCalmMs: 120_000,
    sample: 50,
    budgetMs: null,
    lagLimitMs: 2000,
    restart: false,
    cloudflareRateLimits: true,
  },
};

export class UsageError extends Error {}

/** Time allowed to ramp N prefixes up (the supervisor starts them all in its first cycle). */
export function rampAllowanceMs(n: number): number {
  return Math.max(120_000, n * 100);
}

/** The time budget of one N: its phases, the ramp allowance and 4 minutes for start-up, histories and restart. */
export function budgetFor(o: ScaleOptions, n: number): number {
  if (o.budgetMs !== null) return o.budgetMs;
  const attack = o.attack ? o.surgeMs + o.lookbackMs + o.attackCalmMs + Math.max(3 * o.intervalMs, 30_000) : 0;
  return o.steadyMs + attack + rampAllowanceMs(n) + 4 * 60_000;
}

export function parseScaleArgs(argv: readonly string[]): ScaleOptions {
  const presetAt = argv.indexOf('--preset');
  const presetName = presetAt >= 0 ? argv[presetAt + 1] : '1s';
  if (presetName !== '1s' && presetName !== '60s') throw new UsageError(`--preset ${presetName}: must be 1s or 60s`);
  const o: ScaleOptions = {
    ...PRESETS[presetName],
    sizes: [],
    tuning: {},
    liftServerLimits: false,
    stopOnBreak: false,
    jsonFile: null,
    keep: false,
    parentDir: null,
    sqlitePragmas: null,
  };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  const duration = (i: number, flag: string): number => {
    try {
      return parseDuration(value(i, flag));
    } catch (err) {
      throw new UsageError(`${flag}: ${(err as Error).message}`);
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case '--preset':
        i++;
        break;
      case '--interval':
        o.intervalMs = duration(i++, a);
        break;
      case '--lookback':
        o.lookbackMs = duration(i++, a);
        break;
      case '--steady':
        o.steadyMs = duration(i++, a);
        break;
      case '--budget':
        o.budgetMs = duration(i++, a);
        break;
      case '--attack':
        o.attack = true;
        o.surgeMs = duration(i++, a);
        break;
      case '--no-attack':
        o.attack = false;
        break;
      case '--attack-calm':
        o.attackCalmMs = duration(i++, a);
        break;
      case '--attack-fraction': {
        const f = Number(value(i++, a));
        if (!(f > 0 && f <= 0.4)) throw new UsageError(`${a}: must be a number above 0 and at most 0.4`);
        o.attackFraction = f;
        break;
      }
      case '--lag-limit':
        o.lagLimitMs = duration(i++, a);
        break;
      case '--sample': {
        const k = Number(value(i++, a));
        if (!Number.isInteger(k) || k < 1) throw new UsageError(`${a}: must be a whole number ≥ 1`);
        o.sample = k;
        break;
      }
      case '--no-restart':
        o.restart = false;
        break;
      case '--cf-rate-limits':
        o.cloudflareRateLimits = true;
        break;
      case '--lift-server-limits':
        o.liftServerLimits = true;
        break;
      case '--no-cf-rate-limits':
        o.cloudflareRateLimits = false;
        break;
      case '--tune': {
        const m = /^(WORKER_[A-Z_]+|CHECK_COHORTS)=(.+)$/.exec(value(i++, a));
        if (!m) throw new UsageError(`${a}: write it as WORKER_SETTING=value or CHECK_COHORTS=value`);
        o.tuning[m[1]!] = m[2]!;
        break;
      }
      case '--stop-on-break':
        o.stopOnBreak = true;
        break;
      case '--json':
        o.jsonFile = value(i++, a);
        break;
      case '--keep':
        o.keep = true;
        break;
      case '--dir':
        o.parentDir = value(i++, a);
        break;
      case '--sqlite-pragma': {
        const kv = value(i++, a);
        if (!/^(journal_mode|synchronous)=[a-z0-9]+$/i.test(kv)) {
          throw new UsageError(
            `${a} ${kv}: write it as journal_mode=… or synchronous=… (the ones the dev server takes)`,
          );
        }
        (o.sqlitePragmas ??= []).push(kv);
        break;
      }
      default: {
        const n = Number(a);
        if (!Number.isInteger(n) || n < 2 || n > 65_000) throw new UsageError(`unknown argument ${a}`);
        o.sizes.push(n);
      }
    }
  }
  if (o.sizes.length === 0) o.sizes = [100, 1000, 5000, 10_000];
  if (o.intervalMs < 1000) throw new UsageError('--interval: at least 1s (the simulator samples per second)');
  return o;
}

export function describeOptions(o: ScaleOptions): string {
  const d = compactDuration;
  return [
    `preset ${o.preset}: interval ${d(o.intervalMs)}, lookback ${d(o.lookbackMs)}, steady ${d(o.steadyMs)}`,
    o.attack
      ? `attack phase: ${Math.round(o.attackFraction * 100)}% attacked then withdrawn (calm ${d(o.attackCalmMs)}), +${Math.round(o.attackFraction * 100)}% surge for ${d(o.surgeMs)} past the row limit`
      : 'no attack phase',
    `sample ${o.sample} histories, budget ${o.budgetMs === null ? 'auto' : d(o.budgetMs)} per N, held = p99 lag < ${d(o.lagLimitMs)}, ≥ 95% of cycles, none skipped, no errors`,
    `Cloudflare rate limits ${o.cloudflareRateLimits ? 'on' : 'off'}, restart ${o.restart ? 'measured' : 'skipped'}${o.liftServerLimits ? ', SERVER LIMITS LIFTED (pending children/signals 100k, payloads 64 MB)' : ''}`,
    `files under ${o.parentDir ?? 'the OS temp dir'}; server SQLite ${(o.sqlitePragmas ?? DEV_SERVER_SQLITE_PRAGMAS).join(' ')}; tuning: ${
      Object.entries(o.tuning)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ') || 'defaults (WORKER_* unset)'
    }`,
  ].join('\n');
}
