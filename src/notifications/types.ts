// The notifications the system sends, as structured data; rendering to Telegram HTML lives in templates.ts.
import type { AttackSummary } from '../domain/network-events';
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
    }
  | {
      /** The live state could not be read before a due withdraw for several cycles: nothing was PATCHed yet. */
      kind: 'withdraw_deferred';
      prefix: PrefixRef;
      error: string;
      /** Consecutive cycles whose withdraw was deferred. */
      cycles: number;
      sinceMs: number;
      atMs: number;
    }
  | {
      /** A queued advertise failed for good (locked, refused credentials, prefix unknown): it was dropped. */
      kind: 'advertise_failed';
      prefix: PrefixRef;
      actor: string;
      requestedAtMs: number;
      error: string;
      atMs: number;
    }
  | {
      /** Protection of a prefix ended because Cloudflare no longer lets us control it. */
      kind: 'protection_ended';
      prefix: PrefixRef;
      reason: 'not_on_demand' | 'prefix_missing';
      detail: string;
      atMs: number;
    }
  | {
      /** A configured prefix is not listed under its parent at Cloudflare: it is not protected. */
      kind: 'prefix_missing';
      prefix: PrefixRef;
      parentPrefixId: string;
      bgpPrefixId: string;
      atMs: number;
    }
  | {
      /** One network analytics monitor run found attacks no earlier run had recorded (one message per run). */
      kind: 'network_attacks_detected';
      windowStartMs: number;
      windowEndMs: number;
      /** The new attacks, biggest first. */
      attacks: AttackSummary[];
      /** Rows the run stored (new attacks and attacks seen before). */
      newEvents: number;
      /** Of those, rows of attacks an earlier run had already announced. */
      continuingEvents: number;
      /** The query's row limit was reached: smaller groups may be missing. */
      truncated: boolean;
      atMs: number;
    };

export type NotificationKind = Notification['kind'];
