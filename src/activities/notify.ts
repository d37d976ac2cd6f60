// Notification activities: deliver once per key through the notifier, classify failures, record final ones.
import { log } from '@temporalio/activity';
import type { Notifier, DeliveryResult } from '../notifications/notifier';
import type { Notification } from '../notifications/types';
import { classified } from './failures';

export interface NotifyActivityDeps {
  notifier: Notifier;
}

export function createNotifyActivities(deps: NotifyActivityDeps) {
  return {
    /** Sends the notification unless the log says this key was already delivered. */
    async sendNotification(input: { key: string; notification: Notification }): Promise<DeliveryResult> {
      try {
        return await classified(() => deps.notifier.deliver(input.key, input.notification));
      } catch (err) {
        log.warn(`notification ${input.key} not delivered: ${(err as Error).message}`, { key: input.key });
        throw err;
      }
    },

    /** Called by the workflow once retries are exhausted. */
    // eslint-disable-next-line @typescript-eslint/require-await
    async recordNotificationFailed(input: { key: string; error: string }): Promise<void> {
      deps.notifier.giveUp(input.key, input.error);
    },
  };
}

export type NotifyActivities = ReturnType<typeof createNotifyActivities>;
