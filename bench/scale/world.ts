// The world of one scale run: dev server (own process, SQLite), loopback Cloudflare and Telegram, N prefixes, and
// worker.ts as its own process with the settings operators use (env file, WORKER_* tuning).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/runtime/embedded-server';
import { freePort } from '../../src/runtime/free-port';
import { startCloudflareSimulator, type CloudflareSimulator } from '../../src/simulators/cloudflare';
import { startTelegramSimulator, type TelegramSimulator } from '../../src/simulators/telegram';

const ROOT = resolve(__dirname, '..', '..');
const ACCOUNT_ID = '9035f53656c247e895c5a6939ae8a0e0';
const CF_TOKEN = 'cf-bench-token-4b1c9e7a2d';
const TG_TOKEN = '987654321:AAbenchTelegramBotSecret';
const CHAT_ID = '-1001234567890';
export const TASK_QUEUE = 'scale';
const PARENTS = 4;
/** Per-workflow server limits the supervisor meets first at scale (defaults: 2,000, 2,000, 2 MB / 512 KB). */
const LIFTED_LIMITS = [
  'limit.numPendingChildExecutions.error=100000',
  'limit.numPendingSignals.error=100000',
  'limit.blobSize.error=67108864',
  'limit.blobSize.warn=67108864',
];

export interface BenchPrefix {
  cidr: string;
  parentPrefixId: string;
  bgpPrefixId: string;
  /**
   * calm: never attacked. attacked: under attack from the start, with a short calm period, so it is withdrawn once
   * the attack ends. surge: attacked only during the surge (pushing the answer past the row limit).
   */
  role: 'calm' | 'attacked' | 'surge';
}

export interface WorldOptions {
  n: number;
  /** Size of the attacked cohort and of the surge cohort (0: no attacks at all). */
  cohortSize: number;
  /** Worker environment: CHECK_INTERVAL, lookback, row limit, WORKER_* tuning, … */
  workerEnv: Record<string, string>;
  /** calm_period of the attack cohort (mapping-file override). */
  attackCalmPeriod: string;
  cloudflareRateLimits: boolean;
  liftServerLimits: boolean;
  parentDir?: string | null;
  /** The dev server's SQLite pragmas; null: the embedded server's default. */
  sqlitePragmas?: string[] | null;
}

export interface WorkerProc {
  proc: ChildProcess;
  pid: number;
  startedAtMs: number;
  exited: Promise<number | null>;
  /** Log lines at warn (40) and above, parsed from the worker's JSON output. */
  problems(): { warn: number; error: number; samples: string[] };
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface World {
  dir: string;
  prefixes: BenchPrefix[];
  server: EmbeddedServer;
  cf: CloudflareSimulator;
  tg: TelegramSimulator;
  client: Client;
  databasePath: string;
  metricsUrl: string;
  envFile: string;
  startWorker(): WorkerProc;
  close(): Promise<void>;
}

/** N prefixes; each cohort of cohortSize spread evenly over the list (and so over the parents). */
export function benchPrefixes(n: number, cohortSize: number): BenchPrefix[] {
  const role = new Map<number, BenchPrefix['role']>();
  const every = cohortSize > 0 ? n / (2 * cohortSize) : Infinity;
  for (let k = 0; k < 2 * cohortSize; k++) role.set(Math.floor(k * every), k % 2 === 0 ? 'attacked' : 'surge');
  return Array.from({ length: n }, (_, i) => ({
    cidr: `10.${Math.floor(i / 250)}.${i % 250}.0/24`,
    parentPrefixId: `parent${i % PARENTS}`,
    bgpPrefixId: `bgp${i}`,
    role: role.get(i) ?? 'calm',
  }));
}

export async function startWorld(opts: WorldOptions): Promise<World> {
  const dir = mkdtempSync(join(opts.parentDir ?? tmpdir(), 'mtaw-scale-'));
  const prefixes = benchPrefixes(opts.n, opts.cohortSize);
  const cleanups: Array<() => unknown> = [() => rmSync(dir, { recursive: true, force: true })];
  const close = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
  };
  try {
    const server = await startEmbeddedServer({
      dbFile: join(dir, 'temporal.db'),
      port: await freePort(),
      uiPort: null,
      logFile: join(dir, 'temporal-server.log'),
      extraArgs: opts.liftServerLimits ? LIFTED_LIMITS.flatMap((kv) => ['--dynamic-config-value', kv]) : [],
      ...(opts.sqlitePragmas ? { sqlitePragmas: opts.sqlitePragmas } : {}),
    });
    cleanups.push(() => server.stop());
    const cf = await startCloudflareSimulator({
      accountId: ACCOUNT_ID,
      token: CF_TOKEN,
      sampleIntervalMs: 1000,
      ...(opts.cloudflareRateLimits ? {} : { rateLimit: false, graphqlRateLimit: false }),
    });
    cleanups.push(() => cf.close());
    const tg = await startTelegramSimulator({ token: TG_TOKEN, chats: [CHAT_ID] });
    cleanups.push(() => tg.close());
    const now = Date.now();
    for (const p of prefixes) {
      cf.state.addPrefix({
        parentPrefixId: p.parentPrefixId,
        bgpPrefixId: p.bgpPrefixId,
        cidr: p.cidr,
        advertised: true,
        locked: false,
        // Advertised long ago: Cloudflare's minimum advertised time never blocks a withdraw here.
        advertisedModifiedAtMs: now - 2 * 3_600_000,
      });
    }
    // Freshness is account-wide (the newest sample of any prefix): a few background flows keep the data fresh
    // without making the simulator's work grow with N.
    for (const p of prefixes.filter((x) => x.role === 'calm').slice(0, 4))
      cf.traffic.addBackground(p.cidr, { startMs: now - 3_600_000 });

    const mappingPath = join(dir, 'prefix_mapping.json');
    writeFileSync(
      mappingPath,
      JSON.stringify(
        Object.fromEntries(
          prefixes.map((p, i) => [
            p.cidr,
            {
              parent_prefix_id: p.parentPrefixId,
              bgp_prefix_id: p.bgpPrefixId,
              description: `bench prefix ${i}`,
              ...(p.role === 'attacked' ? { calm_period: opts.attackCalmPeriod } : {}),
            },
          ]),
        ),
      ),
    );
    const databasePath = join(dir, 'db', 'magic_transit.db');
    mkdirSync(join(dir, 'db'), { recursive: true });
    const metricsPort = await freePort();
    const env: Record<string, string> = {
      CLOUDFLARE_ACCOUNT_ID: ACCOUNT_ID,
      CLOUDFLARE_API_TOKEN: CF_TOKEN,
      CLOUDFLARE_API_BASE_URL: cf.baseUrl,
      TELEGRAM_BOT_TOKEN: TG_TOKEN,
      TELEGRAM_CHAT_ID: CHAT_ID,
      TELEGRAM_API_BASE_URL: tg.baseUrl,
      PREFIX_MAPPING_FILE: mappingPath,
      DATABASE_PATH: databasePath,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      METRICS_PORT: String(metricsPort),
      // The network analytics monitor would add its own GraphQL reads; they are not part of the cycle.
      MONITOR_INTERVAL: 'off',
      LOG_LEVEL: 'warn',
      CALM_PERIOD: '1h',
      ...opts.workerEnv,
    };
    const envFile = join(dir, 'worker.env');
    writeFileSync(
      envFile,
      `${Object.entries(env)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n')}\n`,
    );

    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, namespace: 'default' });

    let workerSeq = 0;
    const workers: WorkerProc[] = [];
    cleanups.push(() => Promise.all(workers.map((w) => w.stop('SIGKILL'))));
    const startWorker = (): WorkerProc => {
      const logPath = join(dir, `worker-${++workerSeq}.log`);
      const log = createWriteStream(logPath);
      const startedAtMs = Date.now();
      const proc = spawn(process.execPath, ['--import', 'tsx', 'worker.ts', '--config', envFile], {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const counts = { warn: 0, error: 0, samples: [] as string[] };
      const seen = new Set<string>();
      let partial = '';
      const onData = (chunk: Buffer): void => {
        log.write(chunk);
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) noteLine(line, counts, seen);
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.on('data', onData);
      const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
      void exited.then(() => log.end());
      const w: WorkerProc = {
        proc,
        pid: proc.pid ?? -1,
        startedAtMs,
        exited,
        problems: () => ({ ...counts, samples: [...counts.samples] }),
        async stop(signal = 'SIGTERM') {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
          const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
          const code = await exited;
          clearTimeout(timer);
          return code;
        },
      };
      workers.push(w);
      return w;
    };

    return {
      dir,
      prefixes,
      server,
      cf,
      tg,
      client,
      databasePath,
      metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
      envFile,
      startWorker,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Counts pino lines at warn and above; keeps a few distinct messages (digits folded) to explain a break. */
function noteLine(line: string, counts: { warn: number; error: number; samples: string[] }, seen: Set<string>): void {
  if (!line.trim()) return;
  let level = 50;
  let msg = line;
  try {
    const j = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
    level = j.level ?? 30;
    msg = `${j.msg ?? ''}${j.err?.message ? `: ${j.err.message}` : ''}`;
  } catch {
    // Not JSON (a crash trace, a Node warning): count it as an error.
  }
  if (level < 40) return;
  if (level >= 50) counts.error += 1;
  else counts.warn += 1;
  const shape = msg.replace(/\d+/g, '#').slice(0, 100);
  if (!seen.has(shape) && counts.samples.length < 8) {
    seen.add(shape);
    counts.samples.push(`${level >= 50 ? 'error' : 'warn'}: ${msg.slice(0, 220)}`);
  }
}
