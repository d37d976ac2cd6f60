// The Temporal dev server as a child process with SQLite persistence, for single-machine runs and the demo.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { isPortFree } from './free-port';
import { stopOrphanedServer } from './orphan';
import { MT_SEARCH_ATTRIBUTES } from '../workflows/search-attribute-keys';
import { temporalCliPath } from './temporal-binaries';

/** Where `npm start` keeps the embedded server's SQLite file unless TEMPORAL_DB_FILE says otherwise. */
export const DEFAULT_EMBEDDED_DB_FILE = 'data/temporal.db';

/** SearchAttributeType → the spelling of the CLI's --search-attribute flag. */
const CLI_TYPE: Record<string, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** The custom search attributes the workflows keep current, registered when the server starts (name → CLI type). */
export const SEARCH_ATTRIBUTES: Readonly<Record<string, string>> = Object.fromEntries(
  MT_SEARCH_ATTRIBUTES.map((k) => [k.name, CLI_TYPE[k.type] ?? k.type]),
);

export interface EmbeddedServerOptions {
  /** SQLite file holding every namespace and workflow; created with its directory when missing. */
  dbFile: string;
  /** Namespace the clients use; created at launch besides "default" (TEMPORAL_NAMESPACE). */
  namespace?: string;
  ip?: string;
  port?: number;
  /** Web UI port; null for a headless server. Default port + 1000. */
  uiPort?: number | null;
  /** Where the server's own output goes (appended); default: kept in memory for error messages only. */
  logFile?: string;
  /**
   * Holds the server's pid while it runs. A server left behind by a SIGKILLed parent is recognised by it at the next
   * start (same CLI command line, same database file) and stopped. Default: temporal-server.pid next to dbFile.
   */
  pidFile?: string;
  readyTimeoutMs?: number;
  /** More start-dev arguments (the scale bench raises server limits with --dynamic-config-value). */
  extraArgs?: string[];
  /** SQLite pragmas of the server's file, as `name=value`; default DEV_SERVER_SQLITE_PRAGMAS. */
  sqlitePragmas?: readonly string[];
}

/**
 * The server's SQLite file in WAL mode: one fsync per commit instead of the rollback journal's several, with the
 * same durability (synchronous stays FULL). Every write of the dev server is serial on that file, so child starts ran
 * at 7/s with the default journal and at 13/s in WAL on this 2-core machine's disk (docs/scale.md).
 */
export const DEV_SERVER_SQLITE_PRAGMAS: readonly string[] = ['journal_mode=wal'];

export interface EmbeddedServer {
  address: string;
  namespace: string;
  uiUrl: string | null;
  pid: number;
  /** A server a previous run left behind (parent SIGKILLed) and this start stopped first; null when there was none. */
  orphanStopped: number | null;
  /** Resolves when the server process has exited. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export class EmbeddedServerError extends Error {
  override readonly name = 'EmbeddedServerError';
}

const live = new Map<ChildProcess, string>();
let exitHookInstalled = false;

/** Last resort: whatever way this process ends (except SIGKILL), it does not leave a server behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [child, pidFile] of live) {
      killGroup(child, 'SIGKILL');
      removePidFile(pidFile, child.pid);
    }
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

export async function startEmbeddedServer(opts: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const cli = temporalCliPath();
  if (!cli) {
    throw new EmbeddedServerError(
      'the Temporal CLI is not installed: run `npm run setup` (or set TEMPORAL_CLI_PATH, or TEMPORAL_ADDRESS to use a running server)',
    );
  }
  const ip = opts.ip ?? '127.0.0.1';
  const port = opts.port ?? 7233;
  const uiPort = opts.uiPort === undefined ? port + 1000 : opts.uiPort;
  const namespace = opts.namespace?.trim() || 'default';
  // Absolute, so that the command line names the file unambiguously (the orphan check compares it).
  const dbFile = resolve(opts.dbFile);
  const pidFile = resolve(opts.pidFile ?? join(dirname(dbFile), 'temporal-server.pid'));
  mkdirSync(dirname(dbFile), { recursive: true });
  const orphanStopped = await stopOrphanedServer(pidFile, dbFile);
  for (const [what, p] of [
    ['gRPC', port],
    ['Web UI', uiPort],
  ] as const) {
    if (p !== null && !(await isPortFree(ip, p))) {
      throw new EmbeddedServerError(
        `cannot start the embedded Temporal server: ${ip}:${p} (${what}) is already in use — another Temporal server ` +
          '(e.g. `npm run temporal:dev`)? Point TEMPORAL_ADDRESS at it, or choose other ports',
      );
    }
  }
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    dbFile,
    '--ip',
    ip,
    '--port',
    String(port),
    ...(uiPort === null ? ['--headless'] : ['--ui-port', String(uiPort), '--ui-disable-news-fetch']),
    '--log-level',
    'warn',
    ...(namespace === 'default' ? [] : ['--namespace', namespace]),
    ...Object.entries(SEARCH_ATTRIBUTES).flatMap(([k, v]) => ['--search-attribute', `${k}=${v}`]),
    ...(opts.sqlitePragmas ?? DEV_SERVER_SQLITE_PRAGMAS).flatMap((kv) => ['--sqlite-pragma', kv]),
    ...(opts.extraArgs ?? []),
  ];
  // The CLI reads TEMPORAL_* variables too; the server we start must not be steered by the worker's client settings.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TEMPORAL_')));
  let logFd: number | null = null;
  if (opts.logFile) {
    mkdirSync(dirname(opts.logFile), { recursive: true });
    logFd = openSync(opts.logFile, 'a');
  }
  const tail: string[] = [];
  // Own process group: a terminal's Ctrl-C reaches us first, and we stop the server after the worker.
  const child = spawn(cli, args, {
    env,
    detached: true,
    stdio: ['ignore', logFd ?? 'pipe', logFd ?? 'pipe'],
  });
  if (logFd !== null) closeSync(logFd);
  if (child.pid !== undefined) {
    mkdirSync(dirname(pidFile), { recursive: true });
    writeFileSync(pidFile, `${child.pid}\n`);
  }
  const keep = (c: Buffer): void => {
    tail.push(...c.toString().split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - 20));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  live.set(child, pidFile);
  installExitHook();
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      live.delete(child);
      removePidFile(pidFile, child.pid);
      resolve(code);
    });
    child.once('error', (err) => {
      tail.push(err.message);
      live.delete(child);
      removePidFile(pidFile, child.pid);
      resolve(null);
    });
  });

  const address = `${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
  const stop = async (): Promise<void> => {
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitReady(address, namespace, exited, opts.readyTimeoutMs ?? 60_000, () => tail.join('\n'), opts.logFile);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    address,
    namespace,
    uiUrl: uiPort === null ? null : `http://${ip.includes(':') ? `[${ip}]` : ip}:${uiPort}`,
    pid: child.pid ?? -1,
    orphanStopped,
    exited,
    stop,
  };
}

/** Only our own pid: a newer server may already have written its own. */
function removePidFile(pidFile: string, pid: number | undefined): void {
  try {
    if (pid !== undefined && readFileSync(pidFile, 'utf8').trim() === String(pid)) unlinkSync(pidFile);
  } catch {
    // already gone
  }
}

/** Ready means the clients' namespace answers, not merely that the port is open. */
async function waitReady(
  address: string,
  namespace: string,
  exited: Promise<number | null>,
  timeoutMs: number,
  output: () => string,
  logFile: string | undefined,
): Promise<void> {
  let gone: number | null | undefined;
  void exited.then((code) => (gone = code));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone !== undefined) {
      const where = logFile ? ` (see ${logFile})` : output() ? `:\n${output()}` : '';
      throw new EmbeddedServerError(`the embedded Temporal server exited with code ${gone} while starting${where}`);
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch {
      // not ready yet
    }
    if (Date.now() > deadline)
      throw new EmbeddedServerError(
        `the embedded Temporal server at ${address} did not become ready in ${timeoutMs / 1000}s`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Settings of the embedded server from the environment (the same names as `npm run temporal:dev`):
 * TEMPORAL_DB_FILE (default data/temporal.db), TEMPORAL_IP, TEMPORAL_PORT, TEMPORAL_UI_PORT ("off" for headless),
 * and TEMPORAL_NAMESPACE (envconfig's name: the namespace the worker will use is created at launch).
 * Returns the problems instead of throwing, so the caller reports them with the rest of the configuration.
 */
export function embeddedServerSettings(
  env: Record<string, string | undefined>,
  /** namespace: the one the worker's envconfig resolved (it may come from a temporal.toml profile). */
  defaults: { dbFile: string; namespace?: string },
): { options: EmbeddedServerOptions; problems: string[] } {
  const problems: string[] = [];
  const port = (name: string, fallback: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(n >= 1 && n <= 65_535)) problems.push(`${name}=${raw}: must be a port number from 1 to 65535`);
    return n;
  };
  const grpc = port('TEMPORAL_PORT', 7233);
  const uiRaw = env.TEMPORAL_UI_PORT?.trim().toLowerCase();
  const uiPort = uiRaw === 'off' ? null : port('TEMPORAL_UI_PORT', grpc + 1000);
  const dbFile = env.TEMPORAL_DB_FILE?.trim() || defaults.dbFile;
  const namespace = defaults.namespace?.trim() || env.TEMPORAL_NAMESPACE?.trim() || 'default';
  return {
    options: {
      dbFile,
      namespace,
      ip: env.TEMPORAL_IP?.trim() || '127.0.0.1',
      port: grpc,
      uiPort,
      logFile: join(dirname(dbFile), 'temporal-server.log'),
      pidFile: join(dirname(dbFile), 'temporal-server.pid'),
    },
    problems,
  };
}
