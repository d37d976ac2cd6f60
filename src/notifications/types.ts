// The notifications the system sends, as structured data; rendering to Telegram HTML lives in templates.ts.
import type { PeakStats } from '../domain/types';

interface PrefixRef {
  cidr: string;
  description: string;
}

export type Notification =
  | {
      kind: 'worker_started';
      host: string;
      calmPeriodMs: number;
      checkIntervalMs: number;
      prefixCount: number;
      shadow: boolean;
      atMs: number;
    }
  | {
      kind: 'prefix_withdrawn';
      /** auto: the calm period elapsed; manual: an operator asked. */
      trigger: 'auto' | 'manual';
      prefix: PrefixRef;
      eventId: string;
      calmMs: number;
      peak: PeakStats | null;
      /** Operator name or reason for manual withdraws. */
      actor?: string;
      /** Shadow mode: nothing was PATCHed. */
      shadow: boolean;
      atMs: number;
    }
  | {
      kind: 'prefix_advertised';
      trigger: 'manual' | 'queued';
      prefix: PrefixRef;
      eventId: string;
      actor?: string;
      shadow: boolean;
      atMs: number;
    }
  | {
      kind: 'withdraw_failed';
      prefix: PrefixRef;
      eventId: string;
      error: string;
      attempts: number;
      nextAttemptAtMs: number | null;
      atMs: number;
    }
  | {
      kind: 'telemetry_lost';
      prefix: PrefixRef;
      reason: string;
      unknownSinceMs: number;
      calmMs: number;
      underAttack: boolean;
      atMs: number;
    }
  | {
      kind: 'telemetry_restored';
      prefix: PrefixRef;
      lostForMs: number;
      atMs: number;
    }
  | {
      kind: 'withdraw_skipped_locked';
      prefix: PrefixRef;
      atMs: number;
    };

export type NotificationKind = Notification['kind'];
