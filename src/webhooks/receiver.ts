// Wires the receiver from validated configuration (database, store, supervisor signaller, HTTP server, the sweep of
// webhooks the supervisor was not told about) and closes it gracefully: stop sweeping and accepting, finish in-flight
// webhooks, deliver queued signals, close the database.
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
  /** Asks the supervisor to reconcile for stored webhooks still unprocessed; returns how many were queued. */
  sweep(): number;
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
  /** How often unprocessed webhooks are looked for (besides at start and when Temporal is back); default 60 s. */
  sweepIntervalMs?: number;
}

export const DEFAULT_SWEEP_INTERVAL_MS = 60_000;

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
  let open = true;
  // Rows stay processed = 0 when their signal failed (Temporal down) or was cut off by a shutdown: they are sent
  // again at start, every sweep interval, and as soon as a signal gets through after a failure.
  const sweep = (): number => {
    if (!open || !signaller) return 0;
    try {
      const rows = store.unprocessed();
      if (rows.length === 0) return 0;
      const prefixes = [...new Set(rows.map((r) => r.targetPrefix).filter((p): p is string => p !== null))];
      const queued = signaller.request(
        `sweep: ${rows.length} webhook(s) stored earlier and not yet told to the supervisor` +
          (prefixes.length ? ` (${prefixes.join(', ')})` : ''),
        rows.map((r) => r.id),
      );
      if (queued > 0) logger.info({ webhooks: queued }, 'unprocessed webhooks sent to the supervisor again');
      return queued;
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'sweep of unprocessed webhooks failed; retried at the next one');
      return 0;
    }
  };
  const signaller = opts.temporal
    ? createSupervisorSignaller({
        client: opts.temporal,
        logger,
        onDelivered: (ids) => {
          if (open) store.markProcessed(ids);
        },
        onRecovered: () => void sweep(),
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
  sweep();
  const sweeper = signaller ? setInterval(sweep, opts.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS) : null;
  sweeper?.unref();
  let closing: Promise<void> | null = null;
  return {
    server,
    url,
    database,
    store,
    signaller,
    sweep,
    close() {
      closing ??= (async () => {
        if (sweeper) clearInterval(sweeper);
        await server.close();
        await signaller?.drain(opts.drainTimeoutMs ?? 5_000);
        // Signals still on their way are not waited for; their rows stay unprocessed for the next start's sweep.
        open = false;
        database.close();
      })();
      return closing;
    },
  };
}
