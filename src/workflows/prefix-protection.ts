// PrefixProtection: one durable workflow per advertised prefix; measures every cycle, withdraws after the calm period.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ProtectionSettings } from '../activities';
import {
  afterWithdraw,
  initialCalmState,
  projectedWithdrawAtMs,
  stepCalm,
  type Decision,
  type StepContext,
} from '../domain/calm-engine';
import {
  cooldownEndsAtMs,
  currentCycleAtMs,
  eventIdFor,
  nextCycleAtMs,
  withdrawRetryDelayMs,
} from '../domain/protection';
import type { LivePrefixState, TrafficObservation } from '../domain/types';
import { ErrorType } from '../errors';
import type { Notification } from '../notifications/types';
import {
  cloudflareChanges,
  cloudflareReads,
  describeFailure,
  notifications,
  records,
  trafficReader,
  waitSummary,
} from './activity-stubs';
import { Background } from './background';
import { SUPERVISOR_WORKFLOW_ID } from './ids';
import { liveStateSignal, protectionEndedSignal, statusQuery } from './messages';
import type {
  ProtectionEndReason,
  ProtectionInput,
  ProtectionOutcome,
  ProtectionState,
  ProtectionStatus,
} from './types';

const DEFAULT_MAX_HISTORY_EVENTS = 4000;

export async function PrefixProtection(input: ProtectionInput): Promise<ProtectionOutcome> {
  const cidr = input.cidr;
  const s: ProtectionState = input.carried ?? freshState(input.live ?? null);
  s.runs += input.carried ? 1 : 0;
  const bg = new Background();
  let endReason: ProtectionEndReason = 'cooldown_elapsed';

  setHandler(statusQuery, () => statusOf(s));
  setHandler(liveStateSignal, ({ live, configDigest }) => {
    // Reads can arrive out of order; only a newer observation replaces what we know.
    if (s.live === null || live.observedAtMs >= s.live.observedAtMs) s.live = live;
    if (s.settings !== null && configDigest !== s.settings.configDigest) s.settingsStale = true;
  });

  if (s.settings === null || s.settingsStale) await loadSettings();

  while (s.phase !== 'ended') {
    if (shouldContinueAsNew(input.maxHistoryEvents)) {
      await bg.drain();
      await condition(allHandlersFinished);
      return continueAsNew<typeof PrefixProtection>({ cidr, carried: s, maxHistoryEvents: input.maxHistoryEvents });
    }
    if (s.phase === 'cooldown') await holdCooldown();
    else await protectOneCycle();
  }
  await bg.drain();
  return finish();

  // ---- one measurement cycle -------------------------------------------------------------------------------

  async function protectOneCycle(): Promise<void> {
    if (s.settingsStale) await loadSettings();
    const policy = settings().policy;
    if (externallyWithdrawn()) return endProtection('withdrawn_externally');
    const cycleAt =
      s.lastCycleAtMs === null
        ? currentCycleAtMs(Date.now(), policy.checkIntervalMs)
        : nextCycleAtMs(s.lastCycleAtMs, policy.checkIntervalMs);
    const waitMs = cycleAt - Date.now();
    if (waitMs > 0) {
      const interrupted = await condition(() => externallyWithdrawn() || s.settingsStale, waitMs, {
        summary: waitSummary(waitMs),
      });
      if (interrupted) return; // handled at the top of the next call
    }
    s.lastCycleAtMs = Math.max(cycleAt, currentCycleAtMs(Date.now(), policy.checkIntervalMs));
    s.cycles++;

    const observation = await measure(s.lastCycleAtMs);
    // The observation describes the window ending at the cycle time: step the engine at that time, so calm
    // accrues in exact intervals whatever the activity's latency.
    const ctx = stepContext(s.lastCycleAtMs);
    const result = stepCalm(s.calm, observation, ctx);
    s.calm = result.state;
    s.lastDecisions = result.decisions.map((d) =>
      d.type === 'withdraw_blocked' || d.type === 'telemetry_lost' ? `${d.type}:${d.reason}` : d.type,
    );
    for (const d of result.decisions) await act(d);
    await publishCycle();
  }

  async function measure(cycleAt: number): Promise<TrafficObservation> {
    const policy = settings().policy;
    try {
      return await trafficReader(policy.checkIntervalMs, cidr).measureDroppedTraffic({
        cidr,
        windowEndMs: cycleAt,
        lookbackMs: policy.lookbackMs,
      });
    } catch (err) {
      const f = describeFailure(err);
      log.warn(`traffic of ${cidr} unknown: ${f.message}`, { cidr, errorType: f.type });
      return { kind: 'error', windowEndMs: cycleAt, errorType: f.type, message: f.message };
    }
  }

  async function act(d: Decision): Promise<void> {
    const prefix = prefixRef();
    const now = Date.now();
    switch (d.type) {
      case 'attack_started':
        s.shadowWithdrawnAtMs = null;
        log.info(`${cidr} under attack: ${d.packets} packets, ${d.mbps.toFixed(2)} Mbps dropped`, { cidr });
        return;
      case 'calm_started':
        log.info(
          `${cidr} calm${d.afterAttack ? ' after attack' : ''}; auto-withdraw in ${settings().policy.calmPeriodMs / 60_000} min`,
          { cidr },
        );
        return;
      case 'telemetry_lost':
        log.warn(
          `${cidr} traffic unknown since ${new Date(d.sinceMs).toISOString()} (${d.reason}); calm timer frozen`,
          { cidr },
        );
        return notifyLater(`${cidr}/telemetry-lost/${d.sinceMs}`, {
          kind: 'telemetry_lost',
          prefix,
          reason: `${d.reason}: ${d.detail}`,
          unknownSinceMs: d.sinceMs,
          calmMs: s.calm.calmAccumulatedMs,
          underAttack: s.calm.underAttack,
          atMs: now,
        });
      case 'telemetry_restored':
        return notifyLater(`${cidr}/telemetry-restored/${now}`, {
          kind: 'telemetry_restored',
          prefix,
          lostForMs: d.lostForMs,
          atMs: now,
        });
      case 'withdraw_blocked':
        if (d.reason === 'locked' && !s.lockedNotified) {
          s.lockedNotified = true;
          log.warn(`${cidr} is calm but locked: it will not be withdrawn`, { cidr });
          return notifyLater(`${cidr}/locked/${s.episodeStartedAtMs}`, {
            kind: 'withdraw_skipped_locked',
            prefix,
            atMs: now,
          });
        }
        return;
      case 'withdraw':
        // Shadow mode decides once per attack episode; the prefix stays advertised, so do not repeat it every cycle.
        if (s.shadowWithdrawnAtMs !== null) return;
        return withdraw('auto', d.calmMs);
    }
  }

  // ---- withdraw ------------------------------------------------------------------------------------------

  async function withdraw(trigger: 'auto' | 'manual', calmMs: number): Promise<void> {
    const decidedAtMs = Date.now();
    const eventId = eventIdFor(decidedAtMs, 'withdraw');
    s.pending = { trigger, eventId, key: `${cidr}/${eventId}`, decidedAtMs, calmMs, peak: s.calm.peak };
    s.phase = 'withdrawing';

    // Re-read live state first: never act on a stale picture of the prefix.
    let live: LivePrefixState;
    try {
      live = await cloudflareReads.readLivePrefixState(cidr);
    } catch (err) {
      return withdrawFailed(err);
    }
    s.live = live;
    if (live.advertised === false) {
      s.pending = null;
      return endProtection('withdrawn_externally');
    }
    if (live.locked) return withdrawRefusedLocked();

    let changed: boolean;
    let shadow: boolean;
    let after: LivePrefixState;
    try {
      ({ changed, shadow, live: after } = await cloudflareChanges.withdrawPrefix(cidr));
    } catch (err) {
      if (describeFailure(err).type === ErrorType.PrefixLocked) return withdrawRefusedLocked();
      return withdrawFailed(err);
    }
    const withdrawnAtMs = Date.now();
    const pending = s.pending;
    s.live = after;
    await recordSafely('withdrawal', () =>
      records.recordWithdrawal({
        idempotencyKey: pending.key,
        prefix: cidr,
        description: settings().identity.description,
        eventId,
        method: trigger === 'auto' ? 'autowithdraw_daemon' : 'manual',
        actionTaken: shadow ? 'shadow_withdraw' : trigger === 'auto' ? 'withdrawn_auto' : 'withdrawn_manual',
        status: shadow ? 'shadow' : 'success',
        withdrawnAtMs,
        advertisedAtMs: live.advertisedModifiedAtMs,
        attackEndedAtMs: s.calm.lastAttackAtMs,
        calmMs,
        peak: pending.peak,
        notes: shadow
          ? `SHADOW MODE: would have withdrawn at ${new Date(withdrawnAtMs).toISOString()} after ${Math.round(calmMs / 60_000)} min calm; nothing changed`
          : `${trigger === 'auto' ? 'Auto-withdrawn' : 'Withdrawn by operator'} after ${Math.round(calmMs / 60_000)} min calm${
              changed ? '' : ' (Cloudflare already showed it withdrawn)'
            }`,
        details: { workflowId: workflowInfo().workflowId, changed, shadow, lookbackMs: settings().policy.lookbackMs },
      }),
    );
    notifyLater(pending.key, {
      kind: 'prefix_withdrawn',
      trigger,
      prefix: prefixRef(),
      eventId,
      calmMs,
      peak: pending.peak,
      shadow,
      atMs: withdrawnAtMs,
    });
    log.info(
      `${cidr} withdrawn (${eventId}); re-advertise cooldown until ${new Date(withdrawnAtMs + settings().policy.readvertiseCooldownMs).toISOString()}`,
      {
        cidr,
      },
    );
    s.lastWithdraw = { eventId, atMs: withdrawnAtMs, trigger, changed };
    if (shadow) {
      // Nothing changed at Cloudflare: keep protecting; the next attack starts a new episode.
      log.warn(`SHADOW MODE: ${cidr} would have been withdrawn now (${eventId}); it stays advertised`, { cidr });
      s.shadowWithdrawnAtMs = withdrawnAtMs;
      s.calm = afterWithdraw(s.calm);
      s.pending = null;
      s.phase = 'protecting';
      return;
    }
    s.withdrawnAtMs = withdrawnAtMs;
    s.cooldownUntilMs = cooldownEndsAtMs(
      withdrawnAtMs,
      after.advertisedModifiedAtMs,
      settings().policy.readvertiseCooldownMs,
    );
    s.withdrawFailures = { rounds: 0, notBeforeMs: null, lastError: null };
    s.calm = afterWithdraw(s.calm);
    s.pending = null;
    s.phase = 'cooldown';
  }

  async function withdrawFailed(err: unknown): Promise<void> {
    const f = describeFailure(err);
    const pending = s.pending;
    const rounds = s.withdrawFailures.rounds + 1;
    const notBeforeMs = Date.now() + withdrawRetryDelayMs(rounds);
    s.withdrawFailures = { rounds, notBeforeMs, lastError: `${f.type}: ${f.message}` };
    s.pending = null;
    s.phase = 'protecting';
    log.error(
      `withdraw of ${cidr} failed (round ${rounds}): ${f.message}; next attempt not before ${new Date(notBeforeMs).toISOString()}`,
      {
        cidr,
        errorType: f.type,
      },
    );
    if (!pending) return;
    const now = Date.now();
    await recordSafely('failed withdrawal', () =>
      records.recordWithdrawal({
        idempotencyKey: `${pending.key}/failed`,
        prefix: cidr,
        description: settings().identity.description,
        eventId: pending.eventId,
        method: pending.trigger === 'auto' ? 'autowithdraw_daemon' : 'manual',
        actionTaken: 'withdraw_failed',
        status: 'failed',
        withdrawnAtMs: now,
        advertisedAtMs: s.live?.advertisedModifiedAtMs ?? null,
        attackEndedAtMs: s.calm.lastAttackAtMs,
        calmMs: pending.calmMs,
        peak: pending.peak,
        notes: `${f.type}: ${f.message}`,
        details: { round: rounds, nextAttemptAtMs: notBeforeMs },
      }),
    );
    notifyLater(`${pending.key}/failed`, {
      kind: 'withdraw_failed',
      prefix: prefixRef(),
      eventId: pending.eventId,
      error: `${f.type}: ${f.message}`,
      attempts: rounds,
      nextAttemptAtMs: notBeforeMs,
      atMs: now,
    });
  }

  function withdrawRefusedLocked(): void {
    s.pending = null;
    s.phase = 'protecting';
    if (s.live) s.live = { ...s.live, locked: true };
    if (!s.lockedNotified) {
      s.lockedNotified = true;
      notifyLater(`${cidr}/locked/${s.episodeStartedAtMs}`, {
        kind: 'withdraw_skipped_locked',
        prefix: prefixRef(),
        atMs: Date.now(),
      });
    }
  }

  // ---- cooldown and ending -------------------------------------------------------------------------------

  async function holdCooldown(): Promise<void> {
    const until = s.cooldownUntilMs ?? Date.now();
    const remaining = until - Date.now();
    const readvertised = (): boolean =>
      s.live?.advertised === true && s.withdrawnAtMs !== null && s.live.observedAtMs > s.withdrawnAtMs;
    if (
      remaining > 0 &&
      !(await condition(readvertised, remaining, {
        summary: `re-advertise cooldown ${waitSummary(remaining).slice(5)}`,
      }))
    )
      return; // cooldown not over yet: loop (and maybe continue-as-new)
    if (readvertised()) {
      log.info(`${cidr} advertised again during the cooldown: protecting it again`, { cidr });
      s.phase = 'protecting';
      s.episodeStartedAtMs = Date.now();
      s.calm = initialCalmState();
      s.lastCycleAtMs = null;
      s.lockedNotified = false;
      return;
    }
    if (Date.now() >= until) s.phase = 'ended';
  }

  async function endProtection(reason: ProtectionEndReason): Promise<void> {
    s.phase = 'ended';
    endReason = reason;
    if (reason === 'withdrawn_externally') {
      const live = s.live;
      log.info(`${cidr} is no longer advertised (changed outside this workflow); protection ends`, { cidr });
      const atMs = live?.advertisedModifiedAtMs ?? live?.observedAtMs ?? Date.now();
      await recordSafely('external withdrawal', () =>
        records.recordWithdrawal({
          idempotencyKey: `${cidr}/external/${atMs}`,
          prefix: cidr,
          description: settings().identity.description,
          eventId: eventIdFor(atMs, 'withdraw'),
          method: 'external',
          actionTaken: 'withdrawn_external',
          status: 'success',
          withdrawnAtMs: atMs,
          advertisedAtMs: null,
          attackEndedAtMs: s.calm.lastAttackAtMs,
          calmMs: s.calm.calmAccumulatedMs,
          peak: s.calm.peak,
          notes: 'Withdrawn outside mt-autowithdraw (seen in Cloudflare state)',
          details: { workflowId: workflowInfo().workflowId },
        }),
      );
      await publishCycle();
    }
  }

  async function finish(): Promise<ProtectionOutcome> {
    try {
      await getExternalWorkflowHandle(SUPERVISOR_WORKFLOW_ID).signal(protectionEndedSignal, {
        cidr,
        reason: endReason,
      });
    } catch {
      // No supervisor running (e.g. a manually started protection): nothing to tell.
    }
    return {
      cidr,
      reason: endReason,
      withdrawnAtMs: s.withdrawnAtMs,
      lastWithdrawEventId: s.lastWithdraw?.eventId ?? null,
    };
  }

  // ---- helpers -------------------------------------------------------------------------------------------

  async function loadSettings(): Promise<void> {
    s.settings = await cloudflareReads.loadProtectionSettings(cidr);
    s.settingsStale = false;
  }

  function settings(): ProtectionSettings {
    if (s.settings === null) throw new Error('settings not loaded');
    return s.settings;
  }

  function prefixRef(): { cidr: string; description: string } {
    return { cidr, description: settings().identity.description };
  }

  function externallyWithdrawn(): boolean {
    return s.phase === 'protecting' && s.live?.advertised === false && s.live.observedAtMs >= s.episodeStartedAtMs;
  }

  function stepContext(nowMs = Date.now()): StepContext {
    const locked = (s.live?.locked ?? false) || (s.settings?.configLocked ?? false);
    return {
      nowMs,
      policy: settings().policy,
      held: false,
      locked,
      advertisedAtMs: s.live?.advertised === true ? s.live.advertisedModifiedAtMs : null,
      withdrawNotBeforeMs: s.withdrawFailures.notBeforeMs,
    };
  }

  /** Publishes this cycle's status: the dashboard row in SQLite (and metrics). */
  async function publishCycle(): Promise<void> {
    const status = statusOf(s);
    await recordSafely('cycle status', () => records.recordCycle(status));
  }

  /** A failing database write is logged, never allowed to stop protection or undo a withdraw. */
  async function recordSafely(what: string, write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (err) {
      log.error(`could not record ${what} for ${cidr}: ${describeFailure(err).message}`, { cidr });
    }
  }

  /** Notifications run beside the workflow: a slow or failing Telegram never delays or undoes an action. */
  function notifyLater(key: string, notification: Notification): void {
    bg.run(
      (async () => {
        try {
          await notifications.sendNotification({ key, notification });
        } catch (err) {
          const f = describeFailure(err);
          log.warn(`notification ${key} failed for good: ${f.message}`, { cidr });
          await recordSafely('notification failure', () =>
            records.recordNotificationFailed({ key, error: `${f.type}: ${f.message}` }),
          );
        }
      })(),
    );
  }

  function statusOf(st: ProtectionState): ProtectionStatus {
    const now = Date.now();
    const ctx = st.settings ? stepContext() : null;
    const c = st.calm;
    const telemetry =
      c.lastClassification === null
        ? 'not_measured'
        : c.telemetryLostAlerted
          ? 'lost'
          : c.unknownSinceMs !== null
            ? 'unknown'
            : 'ok';
    return {
      cidr,
      description: st.settings?.identity.description ?? '',
      phase: st.phase,
      advertised: st.live?.advertised ?? null,
      locked: ctx?.locked ?? false,
      held: ctx?.held ?? false,
      underAttack: c.underAttack,
      telemetry,
      unknownReason: c.unknownReason,
      unknownSinceMs: c.unknownSinceMs,
      calmSinceMs: c.calmSinceMs,
      calmAccumulatedMs: c.calmAccumulatedMs,
      calmPeriodMs: st.settings?.policy.calmPeriodMs ?? 0,
      withdrawDueAtMs: ctx && st.phase === 'protecting' && !ctx.locked ? projectedWithdrawAtMs(c, ctx) : null,
      withdrawBlockedBy: ctx?.locked
        ? 'locked'
        : ctx?.withdrawNotBeforeMs && ctx.withdrawNotBeforeMs > now
          ? 'retry_backoff'
          : null,
      peak: c.peak,
      lastMeasurement: c.lastMeasurement,
      lastCycleAtMs: st.lastCycleAtMs,
      cycles: st.cycles,
      pending: st.pending,
      withdrawFailures: st.withdrawFailures,
      cooldownUntilMs: st.phase === 'cooldown' ? st.cooldownUntilMs : null,
      lastWithdraw: st.lastWithdraw,
      shadow: st.settings?.shadow ?? false,
      shadowWithdrawnAtMs: st.shadowWithdrawnAtMs,
      lastDecisions: st.lastDecisions,
      runs: st.runs,
      nowMs: now,
    };
  }
}

function freshState(live: LivePrefixState | null): ProtectionState {
  return {
    phase: 'protecting',
    settings: null,
    settingsStale: false,
    live,
    calm: initialCalmState(),
    episodeStartedAtMs: Date.now(),
    cycles: 0,
    lastCycleAtMs: null,
    pending: null,
    withdrawFailures: { rounds: 0, notBeforeMs: null, lastError: null },
    withdrawnAtMs: null,
    cooldownUntilMs: null,
    lastWithdraw: null,
    lockedNotified: false,
    lastDecisions: [],
    shadowWithdrawnAtMs: null,
    runs: 1,
  };
}

function shouldContinueAsNew(maxEvents = DEFAULT_MAX_HISTORY_EVENTS): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength >= maxEvents;
}
