// Turns one webhook body into records: JSON parsing with a clear complaint, classification, then one transaction
// (webhook_events + attack_events). Shared by the receiver and the import tool so both deduplicate the same way.
import { classifyWebhook, type WebhookAlert } from '../domain/webhook-alert';
import { webhookAlertId, type WebhookStore } from '../db/webhooks';

export type ParsedBody = { ok: true; payload: unknown } | { ok: false; problem: string };

/** Decodes UTF-8 (a BOM is tolerated) and parses JSON; the problem names what is wrong and where. */
export function parseWebhookBody(raw: Buffer | string): ParsedBody {
  const text = (typeof raw === 'string' ? raw : raw.toString('utf8')).replace(/^\uFEFF/, '');
  if (text.trim() === '') return { ok: false, problem: 'the body is empty (expected a JSON object)' };
  try {
    return { ok: true, payload: JSON.parse(text) };
  } catch (err) {
    return { ok: false, problem: `the body is not valid JSON: ${(err as Error).message}` };
  }
}

export type IngestOutcome =
  | { kind: 'invalid'; problem: string }
  | { kind: 'test' }
  | { kind: 'duplicate'; alertId: string; alert: WebhookAlert }
  /** webhookId is null in a dry run (nothing was written). */
  | { kind: 'stored'; alertId: string; webhookId: number | null; attackEventIds: number[]; alert: WebhookAlert };

export interface IngestOptions {
  store: WebhookStore;
  /** The configured prefixes (target prefix by containment, advertised prefixes to reconcile). */
  prefixes: readonly string[];
  sourceIp: string | null;
  actionTaken: 'received' | 'imported';
  receivedAtMs: number;
  /** The caller will tell the supervisor about advertised prefixes (rows stay processed = 0 until it has). */
  signals: boolean;
  /** Classify and check for a duplicate, but write nothing. */
  dryRun?: boolean;
}

export function ingestWebhook(payload: unknown, opts: IngestOptions): IngestOutcome {
  const classified = classifyWebhook(payload, opts.prefixes);
  if (!classified.ok) return { kind: 'invalid', problem: classified.problem };
  if (classified.webhook.kind === 'test') return { kind: 'test' };
  const { alert } = classified.webhook;
  if (opts.dryRun) {
    const alertId = webhookAlertId(alert);
    return opts.store.isDuplicate(alert)
      ? { kind: 'duplicate', alertId, alert }
      : { kind: 'stored', alertId, webhookId: null, attackEventIds: [], alert };
  }
  const result = opts.store.store({
    alert,
    payloadJson: JSON.stringify(payload),
    sourceIp: opts.sourceIp,
    // Marked, so dashboards and queries can leave Cloudflare's test notifications out.
    actionTaken: alert.testReason !== null ? 'test_notification' : opts.actionTaken,
    receivedAtMs: opts.receivedAtMs,
    followUpPending: opts.signals && alert.advertisedPrefixes.length > 0,
  });
  if (!result.stored) return { kind: 'duplicate', alertId: result.alertId, alert };
  return {
    kind: 'stored',
    alertId: result.alertId,
    webhookId: result.webhookId,
    attackEventIds: result.attackEventIds,
    alert,
  };
}
