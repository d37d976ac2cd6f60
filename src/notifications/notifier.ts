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

export function createNotifier(deps: NotifierDeps): Notifier {
  const now = deps.now ?? Date.now;
  return {
    async deliver(key, notification) {
      const prefix = 'prefix' in notification ? notification.prefix.cidr : null;
      const entry = deps.records.beginNotification({ key, kind: notification.kind, prefix, atMs: now() });
      if (entry.state === 'sent') return { state: 'already_sent' };
      if (!deps.telegram) {
        deps.records.markNotificationSkipped(key, 'Telegram is not configured', now());
        return { state: 'skipped' };
      }
      const { api, chatId } = deps.telegram;
      try {
        let firstId: number | null = null;
        for (const text of deps.render(notification)) {
          const { messageId } = await api.sendMessage({ chatId, text, parseMode: 'HTML' });
          firstId ??= messageId;
        }
        deps.records.markNotificationSent(key, firstId, now());
        return { state: 'sent' };
      } catch (err) {
        deps.records.markNotificationAttemptFailed(key, (err as Error).message, now());
        throw err;
      }
    },
    giveUp(key, error) {
      deps.records.markNotificationFailed(key, error, now());
    },
  };
}
