// The webhook receiver's HTTP service (fastify): POST <path> for Cloudflare notifications, GET /health. The secret is
// checked before the body is read; each webhook is committed to SQLite before its 200 goes out; it never withdraws.
import Fastify, { LogController, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import type { DatabaseHandle } from '../db/connection';
import type { WebhookStore } from '../db/webhooks';
import type { Logger } from '../logger';
import { AUTH_HEADER, secretMatches } from './auth';
import { ingestWebhook, parseWebhookBody, type IngestOutcome } from './ingest';
import type { SupervisorSignaller } from './supervisor-signal';

export interface WebhookServerOptions {
  secret: string;
  /** e.g. /webhook/cloudflare (the operators' receiver path). */
  path: string;
  maxBodyBytes: number;
  /** Proxies whose X-Forwarded-For is believed; empty: the socket address is the source IP. */
  trustProxy: readonly string[];
  store: WebhookStore;
  database: DatabaseHandle;
  prefixes: readonly string[];
  /** null: nobody to tell (e.g. Temporal is not configured); the webhook is stored all the same. */
  signaller: SupervisorSignaller | null;
  logger: Logger;
  now?: () => number;
}

export interface WebhookReply {
  ok: boolean;
  stored?: boolean;
  duplicate?: boolean;
  test?: boolean;
  alertId?: string;
  webhookId?: number | null;
  /** Configured prefixes the supervisor was asked to reconcile. */
  reconcile?: string[];
  error?: string;
}

function fail(reply: FastifyReply, status: number, error: string): FastifyReply {
  return reply.code(status).send({ ok: false, error } satisfies WebhookReply);
}

/** Log fields of a webhook (never headers: cf-webhook-auth carries the secret). */
function describe(outcome: IngestOutcome): Record<string, unknown> {
  if (outcome.kind === 'invalid' || outcome.kind === 'test') return { outcome: outcome.kind };
  return {
    outcome: outcome.kind,
    alertId: outcome.alertId,
    alertType: outcome.alert.alertType,
    eventState: outcome.alert.eventState,
    targetPrefix: outcome.alert.targetPrefix,
  };
}

export function buildWebhookServer(opts: WebhookServerOptions) {
  const now = opts.now ?? Date.now;
  const log = opts.logger.child({ component: 'webhook-receiver' });
  const app = Fastify({
    loggerInstance: log,
    // One line per webhook is logged by the handler; fastify's per-request lines would double them.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.maxBodyBytes,
    trustProxy: opts.trustProxy.length > 0 ? [...opts.trustProxy] : false,
    // Cloudflare does not reuse connections much; idle ones must not hold a shutdown up.
    forceCloseConnections: 'idle',
  });

  // Replies sent while closing end their connection: a keep-alive socket must not hold the shutdown up.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', async (_req, reply) => {
    if (closing) void reply.header('connection', 'close');
  });

  // The body stays raw: JSON errors are ours to word, and the secret is checked before anything is parsed.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return fail(reply, 413, `the body is larger than ${opts.maxBodyBytes} bytes`);
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500)
      return fail(reply, err.statusCode, err.message);
    log.error({ err: err.message, url: req.url }, 'webhook request failed');
    return fail(reply, 500, 'internal error; the webhook was not stored');
  });
  app.setNotFoundHandler((req, reply) => fail(reply, 404, `no route ${req.method} ${req.url.split('?')[0]}`));

  app.post(opts.path, {
    onRequest: async (req, reply) => {
      if (!secretMatches(req.headers[AUTH_HEADER], opts.secret)) {
        log.warn({ sourceIp: req.ip }, `webhook refused: missing or wrong ${AUTH_HEADER} header`);
        return fail(reply, 401, `missing or wrong ${AUTH_HEADER} header`);
      }
    },
    handler: async (req, reply) => {
      const parsed = parseWebhookBody(Buffer.isBuffer(req.body) ? req.body : '');
      if (!parsed.ok) return fail(reply, 400, parsed.problem);
      // Synchronous: the rows are committed before the reply is sent.
      const outcome = ingestWebhook(parsed.payload, {
        store: opts.store,
        prefixes: opts.prefixes,
        sourceIp: req.ip,
        actionTaken: 'received',
        receivedAtMs: now(),
        signals: opts.signaller !== null,
      });
      if (outcome.kind === 'invalid') {
        log.warn({ sourceIp: req.ip, problem: outcome.problem }, 'webhook refused: not a Cloudflare notification');
        return fail(reply, 400, outcome.problem);
      }
      if (outcome.kind === 'test') {
        log.info({ sourceIp: req.ip }, 'Cloudflare test message received (not stored)');
        return reply.send({ ok: true, test: true, stored: false } satisfies WebhookReply);
      }
      const test = outcome.alert.testReason;
      log.info(
        { sourceIp: req.ip, ...describe(outcome), ...(test !== null ? { test } : {}) },
        test !== null ? `Cloudflare test notification ${outcome.kind} (not an attack)` : `webhook ${outcome.kind}`,
      );
      if (outcome.kind === 'duplicate')
        return reply.send({
          ok: true,
          stored: false,
          duplicate: true,
          alertId: outcome.alertId,
        } satisfies WebhookReply);
      const reconcile = opts.signaller ? outcome.alert.advertisedPrefixes : [];
      if (reconcile.length > 0 && outcome.webhookId !== null) {
        opts.signaller?.request(
          `webhook ${outcome.alert.alertType ?? 'alert'} ${outcome.alertId}: ${reconcile.join(', ')} advertised`,
          [outcome.webhookId],
        );
      }
      return reply.send({
        ok: true,
        stored: true,
        duplicate: false,
        ...(test !== null ? { test: true } : {}),
        alertId: outcome.alertId,
        webhookId: outcome.webhookId,
        reconcile,
      } satisfies WebhookReply);
    },
  });

  app.get('/health', async (_req, reply) => {
    let database: { ok: true } | { ok: false; error: string };
    try {
      opts.database.sqlite.prepare('SELECT COUNT(*) FROM webhook_events WHERE id = -1').get();
      database = { ok: true };
    } catch (err) {
      database = { ok: false, error: (err as Error).message };
    }
    const temporal = opts.signaller
      ? await opts.signaller.check()
      : { ok: false as const, error: 'Temporal is not configured' };
    // Without the database nothing can be accepted; without Temporal webhooks are still stored.
    const status = !database.ok ? 'down' : temporal.ok ? 'ok' : 'degraded';
    return reply.code(database.ok ? 200 : 503).send({ status, database, temporal });
  });

  return app;
}

export type WebhookServer = ReturnType<typeof buildWebhookServer>;
