// Advertising a prefix for an operator, now or queued until the re-advertise cooldown ends (PrefixProtection's part
// that never withdraws): the cooldown is the worker's, a stale or failed queue is said, a success starts an episode.
import { ApplicationFailure, log, workflowInfo } from '@temporalio/workflow';
import type { ProtectionSettings } from '../activities';
import { cooldownRefusalMessage, describeAdvertiseAvailability } from '../domain/operator-rules';
import { eventIdFor, withdrawRetryDelayMs } from '../domain/protection';
import type { LivePrefixState } from '../domain/types';
import { ErrorType, NON_RETRYABLE_CLOUDFLARE } from '../errors';
import type { Notification } from '../notifications/types';
import { cloudflareChangesFor, cloudflareReadsFor, describeFailure, recordsFor } from './activity-stubs';
import { OPERATOR_REFUSED } from './messages';
import { advertiseAvailableAt, type CooldownPolicy } from './protection-state';
import type { AdvertiseRequest, AdvertiseResult, OperatorRequest, ProtectionState } from './types';

/** What the advertise part needs from its workflow. */
export interface AdvertiseCore {
  cidr: string;
  /** The workflow state itself (mutated in place). */
  s: ProtectionState;
  cooldownPolicy: () => CooldownPolicy;
  settings: () => ProtectionSettings;
  settingsLoaded: () => Promise<void>;
  prefixRef: () => { cidr: string; description: string };
  publishVisibility: () => void;
  publishCycle: () => Promise<void>;
  recordSafely: (what: string, write: () => Promise<unknown>) => Promise<void>;
  notify: (key: string, notification: Notification) => void;
  /** The prefix is advertised: a new protection episode (drops a stale queue). */
  startEpisode: () => void;
  operatorFailure: (message: string) => ApplicationFailure;
}

export interface Advertiser {
  /** The advertise update's handler (its validator already said yes). */
  manualAdvertise: (req: AdvertiseRequest) => Promise<AdvertiseResult>;
  /** Performs the queued advertise once the cooldown (and any retry delay) is over. */
  advertiseQueued: () => Promise<void>;
}

export function createAdvertiser(core: AdvertiseCore): Advertiser {
  const { cidr, s, settings, settingsLoaded, prefixRef, publishVisibility, publishCycle, recordSafely, notify } = core;
  const { startEpisode, operatorFailure } = core;
  const policy = (): CooldownPolicy => core.cooldownPolicy();

  async function manualAdvertise(req: AdvertiseRequest): Promise<AdvertiseResult> {
    await settingsLoaded();
    const operator = { actor: req.actor, reason: req.reason };
    // The validator may have used the client's view of the cooldown; the worker's settings decide.
    const availableAtMs = advertiseAvailableAt(s, policy());
    if (Date.now() < availableAtMs) {
      if (req.whenAllowed === true) return queueAdvertise(operator, availableAtMs);
      throw cooldownRefusal(availableAtMs);
    }
    const result = await advertise('manual', operator, req.whenAllowed === true);
    await publishCycle();
    return result;
  }

  function cooldownRefusal(availableAtMs: number): ApplicationFailure {
    return ApplicationFailure.create({
      type: OPERATOR_REFUSED,
      nonRetryable: true,
      message: cooldownRefusalMessage(cidr, policy().readvertiseCooldownMs, availableAtMs, Date.now()),
      details: [{ code: 'cooldown', availableAtMs }],
    });
  }

  function queueAdvertise(operator: OperatorRequest, availableAtMs: number): AdvertiseResult {
    if (s.queuedAdvertise === null) {
      s.queuedAdvertise = { ...operator, requestedAtMs: Date.now(), failures: 0, retryAtMs: null, lastError: null };
      log.info(
        `advertise of ${cidr} queued by ${operator.actor}: ${describeAdvertiseAvailability(availableAtMs, Date.now())}`,
        { cidr },
      );
    }
    publishVisibility();
    return { cidr, outcome: 'queued', eventId: null, atMs: availableAtMs, changed: false, shadow: false };
  }

  /**
   * Advertises now (phase 'advertising' while in flight). A queued request that fails is kept and tried again
   * with back-off; a direct one fails its update. Afterwards the prefix is protected like any advertised prefix.
   */
  async function advertise(
    trigger: 'manual' | 'queued',
    operator: OperatorRequest,
    mayQueue: boolean,
  ): Promise<AdvertiseResult> {
    const resumePhase = s.phase === 'cooldown' ? 'cooldown' : 'idle';
    s.phase = 'advertising';
    publishVisibility();
    let after: LivePrefixState;
    let changed: boolean;
    let shadow: boolean;
    try {
      const live = await cloudflareReadsFor(`read live state ${cidr}`).readLivePrefixState(cidr);
      s.live = live;
      if (live.locked) throw ApplicationFailure.nonRetryable(`${cidr} is locked`, ErrorType.PrefixLocked);
      if (live.advertised === true) {
        // Someone else advertised it meanwhile: nothing for us to change or record; protect it.
        log.info(`${cidr} is already advertised at Cloudflare; protecting it`, { cidr });
        s.queuedAdvertise = null;
        startEpisode();
        return { cidr, outcome: 'advertised', eventId: null, atMs: Date.now(), changed: false, shadow: false };
      }
      // Cloudflare may know of a later change than we did: its advertised_modified_at moves the cooldown.
      const availableAtMs = advertiseAvailableAt(s, policy());
      if (Date.now() < availableAtMs) {
        s.phase = resumePhase;
        if (trigger === 'queued' || mayQueue) return queueAdvertise(operator, availableAtMs);
        throw cooldownRefusal(availableAtMs);
      }
      ({
        changed,
        shadow,
        live: after,
      } = await cloudflareChangesFor(`advertise ${cidr} at Cloudflare`).advertisePrefix(cidr));
    } catch (err) {
      if (err instanceof ApplicationFailure && err.type === OPERATOR_REFUSED) throw err;
      return advertiseFailed(trigger, operator, resumePhase, err);
    }
    const atMs = Date.now();
    const eventId = eventIdFor(atMs, 'advertise');
    const queued = trigger === 'queued' ? s.queuedAdvertise : null;
    await recordSafely('advertise', () =>
      recordsFor(`record advertise ${cidr}`).recordAdvertise({
        idempotencyKey: `${cidr}/${eventId}`,
        prefix: cidr,
        description: settings().identity.description,
        eventId,
        actionTaken: 'advertised_manual',
        status: shadow ? 'shadow' : 'success',
        advertisedAtMs: atMs,
        notes: `${shadow ? 'SHADOW MODE: would have advertised' : 'Advertised'} by ${operator.actor}: ${operator.reason}${
          queued ? ` (queued at ${new Date(queued.requestedAtMs).toISOString()} until the cooldown ended)` : ''
        }`,
        details: {
          workflowId: workflowInfo().workflowId,
          trigger,
          actor: operator.actor,
          reason: operator.reason,
          changed,
          shadow,
          ...(queued ? { requestedAtMs: queued.requestedAtMs } : {}),
        },
      }),
    );
    notify(`${cidr}/${eventId}`, {
      kind: 'prefix_advertised',
      trigger,
      prefix: prefixRef(),
      eventId,
      actor: `${operator.actor}: ${operator.reason}`,
      shadow,
      atMs,
    });
    s.lastAdvertise = { eventId, atMs, trigger, actor: operator.actor, changed };
    s.queuedAdvertise = null;
    s.live = after;
    log.info(`${cidr} advertised (${eventId}, ${trigger}, by ${operator.actor}); protecting it`, { cidr });
    if (after.advertised === true) startEpisode();
    else {
      // Shadow mode: nothing changed at Cloudflare, so there is nothing to protect.
      s.phase = resumePhase;
      if (resumePhase === 'idle') s.idleSinceMs = Date.now();
    }
    return { cidr, outcome: 'advertised', eventId, atMs, changed, shadow };
  }

  function advertiseFailed(
    trigger: 'manual' | 'queued',
    operator: OperatorRequest,
    resumePhase: 'idle' | 'cooldown',
    err: unknown,
  ): AdvertiseResult {
    const f = describeFailure(err);
    s.phase = resumePhase;
    if (resumePhase === 'idle') s.idleSinceMs = Date.now();
    const final = NON_RETRYABLE_CLOUDFLARE.includes(f.type);
    if (trigger === 'queued' && s.queuedAdvertise && !final) {
      const failures = s.queuedAdvertise.failures + 1;
      const retryAtMs = Date.now() + withdrawRetryDelayMs(failures);
      s.queuedAdvertise = { ...s.queuedAdvertise, failures, retryAtMs, lastError: `${f.type}: ${f.message}` };
      log.error(
        `queued advertise of ${cidr} failed (${failures}): ${f.message}; trying again at ${new Date(retryAtMs).toISOString()}`,
        { cidr, errorType: f.type },
      );
      return { cidr, outcome: 'queued', eventId: null, atMs: retryAtMs, changed: false, shadow: false };
    }
    if (trigger === 'queued') s.queuedAdvertise = null;
    log.error(`advertise of ${cidr} requested by ${operator.actor} failed: ${f.message}`, { cidr, errorType: f.type });
    throw operatorFailure(`advertise of ${cidr} failed: ${f.type}: ${f.message}`);
  }

  async function advertiseQueued(): Promise<void> {
    const q = s.queuedAdvertise!;
    try {
      await advertise('queued', { actor: q.actor, reason: q.reason }, true);
    } catch (err) {
      // A final failure (locked, refused credentials, unknown prefix) drops the queue: whoever queued it must know
      // the prefix stayed withdrawn.
      const f = describeFailure(err);
      const atMs = Date.now();
      s.lastAdvertiseFailure = {
        atMs,
        actor: q.actor,
        reason: q.reason,
        requestedAtMs: q.requestedAtMs,
        error: f.message,
      };
      log.error(`queued advertise of ${cidr} by ${q.actor} dropped: ${f.message}; the prefix stays withdrawn`, {
        cidr,
      });
      notify(`${cidr}/advertise-failed/${q.requestedAtMs}`, {
        kind: 'advertise_failed',
        prefix: prefixRef(),
        actor: `${q.actor}: ${q.reason}`,
        requestedAtMs: q.requestedAtMs,
        error: f.message,
        atMs,
      });
    }
    await publishCycle();
  }

  return { manualAdvertise, advertiseQueued };
}
