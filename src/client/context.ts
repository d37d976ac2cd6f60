// What every mtctl command may need, built lazily and closed once: configuration, Temporal, database, Cloudflare.
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import { loadConfig, type AppConfig } from '../config';
import { loadDotenv } from '../config/dotenv';
import { openDatabase, type DatabaseHandle } from '../db';
import { createCloudflareClient, type CloudflareClient } from '../integrations/cloudflare';
import { connectTemporal } from '../runtime/temporal';

/** A failure to report as one line; exitCode 2 means bad input (nothing was changed). */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export interface CliIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** Where confirmations are read from (process.stdin unless given); only a terminal can confirm. */
  in?: NodeJS.ReadableStream & { isTTY?: boolean };
}

export interface CliContext {
  io: CliIo;
  /** Set by a command that finished but must report failure (e.g. `test` with a failed check). */
  exitCode: number;
  config(): AppConfig;
  temporal(): Promise<{ client: Client; connection: NativeConnection; namespace: string }>;
  /** The records database; opened read-write unless readonly is asked. */
  database(opts?: { readonly?: boolean }): DatabaseHandle;
  cloudflare(): CloudflareClient;
  /** Registers something to close when the command ends. */
  onClose(fn: () => Promise<void> | void): void;
  close(): Promise<void>;
}

export function createCliContext(io: CliIo): CliContext {
  let config: AppConfig | null = null;
  let temporal: Promise<{ client: Client; connection: NativeConnection; namespace: string }> | null = null;
  let db: DatabaseHandle | null = null;
  let cf: CloudflareClient | null = null;
  const closers: Array<() => Promise<void> | void> = [];
  let envLoaded = false;
  /** Settings come from MTCTL_ENV_FILE (e.g. the demo's data/demo/demo.env) or ./.env (unless MT_AUTOWITHDRAW_NO_DOTENV=1); the shell's variables win. */
  const loadEnv = (): void => {
    if (envLoaded) return;
    envLoaded = true;
    const file = process.env.MTCTL_ENV_FILE?.trim();
    if (file) {
      if (!existsSync(file)) throw new CliError(`MTCTL_ENV_FILE=${file}: no such file`, 2);
      process.loadEnvFile(file);
    } else loadDotenv();
  };
  const ctx: CliContext = {
    io,
    exitCode: 0,
    config() {
      if (!config) {
        loadEnv();
        config = loadConfig();
      }
      return config;
    },
    temporal() {
      loadEnv();
      temporal ??= connectTemporal().then((t) => {
        closers.push(() => t.connection.close());
        return t;
      });
      return temporal;
    },
    database(opts = {}) {
      if (!db) {
        db = openDatabase(ctx.config().databasePath, { readonly: opts.readonly ?? false });
        const handle = db;
        closers.push(() => handle.close());
      }
      return db;
    },
    cloudflare() {
      if (!cf) {
        const c = ctx.config().cloudflare;
        cf = createCloudflareClient({
          accountId: c.accountId,
          auth: c.auth,
          baseUrl: c.baseUrl,
          timeoutMs: c.timeoutMs,
          graphqlRowLimit: c.graphqlRowLimit,
          retries: 2,
        });
      }
      return cf;
    },
    onClose(fn) {
      closers.push(fn);
    },
    async close() {
      for (const fn of closers.reverse()) await Promise.resolve(fn()).catch(() => undefined);
      closers.length = 0;
    },
  };
  return ctx;
}
