// Tells the supervisor to reconcile now when an alert says one of our prefixes is advertised. Best effort, after the
// webhook is stored: requests made while a signal is on its way are coalesced into the next one, a Temporal outage
// is logged (the rows stay processed = 0 for the receiver's sweep) and never turns into a refused webhook.
import type { Client } from '@temporalio/client';
import type { Logger } from '../logger';
import { SUPERVISOR_WORKFLOW_ID } from '../workflows/ids';
import { reconcileNowSignal } from '../workflows/messages';

export interface SupervisorSignaller {
  /**
   * Queues a reconcile request; webhookIds are marked processed once a signal carrying it is delivered. Ids already
   * queued or on their way are not queued twice; returns how many ids were queued.
   */
  request(reason: string, webhookIds: readonly number[]): number;
  /** Resolves once queued requests are delivered or given up (graceful shutdown), or after timeoutMs. */
  drain(timeoutMs: number): Promise<void>;
  /** Can Temporal be reached? (health endpoint) */
  check(timeoutMs?: number): Promise<{ ok: true } | { ok: false; error: string }>;
}

export interface SupervisorSignallerOptions {
  client: Client;
  logger: Logger;
  /** Called with the webhook ids a delivered signal covered. */
  onDelivered: (webhookIds: number[]) => void;
  /** Called when a signal is delivered after the previous attempt had failed (Temporal is back). */
  onRecovered?: () => void;
  /** Per signal attempt; default 5 s. */
  timeoutMs?: number;
}

const MAX_REASON = 500;

export function createSupervisorSignaller(opts: SupervisorSignallerOptions): SupervisorSignaller {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  let queue: { reasons: string[]; ids: number[] } = { reasons: [], ids: [] };
  /** Ids queued or being sent. */
  const inFlight = new Set<number>();
  let sending: Promise<void> | null = null;
  let lastFailed = false;

  async function sendOne(reasons: string[], ids: number[]): Promise<void> {
    const reason = [...new Set(reasons)].join('; ').slice(0, MAX_REASON);
    try {
      await opts.client.connection.withDeadline(Date.now() + timeoutMs, () =>
        opts.client.workflow.getHandle(SUPERVISOR_WORKFLOW_ID).signal(reconcileNowSignal, { reason }),
      );
      opts.onDelivered(ids);
      opts.logger.info({ reason, webhooks: ids.length }, 'supervisor asked to reconcile now');
      if (lastFailed) {
        lastFailed = false;
        opts.onRecovered?.();
      }
    } catch (err) {
      lastFailed = true;
      opts.logger.warn(
        { reason, webhookIds: ids, err: (err as Error).message },
        'could not signal the supervisor (webhook kept unprocessed; the receiver retries it at its next sweep)',
      );
    } finally {
      ids.forEach((id) => inFlight.delete(id));
    }
  }

  async function pump(): Promise<void> {
    while (queue.ids.length > 0 || queue.reasons.length > 0) {
      const batch = queue;
      queue = { reasons: [], ids: [] };
      await sendOne(batch.reasons, batch.ids);
    }
  }

  return {
    request(reason, webhookIds) {
      const fresh = webhookIds.filter((id) => !inFlight.has(id));
      if (webhookIds.length > 0 && fresh.length === 0) return 0;
      fresh.forEach((id) => inFlight.add(id));
      queue.reasons.push(reason);
      queue.ids.push(...fresh);
      sending ??= pump().finally(() => {
        sending = null;
      });
      return fresh.length;
    },

    async drain(drainTimeoutMs) {
      if (!sending) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        sending,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, drainTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
    },

    async check(checkTimeoutMs = 2_000) {
      try {
        await opts.client.connection.withDeadline(Date.now() + checkTimeoutMs, () =>
          opts.client.workflowService.getSystemInfo({}),
        );
        return { ok: true };
      } catch (err) {
        return { ok: false, error: (err as Error).message };
      }
    },
  };
}
