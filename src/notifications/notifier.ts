// Delivers a notification at most once per key: the notification log remembers what was sent and what failed.
import type { Records } from '../db/types';
import type { TelegramApi } from '../integrations/telegram/types';
import type { Notification } from './types';

export interface NotifierDeps {
  records: Records;
  /** null when Telegram is not configured: notifications are recorded as skipped. */
  telegram: { api: TelegramApi; chatId: string } | null;
  render: (n: Notification) => string[];
  now?: () => number;
}

export interface DeliveryResult {
  state: 'sent' | 'skipped' | 'already_sent';
}

export interface Notifier {
  /** Sends unless this key was already delivered; a failed attempt is logged and rethrown for the caller to retry. */
  deliver(key: string, notification: Notification): Promise<DeliveryResult>;
  /** Records that retries are exhausted: the failure becomes part of the record. */
  giveUp(key: string, error: string): void;
}

/** notification_log key of part k (1-based) of a message too long for one Telegram message. */
export function partKey(key: string, part: number): string {
  return `${key}#part${part}`;
}

export function createNotifier(deps: NotifierDeps): Notifier {
  const now = deps.now ?? Date.now;
  // One delivery per key at a time in this process: a retry, or the same notification re-issued by a workflow's
  // next run, waits for the attempt in flight and then finds it sent instead of sending it again.
  const inFlight = new Map<string, Promise<DeliveryResult>>();

  /** Sends one message; parts of a split message are logged one by one, so a retry skips the parts already sent. */
  async function sendParts(key: string, notification: Notification, prefix: string | null): Promise<number | null> {
    const { api, chatId } = deps.telegram!;
    const parts = deps.render(notification);
    if (parts.length === 1) return (await api.sendMessage({ chatId, text: parts[0]!, parseMode: 'HTML' })).messageId;
    let firstId: number | null = null;
    for (const [i, text] of parts.entries()) {
      const k = partKey(key, i + 1);
      const entry = deps.records.beginNotification({ key: k, kind: `${notification.kind}:part`, prefix, atMs: now() });
      if (entry.state === 'sent') {
        firstId ??= entry.telegramMessageId;
        continue;
      }
      try {
        const { messageId } = await api.sendMessage({ chatId, text, parseMode: 'HTML' });
        deps.records.markNotificationSent(k, messageId, now());
        firstId ??= messageId;
      } catch (err) {
        deps.records.markNotificationAttemptFailed(k, (err as Error).message, now());
        throw err;
      }
    }
    return firstId;
  }

  async function deliverNow(key: string, notification: Notification): Promise<DeliveryResult> {
    const prefix = 'prefix' in notification ? notification.prefix.cidr : null;
    const entry = deps.records.beginNotification({ key, kind: notification.kind, prefix, atMs: now() });
    if (entry.state === 'sent') return { state: 'already_sent' };
    if (!deps.telegram) {
      deps.records.markNotificationSkipped(key, 'Telegram is not configured', now());
      return { state: 'skipped' };
    }
    try {
      const firstId = await sendParts(key, notification, prefix);
      deps.records.markNotificationSent(key, firstId, now());
      return { state: 'sent' };
    } catch (err) {
      deps.records.markNotificationAttemptFailed(key, (err as Error).message, now());
      throw err;
    }
  }

  return {
    deliver(key, notification) {
      const before = inFlight.get(key);
      const run = (before ?? Promise.resolve()).then(
        () => deliverNow(key, notification),
        () => deliverNow(key, notification),
      );
      inFlight.set(key, run);
      const forget = (): void => {
        if (inFlight.get(key) === run) inFlight.delete(key);
      };
      run.then(forget, forget);
      return run;
    },
    giveUp(key, error) {
      deps.records.markNotificationFailed(key, error, now());
      // Parts of a split message that never went out share the fate of the whole.
      for (let part = 1; ; part++) {
        const entry = deps.records.getNotification(partKey(key, part));
        if (!entry) break;
        if (entry.state === 'pending') deps.records.markNotificationFailed(partKey(key, part), error, now());
      }
    },
  };
}
