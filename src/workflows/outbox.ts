// Notifications a workflow sends beside its work: never awaited by the work, carried across continue-as-new.
import { log } from '@temporalio/workflow';
import type { Notification } from '../notifications/types';
import { describeFailure, NOTIFY_BUDGET_MS, notificationsWithin, recordsFor } from './activity-stubs';
import { Background } from './background';

/** A notification not yet delivered (or given up); part of the carried state. */
export interface OutboxEntry {
  key: string;
  notification: Notification;
  /** When it was first issued: its retry budget counts from here, whatever run retries it. */
  issuedAtMs: number;
}

export interface Outbox {
  /** Sends in the background; a key already waiting is not sent twice. */
  send(key: string, notification: Notification): void;
  /** Re-issues what a previous run left unfinished (sendNotification is idempotent by key). */
  resume(): void;
  /** Waits for every notification in flight (only where nothing else waits on the workflow: at its end). */
  drain(): Promise<void>;
}

/**
 * `entries` is the workflow state's own array: what is still in it at continue-as-new travels to the next run, whose
 * resume() sends it again. A failing Telegram therefore never holds up a cycle or a continue-as-new.
 */
export function createOutbox(entries: OutboxEntry[], subject: string): Outbox {
  const bg = new Background();

  async function deliver(entry: OutboxEntry): Promise<void> {
    const label = `notify ${entry.notification.kind.replace(/_/g, ' ')} ${subject}`;
    try {
      const remaining = entry.issuedAtMs + NOTIFY_BUDGET_MS - Date.now();
      if (remaining <= 0) throw new Error('retry budget spent before this run could retry it');
      await notificationsWithin(remaining, label).sendNotification({
        key: entry.key,
        notification: entry.notification,
      });
    } catch (err) {
      const f = describeFailure(err);
      log.warn(`notification ${entry.key} failed for good: ${f.message}`, { subject });
      try {
        await recordsFor(`record notification failure ${subject}`).recordNotificationFailed({
          key: entry.key,
          error: `${f.type}: ${f.message}`,
        });
      } catch (recordErr) {
        log.error(`could not record the failure of ${entry.key}: ${describeFailure(recordErr).message}`, { subject });
      }
    } finally {
      const i = entries.indexOf(entry);
      if (i >= 0) entries.splice(i, 1);
    }
  }

  return {
    send(key, notification) {
      if (entries.some((e) => e.key === key)) return;
      const entry: OutboxEntry = { key, notification, issuedAtMs: Date.now() };
      entries.push(entry);
      bg.run(deliver(entry));
    },
    resume() {
      for (const entry of [...entries]) bg.run(deliver(entry));
    },
    drain: () => bg.drain(),
  };
}
