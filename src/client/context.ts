// What every mtctl command may need, built lazily and closed once: configuration, Temporal, database, Cloudflare.
import type { Client } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import { loadConfig, type AppConfig } from '../config';
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
  const ctx: CliContext = {
    io,
    exitCode: 0,
    config() {
      if (!config) {
        if (existsSync('.env')) process.loadEnvFile('.env');
        config = loadConfig();
      }
      return config;
    },
    temporal() {
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
