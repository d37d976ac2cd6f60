// DeliverNotification: one notification for a sender that is not a workflow (the worker's start-up message), with the
// notification activity's retry policy (Telegram's retry_after honoured) and its fate recorded in notification_log.
import type { Notification } from '../notifications/types';
import { describeFailure, notificationsFor, recordsFor } from './activity-stubs';

export interface DeliverNotificationInput {
  /** notification_log key: the same key is delivered once, however often the workflow is started. */
  key: string;
  notification: Notification;
}

export interface DeliverNotificationResult {
  state: 'sent' | 'skipped' | 'already_sent' | 'failed';
  error?: string;
}

export async function DeliverNotification(input: DeliverNotificationInput): Promise<DeliverNotificationResult> {
  const label = input.notification.kind.replace(/_/g, ' ');
  try {
    const { state } = await notificationsFor(`notify ${label}`).sendNotification(input);
    return { state };
  } catch (err) {
    const f = describeFailure(err);
    const error = `${f.type}: ${f.message}`;
    await recordsFor(`record notification failure ${label}`).recordNotificationFailed({ key: input.key, error });
    return { state: 'failed', error };
  }
}
