// Wires the receiver from validated configuration (database, store, supervisor signaller, HTTP server) and closes it
// gracefully: stop accepting, finish in-flight webhooks, deliver queued signals, close the database.
import type { Client } from '@temporalio/client';
import type { AppConfig } from '../config';
import { ConfigError } from '../config';
import { migrateDatabase, openDatabase, type DatabaseHandle } from '../db';
import { createWebhookStore, type WebhookStore } from '../db/webhooks';
import type { Logger } from '../logger';
import { buildWebhookServer, type WebhookServer } from './server';
import { createSupervisorSignaller, type SupervisorSignaller } from './supervisor-signal';

export interface WebhookReceiver {
  server: WebhookServer;
  /** http://host:port (the webhook URL is url + config.webhook.path). */
  url: string;
  database: DatabaseHandle;
  store: WebhookStore;
  signaller: SupervisorSignaller | null;
  /** Graceful: in-flight requests finish and are stored; safe to call twice. */
  close(): Promise<void>;
}

export interface StartReceiverOptions {
  config: AppConfig;
  logger: Logger;
  /** Temporal client used to signal the supervisor; null runs without (webhooks are stored all the same). */
  temporal: Client | null;
  /** Overrides of config.webhook.host / port (tests and benches use port 0). */
  host?: string;
  port?: number;
  now?: () => number;
  /** How long close() waits for queued supervisor signals; default 5 s. */
  drainTimeoutMs?: number;
  /** Deadline of one supervisor signal attempt; default 5 s. */
  signalTimeoutMs?: number;
}

export async function startWebhookReceiver(opts: StartReceiverOptions): Promise<WebhookReceiver> {
  const { config, logger } = opts;
  const secret = config.webhook.secret;
  if (!secret) throw new ConfigError(['WEBHOOK_SECRET is not set: the receiver refuses to run without a secret']);

  const database = openDatabase(config.databasePath);
  try {
    const report = migrateDatabase(database);
    if (report.applied.length) logger.info({ applied: report.applied }, `database ${config.databasePath} migrated`);
    for (const w of report.warnings) logger.warn(`database: ${w}`);
  } catch (err) {
    database.close();
    throw err;
  }
  const store = createWebhookStore(database, { now: opts.now });
  const signaller = opts.temporal
    ? createSupervisorSignaller({
        client: opts.temporal,
        logger,
        onDelivered: (ids) => store.markProcessed(ids),
        timeoutMs: opts.signalTimeoutMs,
      })
    : null;
  const server = buildWebhookServer({
    secret,
    path: config.webhook.path,
    maxBodyBytes: config.webhook.maxBodyBytes,
    trustProxy: config.webhook.trustProxy,
    store,
    database,
    prefixes: config.prefixes.map((p) => p.cidr),
    signaller,
    logger,
    now: opts.now,
  });
  let url: string;
  try {
    url = await server.listen({ host: opts.host ?? config.webhook.host, port: opts.port ?? config.webhook.port });
  } catch (err) {
    database.close();
    throw err;
  }
  let closing: Promise<void> | null = null;
  return {
    server,
    url,
    database,
    store,
    signaller,
    close() {
      closing ??= (async () => {
        await server.close();
        await signaller?.drain(opts.drainTimeoutMs ?? 5_000);
        database.close();
      })();
      return closing;
    },
  };
}
