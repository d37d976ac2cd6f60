// PrefixProtection: the one owner of a prefix. Measures every cycle, withdraws after the calm period, and carries out
// the operators' withdraw / advertise / hold / resume requests (updates) in the same history.
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ProtectionSettings } from '../activities';
import { afterWithdraw, classify, initialCalmState, stepCalm, type Decision } from '../domain/calm-engine';
import { holdActive, newHold } from '../domain/hold';
import {
  checkAdvertise,
  checkHold,
  checkResume,
  checkWithdraw,
  manualWithdrawReading,
  trafficUnknownMessage,
  underAttackMessage,
  type LatestReading,
  type Verdict,
} from '../domain/operator-rules';
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
  cloudflareChangesFor,
  cloudflareReadsFor,
  describeFailure,
  recordsFor,
  trafficReader,
  waitSummary,
} from './activity-stubs';
import { renderDetails } from './details';
import { SUPERVISOR_WORKFLOW_ID } from './ids';
import {
  advertiseUpdate,
  holdUpdate,
  liveStateSignal,
  OPERATOR_FAILED,
  OPERATOR_REFUSED,
  protectionEndedSignal,
  resumeUpdate,
  statusQuery,
  withdrawUpdate,
} from './messages';
import { createAdvertiser } from './advertise';
import { createOutbox } from './outbox';
import {
  advertiseAvailableAt,
  cooldownPolicyOf,
  freshState,
  NO_DEFERRALS,
  operatorFactsOf,
  statusOf,
  stepContextOf,
  withDefaults,
} from './protection-state';
import { createSearchAttributePublisher } from './search-attributes';
import type {
  AdvertiseRequest,
  HoldRequest,
  OperatorRequest,
  PendingWithdraw,
  ProtectionEndReason,
  ProtectionInput,
  ProtectionOutcome,
  ProtectionState,
  ProtectionStatus,
  ResumeRequest,
  WithdrawRequest,
  WithdrawResult,
} from './types';
import {
  externalWithdrawalRecord,
  failedWithdrawalRecord,
  withdrawalRecord,
  withdrawnNotification,
} from './withdraw-records';

const DEFAULT_MAX_HISTORY_EVENTS = 4000;
/** An operator-started workflow with nothing to do (e.g. its advertise was refused) ends after this long. */
const IDLE_GRACE_MS = 2 * 60_000;
/** A due withdraw deferred this many cycles in a row (live state unreadable) is worth telling the on-call team. */
const DEFERRALS_BEFORE_ALERT = 5;

type Uncontrollable = 'not_on_demand' | 'prefix_missing';

type WithdrawOutcome =
  | { kind: 'withdrawn'; result: WithdrawResult }
  | { kind: 'skipped' }
  | { kind: 'already_withdrawn' }
  | { kind: 'ended'; reason: Uncontrollable }
  | { kind: 'locked' }
  /** The live state could not be read first: nothing was attempted; the next cycle tries again. */
  | { kind: 'deferred'; error: string }
  | { kind: 'failed'; error: string; nextAttemptAtMs: number };

export async function PrefixProtection(input: ProtectionInput): Promise<ProtectionOutcome> {
  const cidr = input.cidr;
  const s: ProtectionState = input.carried ? withDefaults(input.carried) : freshState(input, Date.now());
  s.runs += input.carried ? 1 : 0;
  s.outbox ??= [];
  const outbox = createOutbox(s.outbox, cidr);
  const publishSearchAttributes = createSearchAttributePublisher();
  let endReason: ProtectionEndReason = 'cooldown_elapsed';

  setHandler(statusQuery, () => status());
  setHandler(liveStateSignal, ({ live, configDigest }) => {
    // Reads can arrive out of order; only a newer observation replaces what we know.
    if (s.live === null || live.observedAtMs >= s.live.observedAtMs) s.live = live;
    if (s.settings !== null && configDigest !== s.settings.configDigest) s.settingsStale = true;
  });
  setHandler(withdrawUpdate, manualWithdraw, {
    validator: (req: WithdrawRequest) => enforce(checkWithdraw(facts()), req),
    description: 'Withdraw the prefix now (manual; never under attack or with unknown traffic); then the cooldown runs',
  });
  const advertiser = createAdvertiser({
    cidr,
    s,
    cooldownPolicy: () => cooldownPolicyOf(s, input),
    settings,
    settingsLoaded,
    prefixRef,
    publishVisibility,
    publishCycle,
    recordSafely,
    notify,
    startEpisode,
    operatorFailure,
  });
  setHandler(advertiseUpdate, advertiser.manualAdvertise, {
    validator: (req: AdvertiseRequest) =>
      enforce(checkAdvertise(facts(), { whenAllowed: req.whenAllowed === true }), req),
    description: 'Advertise the prefix now, or with whenAllowed as soon as the re-advertise cooldown ends',
  });
  setHandler(
    holdUpdate,
    (req) => {
      s.hold = newHold(req, Date.now());
      const until = s.hold.untilMs === null ? 'until resumed' : `until ${new Date(s.hold.untilMs).toISOString()}`;
      log.info(`auto-withdraw of ${cidr} held by ${req.actor} ${until}: ${req.reason}`, { cidr });
      publishVisibility();
      return { cidr, hold: s.hold };
    },
    {
      validator: (req: HoldRequest) => enforce(checkHold(facts(), { forMs: req.forMs }), req),
      description: 'Pause auto-withdraw (measuring continues), optionally for forMs',
    },
  );
  setHandler(
    resumeUpdate,
    (req) => {
      const hold = s.hold!;
      s.hold = null;
      log.info(`auto-withdraw of ${cidr} resumed by ${req.actor}: ${req.reason}`, { cidr });
      publishVisibility();
      return { cidr, resumedAtMs: Date.now(), hold };
    },
    { validator: (req: ResumeRequest) => enforce(checkResume(facts()), req), description: 'Lift a hold' },
  );

  // What the previous run had not delivered yet goes out again (idempotent by key), beside the work.
  outbox.resume();
  if (s.settings === null || s.settingsStale) await loadSettings();

  while (s.phase !== 'ended') {
    publishVisibility();
    if (shouldContinueAsNew(input.maxHistoryEvents)) {
      // Notifications still in flight are not waited for: they travel in s.outbox to the next run.
      await condition(allHandlersFinished);
      return continueAsNew<typeof PrefixProtection>({ cidr, carried: s, maxHistoryEvents: input.maxHistoryEvents });
    }
    switch (s.phase) {
      case 'cooldown':
        await holdCooldown();
        break;
      case 'idle':
        await waitIdle();
        break;
      case 'withdrawing':
      case 'advertising':
        // An operator's change is in flight in its update handler.
        await condition(() => s.phase !== 'withdrawing' && s.phase !== 'advertising');
        break;
      default:
        await protectOneCycle();
    }
  }
  await condition(allHandlersFinished);
  // Nothing is measured any more: the last notifications may be waited for (each within its retry budget).
  await outbox.drain();
  publishVisibility();
  return finish();

  // ---- one measurement cycle -------------------------------------------------------------------------------

  async function protectOneCycle(): Promise<void> {
    if (s.settingsStale) await loadSettings();
    const policy = settings().policy;
    // This prefix's cohort: its cycles fall at this offset inside the interval (settings before cohorts: none).
    const offsetMs = settings().cycleOffsetMs ?? 0;
    const gone = liveEndReason();
    if (gone) return endProtection(gone);
    const cycleAt =
      s.lastCycleAtMs === null
        ? currentCycleAtMs(Date.now(), policy.checkIntervalMs, offsetMs)
        : nextCycleAtMs(s.lastCycleAtMs, policy.checkIntervalMs, offsetMs);
    const waitMs = cycleAt - Date.now();
    if (waitMs > 0) {
      const interrupted = await condition(
        () => liveEndReason() !== null || s.settingsStale || s.phase !== 'protecting',
        waitMs,
        { summary: waitSummary(waitMs) },
      );
      if (interrupted) return; // handled at the top of the next call
    }
    if (s.phase !== 'protecting') return;
    expireHold();
    s.lastCycleAtMs = Math.max(cycleAt, currentCycleAtMs(Date.now(), policy.checkIntervalMs, offsetMs));
    s.cycles++;

    const observation = await measure(s.lastCycleAtMs);
    // An operator changed the prefix while we measured: this reading no longer describes a protected prefix.
    if (s.phase !== 'protecting') return;
    // The observation describes the window ending at the cycle time: step the engine at that time, so calm
    // accrues in exact intervals whatever the activity's latency.
    const result = stepCalm(s.calm, observation, stepContextOf(s, s.lastCycleAtMs));
    s.calm = result.state;
    s.lastDecisions = result.decisions.map((d) =>
      d.type === 'withdraw_blocked' || d.type === 'telemetry_lost' ? `${d.type}:${d.reason}` : d.type,
    );
    for (const d of result.decisions) await act(d);
    await publishCycle();
  }

  async function measure(windowEndMs: number): Promise<TrafficObservation> {
    const policy = settings().policy;
    try {
      return await trafficReader(policy.checkIntervalMs, cidr).measureDroppedTraffic({
        cidr,
        windowEndMs,
        lookbackMs: policy.lookbackMs,
      });
    } catch (err) {
      const f = describeFailure(err);
      log.warn(`traffic of ${cidr} unknown: ${f.message}`, { cidr, errorType: f.type });
      return { kind: 'error', windowEndMs, errorType: f.type, message: f.message };
    }
  }

  async function act(d: Decision): Promise<void> {
    const prefix = prefixRef();
    const now = Date.now();
    switch (d.type) {
      case 'attack_started':
        s.shadowWithdrawnAtMs = null;
        s.withdrawDeferrals = NO_DEFERRALS;
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
        return notify(`${cidr}/telemetry-lost/${d.sinceMs}`, {
          kind: 'telemetry_lost',
          prefix,
          reason: `${d.reason}: ${d.detail}`,
          unknownSinceMs: d.sinceMs,
          calmMs: s.calm.calmAccumulatedMs,
          underAttack: s.calm.underAttack,
          atMs: now,
        });
      case 'telemetry_restored':
        return notify(`${cidr}/telemetry-restored/${now}`, {
          kind: 'telemetry_restored',
          prefix,
          lostForMs: d.lostForMs,
          atMs: now,
        });
      case 'withdraw_blocked':
        if (d.reason === 'locked' && !s.lockedNotified) {
          s.lockedNotified = true;
          log.warn(`${cidr} is calm but locked: it will not be withdrawn`, { cidr });
          return notify(`${cidr}/locked/${s.episodeStartedAtMs}`, {
            kind: 'withdraw_skipped_locked',
            prefix,
            atMs: now,
          });
        }
        return;
      case 'withdraw':
        // Shadow mode decides once per attack episode; the prefix stays advertised, so do not repeat it every cycle.
        if (s.shadowWithdrawnAtMs !== null) return;
        await withdraw('auto', d.calmMs);
        return;
    }
  }

  // ---- withdraw ------------------------------------------------------------------------------------------

  /**
   * The only path to a withdraw PATCH, automatic or manual. It claims the prefix synchronously (phase
   * 'withdrawing') before its first await, so a second request arriving meanwhile is refused or skipped.
   */
  async function withdraw(
    trigger: 'auto' | 'manual',
    calmMs: number,
    operator?: OperatorRequest,
  ): Promise<WithdrawOutcome> {
    if (s.phase !== 'protecting') return { kind: 'skipped' };
    const decidedAtMs = Date.now();
    const eventId = eventIdFor(decidedAtMs, 'withdraw');
    const pending: PendingWithdraw = {
      trigger,
      ...(operator ? { operator } : {}),
      eventId,
      key: `${cidr}/${eventId}`,
      decidedAtMs,
      calmMs,
      peak: s.calm.peak,
    };
    s.pending = pending;
    s.phase = 'withdrawing';
    publishVisibility();

    // Re-read live state first: never act on a stale picture of the prefix.
    let live: LivePrefixState;
    try {
      live = await cloudflareReadsFor(`read live state ${cidr}`).readLivePrefixState(cidr);
    } catch (err) {
      const f = describeFailure(err);
      if (f.type === ErrorType.PrefixNotFound) return endUncontrollable('prefix_missing', f.message);
      // Nothing was attempted: this is not a failed withdraw.
      return withdrawDeferred(trigger, `${f.type}: ${f.message}`);
    }
    s.live = live;
    s.withdrawDeferrals = NO_DEFERRALS;
    if (live.advertised === false) {
      release();
      await endProtection('withdrawn_externally');
      return { kind: 'already_withdrawn' };
    }
    if (live.advertised === null)
      return endUncontrollable(
        'not_on_demand',
        'Cloudflare reports no on-demand advertisement state (advertised: null)',
      );
    if (live.locked) return withdrawRefusedLocked();

    let changed: boolean;
    let shadow: boolean;
    let after: LivePrefixState;
    try {
      ({
        changed,
        shadow,
        live: after,
      } = await cloudflareChangesFor(`withdraw ${cidr} at Cloudflare`).withdrawPrefix(cidr));
    } catch (err) {
      const f = describeFailure(err);
      if (f.type === ErrorType.PrefixLocked) return withdrawRefusedLocked();
      if (f.type === ErrorType.PrefixNotFound) return endUncontrollable('prefix_missing', f.message);
      return withdrawFailed(pending, err);
    }
    const withdrawnAtMs = Date.now();
    s.live = after;
    await recordSafely('withdrawal', () =>
      recordsFor(`record withdrawal ${cidr}`).recordWithdrawal(
        withdrawalRecord(subject(), {
          pending,
          changed,
          shadow,
          withdrawnAtMs,
          before: live,
          lastAttackAtMs: s.calm.lastAttackAtMs,
          lookbackMs: settings().policy.lookbackMs,
        }),
      ),
    );
    notify(pending.key, withdrawnNotification(subject(), { pending, shadow, withdrawnAtMs }));
    s.lastWithdraw = { eventId, atMs: withdrawnAtMs, trigger, changed, ...(operator ? { actor: operator.actor } : {}) };
    s.withdrawFailures = { rounds: 0, notBeforeMs: null, lastError: null };
    s.calm = afterWithdraw(s.calm);
    s.pending = null;
    if (shadow) {
      // Nothing changed at Cloudflare: keep protecting; the next attack starts a new episode.
      log.warn(`SHADOW MODE: ${cidr} would have been withdrawn now (${eventId}); it stays advertised`, { cidr });
      s.shadowWithdrawnAtMs = withdrawnAtMs;
      s.phase = 'protecting';
      return {
        kind: 'withdrawn',
        result: { cidr, eventId, withdrawnAtMs, changed, shadow, cooldownUntilMs: null },
      };
    }
    s.withdrawnAtMs = withdrawnAtMs;
    if (s.hold) {
      // A hold is about this advertisement: once withdrawn, the next advertise is protected normally.
      log.info(`hold of ${cidr} by ${s.hold.actor} lifted: the prefix is withdrawn`, { cidr });
      s.hold = null;
    }
    s.cooldownUntilMs = cooldownEndsAtMs(
      withdrawnAtMs,
      after.advertisedModifiedAtMs,
      settings().policy.readvertiseCooldownMs,
    );
    s.phase = 'cooldown';
    const who = operator ? `by ${operator.actor} (${operator.reason})` : '';
    log.info(
      `${cidr} withdrawn (${eventId}${who ? `, ${who}` : ''}); re-advertise cooldown until ${new Date(s.cooldownUntilMs).toISOString()}`,
      { cidr },
    );
    return {
      kind: 'withdrawn',
      result: { cidr, eventId, withdrawnAtMs, changed, shadow, cooldownUntilMs: s.cooldownUntilMs },
    };
  }

  /** Back to protecting without a withdraw in flight. */
  function release(): void {
    s.pending = null;
    s.phase = 'protecting';
  }

  function withdrawDeferred(trigger: 'auto' | 'manual', error: string): WithdrawOutcome {
    release();
    if (trigger === 'manual') {
      log.warn(`manual withdraw of ${cidr} not attempted: its live state could not be read (${error})`, { cidr });
      return { kind: 'deferred', error };
    }
    const prev = s.withdrawDeferrals ?? NO_DEFERRALS;
    const d = { ...prev, cycles: prev.cycles + 1, sinceMs: prev.sinceMs ?? Date.now(), lastError: error };
    log.warn(
      `withdraw of ${cidr} deferred (${d.cycles} cycle${d.cycles === 1 ? '' : 's'}): its live state could not be read (${error}); nothing changed, trying again next cycle`,
      { cidr },
    );
    if (!d.alerted && d.cycles >= DEFERRALS_BEFORE_ALERT) {
      d.alerted = true;
      notify(`${cidr}/withdraw-deferred/${d.sinceMs}`, {
        kind: 'withdraw_deferred',
        prefix: prefixRef(),
        error,
        cycles: d.cycles,
        sinceMs: d.sinceMs,
        atMs: Date.now(),
      });
    }
    s.withdrawDeferrals = d;
    return { kind: 'deferred', error };
  }

  async function withdrawFailed(pending: PendingWithdraw, err: unknown): Promise<WithdrawOutcome> {
    const f = describeFailure(err);
    const error = `${f.type}: ${f.message}`;
    const rounds = s.withdrawFailures.rounds + 1;
    const notBeforeMs = Date.now() + withdrawRetryDelayMs(rounds);
    s.withdrawFailures = { rounds, notBeforeMs, lastError: error };
    release();
    log.error(
      `withdraw of ${cidr} failed (round ${rounds}): ${f.message}; next attempt not before ${new Date(notBeforeMs).toISOString()}`,
      { cidr, errorType: f.type },
    );
    const now = Date.now();
    await recordSafely('failed withdrawal', () =>
      recordsFor(`record failed withdrawal ${cidr}`).recordWithdrawal(
        failedWithdrawalRecord(subject(), {
          pending,
          error,
          round: rounds,
          nextAttemptAtMs: notBeforeMs,
          atMs: now,
          advertisedAtMs: s.live?.advertisedModifiedAtMs ?? null,
          lastAttackAtMs: s.calm.lastAttackAtMs,
        }),
      ),
    );
    notify(`${pending.key}/failed`, {
      kind: 'withdraw_failed',
      prefix: prefixRef(),
      eventId: pending.eventId,
      error,
      attempts: rounds,
      nextAttemptAtMs: notBeforeMs,
      atMs: now,
    });
    return { kind: 'failed', error, nextAttemptAtMs: notBeforeMs };
  }

  function withdrawRefusedLocked(): WithdrawOutcome {
    release();
    if (s.live) s.live = { ...s.live, locked: true };
    if (!s.lockedNotified) {
      s.lockedNotified = true;
      notify(`${cidr}/locked/${s.episodeStartedAtMs}`, {
        kind: 'withdraw_skipped_locked',
        prefix: prefixRef(),
        atMs: Date.now(),
      });
    }
    return { kind: 'locked' };
  }

  /** Cloudflare no longer lets us control the prefix: nothing to withdraw, protection ends (said and recorded). */
  async function endUncontrollable(reason: Uncontrollable, detail: string): Promise<WithdrawOutcome> {
    release();
    await endProtection(reason, detail);
    return { kind: 'ended', reason };
  }

  // ---- operator requests (update handlers; their validators already said yes) ------------------------------

  async function manualWithdraw(req: WithdrawRequest): Promise<WithdrawResult> {
    await settingsLoaded();
    const operator = { actor: req.actor, reason: req.reason };
    log.info(`manual withdraw of ${cidr} requested by ${req.actor}: ${req.reason}`, { cidr });
    const refusal = await notCalmNow();
    if (refusal) {
      log.warn(`manual withdraw of ${cidr} by ${req.actor} refused: ${refusal.message}`, { cidr });
      throw ApplicationFailure.create({
        type: OPERATOR_REFUSED,
        nonRetryable: true,
        message: refusal.message,
        details: [{ code: refusal.code, availableAtMs: null }],
      });
    }
    const outcome = await withdraw('manual', s.calm.calmAccumulatedMs, operator);
    await publishCycle();
    switch (outcome.kind) {
      case 'withdrawn':
        return outcome.result;
      case 'already_withdrawn':
        throw operatorFailure(`${cidr} was already withdrawn outside mt-autowithdraw: nothing changed`);
      case 'locked':
        throw operatorFailure(`${cidr} is locked at Cloudflare: nothing changed`);
      case 'ended':
        throw operatorFailure(
          `${cidr} ${outcome.reason === 'not_on_demand' ? 'is not under on-demand control at Cloudflare' : 'is not known at Cloudflare'}: nothing changed, protection ends`,
        );
      case 'skipped':
        throw operatorFailure(
          `another change of ${cidr} took place while this request was checked (now ${s.phase}): nothing changed by this request`,
        );
      case 'deferred':
        throw operatorFailure(`could not read the state of ${cidr} at Cloudflare (${outcome.error}): nothing changed`);
      case 'failed':
        throw operatorFailure(
          `withdraw of ${cidr} failed: ${outcome.error}; auto-withdraw tries again from ${new Date(outcome.nextAttemptAtMs).toISOString()}`,
        );
    }
  }

  /**
   * Safety rule 1 for a manual withdraw: the latest reading must be calm and at most one check interval old; a
   * missing or older one (an update-with-start, a late cycle) is taken now, the way a cycle would.
   */
  async function notCalmNow(): Promise<{ code: 'under_attack' | 'traffic_unknown'; message: string } | null> {
    const policy = settings().policy;
    const latest = (): LatestReading => ({
      underAttack: s.calm.underAttack,
      unknown: s.calm.unknownSinceMs !== null,
      unknownDetail: s.calm.unknownReason ? `${s.calm.unknownReason}: ${s.calm.unknownDetail ?? ''}` : null,
      lastClassification: s.calm.lastClassification,
      lastReadingAtMs: s.calm.lastObservationAtMs,
    });
    const gate = manualWithdrawReading(cidr, latest(), policy.checkIntervalMs, Date.now());
    if (gate.kind === 'refuse') return gate;
    if (gate.kind === 'calm') return null;
    const atMs = Date.now();
    const reading = classify(await measure(atMs), policy, atMs);
    if (reading.kind === 'attack')
      return {
        code: 'under_attack',
        message: underAttackMessage(
          cidr,
          `a fresh reading: ${reading.packets} packets, ${reading.mbps.toFixed(2)} Mbps dropped over the lookback window`,
        ),
      };
    if (reading.kind === 'unknown')
      return {
        code: 'traffic_unknown',
        message: trafficUnknownMessage(cidr, `a fresh reading: ${reading.reason}: ${reading.detail}`),
      };
    // A cycle may have seen an attack (or lost the data) while we measured.
    const again = manualWithdrawReading(
      cidr,
      { ...latest(), lastClassification: 'calm', lastReadingAtMs: atMs },
      policy.checkIntervalMs,
      atMs,
    );
    return again.kind === 'refuse' ? again : null;
  }

  /** A new protection episode: the prefix is advertised (by us or by someone else) and measured from scratch. */
  function startEpisode(): void {
    if (s.queuedAdvertise) {
      // The queued request was about the withdrawn prefix; once it is advertised again it must not fire later.
      log.info(`queued advertise of ${cidr} by ${s.queuedAdvertise.actor} superseded: the prefix is advertised again`, {
        cidr,
      });
      s.queuedAdvertise = null;
    }
    s.phase = 'protecting';
    s.episodeStartedAtMs = Date.now();
    s.calm = initialCalmState();
    s.lastCycleAtMs = null;
    s.lockedNotified = false;
    s.cooldownUntilMs = null;
    s.idleSinceMs = null;
    s.shadowWithdrawnAtMs = null;
    s.pending = null;
    s.withdrawFailures = { rounds: 0, notBeforeMs: null, lastError: null };
    s.withdrawDeferrals = NO_DEFERRALS;
  }

  function expireHold(): void {
    if (s.hold && !holdActive(s.hold, Date.now())) {
      log.info(`hold of ${cidr} by ${s.hold.actor} expired: auto-withdraw resumes`, { cidr });
      s.hold = null;
    }
  }

  // ---- cooldown, idle and ending -------------------------------------------------------------------------

  async function holdCooldown(): Promise<void> {
    const readvertised = (): boolean =>
      s.live?.advertised === true && s.withdrawnAtMs !== null && s.live.observedAtMs > s.withdrawnAtMs;
    if (readvertised()) {
      log.info(`${cidr} advertised again during the cooldown: protecting it again`, { cidr });
      startEpisode();
      return;
    }
    const until = dueAtMs(s.cooldownUntilMs ?? Date.now());
    const remaining = until - Date.now();
    if (remaining > 0) {
      const label = s.queuedAdvertise ? 'queued advertise' : 're-advertise cooldown';
      await condition(() => readvertised() || s.phase !== 'cooldown', remaining, {
        summary: `${label}: ${waitSummary(remaining)}`,
      });
      return; // re-evaluated at the top of the loop (and maybe continue-as-new first)
    }
    if (s.queuedAdvertise) {
      await advertiser.advertiseQueued();
      return;
    }
    await condition(allHandlersFinished);
    if (s.phase === 'cooldown' && s.queuedAdvertise === null) {
      s.phase = 'ended';
      endReason = 'cooldown_elapsed';
    }
  }

  /** Started by an operator for a prefix that is not advertised: wait for a (queued) advertise, else end. */
  async function waitIdle(): Promise<void> {
    const advertisedMeanwhile = (): boolean =>
      s.live?.advertised === true && s.live.observedAtMs >= (s.idleSinceMs ?? s.episodeStartedAtMs);
    if (advertisedMeanwhile()) {
      log.info(`${cidr} was advertised outside this workflow: protecting it`, { cidr });
      startEpisode();
      return;
    }
    const idleSince = s.idleSinceMs ?? Date.now();
    const until = s.queuedAdvertise
      ? dueAtMs(advertiseAvailableAt(s, cooldownPolicyOf(s, input)))
      : idleSince + IDLE_GRACE_MS;
    const remaining = until - Date.now();
    if (remaining > 0) {
      const queued = s.queuedAdvertise !== null;
      await condition(
        () => s.phase !== 'idle' || advertisedMeanwhile() || (!queued && s.queuedAdvertise !== null),
        remaining,
        { summary: `${queued ? 'queued advertise' : 'idle'}: ${waitSummary(remaining)}` },
      );
      return;
    }
    if (s.queuedAdvertise) {
      await advertiser.advertiseQueued();
      return;
    }
    await condition(allHandlersFinished);
    if (s.phase === 'idle' && s.queuedAdvertise === null) {
      log.info(`${cidr} is not advertised and nothing is asked of it: protection ends`, { cidr });
      s.phase = 'ended';
      endReason = 'not_advertised';
    }
  }

  /** A queued advertise waits for the cooldown and, after a failure, for its retry time. */
  function dueAtMs(cooldownEndMs: number): number {
    const q = s.queuedAdvertise;
    if (!q) return cooldownEndMs;
    return Math.max(cooldownEndMs, advertiseAvailableAt(s, cooldownPolicyOf(s, input)), q.retryAtMs ?? 0);
  }

  async function endProtection(reason: ProtectionEndReason, detail = ''): Promise<void> {
    s.phase = 'ended';
    endReason = reason;
    if (reason === 'withdrawn_externally') {
      log.info(`${cidr} is no longer advertised (changed outside this workflow); protection ends`, { cidr });
      await recordSafely('external withdrawal', () =>
        recordsFor(`record external withdrawal ${cidr}`).recordWithdrawal(
          externalWithdrawalRecord(subject(), s.live, s.calm),
        ),
      );
      await publishCycle();
    } else if (reason === 'not_on_demand' || reason === 'prefix_missing') {
      log.error(
        `${cidr} ${reason === 'not_on_demand' ? 'is not under on-demand control at Cloudflare' : 'is not known at Cloudflare'} (${detail}); protection ends without any change`,
        { cidr },
      );
      notify(`${cidr}/protection-ended/${reason}/${s.episodeStartedAtMs}`, {
        kind: 'protection_ended',
        prefix: prefixRef(),
        reason,
        detail,
        atMs: Date.now(),
      });
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
    s.settings = await cloudflareReadsFor(`load settings ${cidr}`).loadProtectionSettings(cidr);
    s.settingsStale = false;
  }

  /** Update handlers of the very first workflow task run before the settings activity has answered. */
  async function settingsLoaded(): Promise<void> {
    if (s.settings === null) await condition(() => s.settings !== null);
  }

  function settings(): ProtectionSettings {
    if (s.settings === null) throw new Error('settings not loaded');
    return s.settings;
  }

  function prefixRef(): { cidr: string; description: string } {
    return { cidr, description: settings().identity.description };
  }

  function subject(): { cidr: string; description: string; workflowId: string } {
    return { ...prefixRef(), workflowId: workflowInfo().workflowId };
  }

  /** Cloudflare's state (as the supervisor last told us) says this episode is over. */
  function liveEndReason(): 'withdrawn_externally' | 'not_on_demand' | null {
    const live = s.live;
    if (s.phase !== 'protecting' || live === null || live.observedAtMs < s.episodeStartedAtMs) return null;
    if (live.advertised === false) return 'withdrawn_externally';
    if (live.advertised === null) return 'not_on_demand';
    return null;
  }

  function status(): ProtectionStatus {
    return statusOf(cidr, s, cooldownPolicyOf(s, input), Date.now());
  }

  function facts() {
    return operatorFactsOf(cidr, s, cooldownPolicyOf(s, input), Date.now());
  }

  /** Validators throw to refuse: the update is rejected and nothing is written to the history. */
  function enforce(verdict: Verdict, req: OperatorRequest): void {
    if (typeof req?.actor !== 'string' || req.actor.trim() === '' || typeof req.reason !== 'string')
      throw ApplicationFailure.create({
        type: OPERATOR_REFUSED,
        nonRetryable: true,
        message: 'every operator request names its actor and a reason',
        details: [{ code: 'invalid' }],
      });
    if (!verdict.ok)
      throw ApplicationFailure.create({
        type: OPERATOR_REFUSED,
        nonRetryable: true,
        message: verdict.message,
        details: [{ code: verdict.code, availableAtMs: verdict.availableAtMs ?? null }],
      });
  }

  function operatorFailure(message: string): ApplicationFailure {
    return ApplicationFailure.create({ type: OPERATOR_FAILED, nonRetryable: true, message });
  }

  /** Web UI: current details (markdown) always; search attributes when the server has them registered. */
  function publishVisibility(): void {
    const st = status();
    setCurrentDetails(renderDetails(st));
    if (s.settings?.searchAttributes === true)
      publishSearchAttributes({
        cidr,
        state: st.state,
        underAttack: st.underAttack,
        calmSinceMs: st.underAttack ? null : st.calmSinceMs,
      });
  }

  /** Publishes this cycle's status: the dashboard row in SQLite (and metrics), and the Web UI's view. */
  async function publishCycle(): Promise<void> {
    publishVisibility();
    const st = status();
    await recordSafely('cycle status', () => recordsFor(`record status ${cidr}`).recordCycle(st));
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
  function notify(key: string, notification: Notification): void {
    outbox.send(key, notification);
  }
}

function shouldContinueAsNew(maxEvents = DEFAULT_MAX_HISTORY_EVENTS): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength >= maxEvents;
}
