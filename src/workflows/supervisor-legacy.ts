// The supervisor as it was before paged reconciles, unchanged: it replays (and finishes) the runs started by that code
// until their continue-as-new, whose state the current ProtectionSupervisor takes over. Remove it (and turn the patch
// in supervisor.ts into deprecatePatch) once no run of a release before paged reconciles is open.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { PrefixSnapshot } from '../activities';
import { digestOf } from '../domain/digest';
import { nextCycleAtMs } from '../domain/protection';
import { cloudflareReads, describeFailure, waitSummary } from './activity-stubs';
import { protectionWorkflowId } from './ids';
import { liveStateSignal, protectionEndedSignal, reconcileNowSignal, supervisorStatusQuery } from './messages';
import { createOutbox } from './outbox';
import { PrefixProtection } from './prefix-protection';
import type { ProtectionSupervisor } from './supervisor';
import type { LegacySupervisorState, SupervisorInput } from './types';

const DEFAULT_MAX_HISTORY_EVENTS = 4000;
/** Every so many cycles, re-send state to every child: a child that ended unseen is then noticed and restarted. */
const RESYNC_EVERY_CYCLES = 15;

type SnapshotEntry = PrefixSnapshot['prefixes'][number];

/** Runs only where the history has no paged-reconcile marker, so it never sees a carried state of the new shape. */
export async function legacySupervisor(input: SupervisorInput): Promise<void> {
  const s: LegacySupervisorState = (input.carried as LegacySupervisorState | undefined) ?? {
    children: {},
    cycles: 0,
    lastReconcileAtMs: null,
    lastError: null,
    runs: 1,
  };
  if (input.carried) s.runs++;
  s.missing ??= {};
  s.outbox ??= [];
  const missing = s.missing;
  const outbox = createOutbox(s.outbox, 'supervisor');
  outbox.resume();
  let reconcileRequested = false;
  let checkIntervalMs = 60_000;

  setHandler(protectionEndedSignal, ({ cidr, reason }) => {
    log.info(`protection of ${cidr} ended (${reason})`, { cidr });
    delete s.children[cidr];
  });
  setHandler(reconcileNowSignal, ({ reason }) => {
    log.info(`reconcile requested: ${reason}`);
    reconcileRequested = true;
  });
  setHandler(supervisorStatusQuery, () => ({
    protected: Object.keys(s.children).sort(),
    missing: Object.keys(missing).sort(),
    cycles: s.cycles,
    lastReconcileAtMs: s.lastReconcileAtMs,
    lastError: s.lastError,
    runs: s.runs,
  }));

  for (;;) {
    if (
      workflowInfo().continueAsNewSuggested ||
      workflowInfo().historyLength >= (input.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS)
    ) {
      // Undelivered notifications travel in s.outbox; the next run sends them again.
      await condition(allHandlersFinished);
      return continueAsNew<typeof ProtectionSupervisor>({ carried: s, maxHistoryEvents: input.maxHistoryEvents });
    }
    reconcileRequested = false;
    s.cycles++;
    try {
      const snapshot = await cloudflareReads.readPrefixStates();
      checkIntervalMs = snapshot.checkIntervalMs;
      s.lastReconcileAtMs = snapshot.atMs;
      s.lastError = snapshot.failures.length
        ? snapshot.failures.map((f) => `${f.parentPrefixId}: ${f.errorType}: ${f.message}`).join('; ')
        : null;
      noticeMissing(snapshot);
      await reconcile(snapshot);
    } catch (err) {
      const f = describeFailure(err);
      s.lastError = `${f.type}: ${f.message}`;
      log.warn(`could not read prefix states: ${f.message}; prefix workflows keep protecting on their own`);
    }
    const waitMs = nextCycleAtMs(Date.now(), checkIntervalMs) - Date.now();
    await condition(() => reconcileRequested, waitMs, { summary: waitSummary(waitMs) });
  }

  async function reconcile(snapshot: PrefixSnapshot): Promise<void> {
    const resync = s.cycles % RESYNC_EVERY_CYCLES === 0;
    await Promise.all(
      snapshot.prefixes.map(async (p) => {
        const child = s.children[p.identity.cidr];
        if (!child) {
          if (p.live.advertised === true) await startProtection(p);
          return;
        }
        const liveDigest = digestOf([p.live.advertised, p.live.locked, p.live.advertisedModifiedAtMs]);
        if (resync || liveDigest !== child.liveDigest || p.configDigest !== child.configDigest) {
          const delivered = await tell(p);
          if (delivered) {
            child.liveDigest = liveDigest;
            child.configDigest = p.configDigest;
          } else {
            // The workflow is gone although we never heard it end: forget it, and protect again if needed.
            delete s.children[p.identity.cidr];
            if (p.live.advertised === true) await startProtection(p);
          }
        }
      }),
    );
  }

  /**
   * A configured prefix Cloudflare does not list under its parent (a wrong bgp_prefix_id, a deleted prefix) is not
   * protected at all: said loudly every cycle in the log, and once per stretch to the on-call team.
   */
  function noticeMissing(snapshot: PrefixSnapshot): void {
    const now = Date.now();
    const seen = new Set(snapshot.missing.map((m) => m.cidr));
    for (const id of snapshot.missing) {
      log.error(
        `${id.cidr} (${id.description}) is not listed by Cloudflare under IP prefix ${id.parentPrefixId} (bgp_prefix_id ${id.bgpPrefixId}): it is NOT protected; check the prefix mapping`,
        { cidr: id.cidr },
      );
      if (missing[id.cidr] !== undefined) continue;
      missing[id.cidr] = now;
      outbox.send(`supervisor/prefix-missing/${id.cidr}/${now}`, {
        kind: 'prefix_missing',
        prefix: { cidr: id.cidr, description: id.description },
        parentPrefixId: id.parentPrefixId,
        bgpPrefixId: id.bgpPrefixId,
        atMs: now,
      });
    }
    // Only a listing that shows it again clears it (a parent that could not be read says nothing either way).
    const listed = new Set(snapshot.prefixes.map((p) => p.identity.cidr));
    for (const cidr of Object.keys(missing)) {
      if (seen.has(cidr) || !listed.has(cidr)) continue;
      log.info(`${cidr} is listed by Cloudflare again`, { cidr });
      delete missing[cidr];
    }
  }

  async function startProtection(p: SnapshotEntry): Promise<void> {
    const cidr = p.identity.cidr;
    const entry = {
      liveDigest: digestOf([p.live.advertised, p.live.locked, p.live.advertisedModifiedAtMs]),
      configDigest: p.configDigest,
      startedAtMs: Date.now(),
    };
    try {
      await startChild(PrefixProtection, {
        workflowId: protectionWorkflowId(cidr),
        args: [{ cidr, live: p.live }],
        // Children must outlive this run: the supervisor continues-as-new regularly.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `Protecting ${cidr} (${p.identity.description})`,
      });
      log.info(`${cidr} is advertised: protection started`, { cidr });
      s.children[cidr] = entry;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        // Already protected (e.g. by a run before continue-as-new, or started by an operator): adopt it.
        s.children[cidr] = entry;
        await tell(p);
        return;
      }
      throw err;
    }
  }

  async function tell(p: SnapshotEntry): Promise<boolean> {
    try {
      await getExternalWorkflowHandle(protectionWorkflowId(p.identity.cidr)).signal(liveStateSignal, {
        live: p.live,
        configDigest: p.configDigest,
      });
      return true;
    } catch (err) {
      log.info(`could not signal ${p.identity.cidr}: ${describeFailure(err).message}`);
      return false;
    }
  }
}
