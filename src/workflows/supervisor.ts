// ProtectionSupervisor: every check interval, reads which prefixes are advertised (a page of the mapping at a time)
// and keeps one PrefixProtection per advertised prefix, within Temporal's per-run limits whatever the fleet's size.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  ParentClosePolicy,
  patched,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { PrefixStateEntry, PrefixStatePage } from '../activities';
import { digestOf } from '../domain/digest';
import type { LivePrefixState } from '../domain/types';
import { nextCycleAtMs } from '../domain/protection';
import { cloudflareReads, describeFailure, waitSummary } from './activity-stubs';
import { protectionWorkflowId } from './ids';
import { liveStateSignal, protectionEndedSignal, reconcileNowSignal, supervisorStatusQuery } from './messages';
import { createOutbox } from './outbox';
import { PrefixProtection } from './prefix-protection';
import { legacySupervisor } from './supervisor-legacy';
import type {
  LegacySupervisorState,
  ReconcileCursor,
  SupervisorInput,
  SupervisorState,
  SupervisorStatus,
} from './types';

/** Marks the runs of this code; histories without it were written by supervisor-legacy.ts. */
export const PAGED_RECONCILE_PATCH = 'paged-reconcile';
const DEFAULT_MAX_HISTORY_EVENTS = 4000;
/**
 * The server's per-run limits are 2,000 pending children and 2,000 pending signals to other workflows. A child an
 * ABANDON-policy run started stays pending in that run while it runs; a run after continue-as-new starts with none.
 */
export const SUPERVISOR_DEFAULTS = { maxChildStartsPerRun: 1000, maxInFlight: 500, snapshotPageSize: 500 } as const;
/** Every child is re-sent its state once in so many cycles (1/15 of them each cycle): one that ended unseen is noticed. */
const RESYNC_EVERY_CYCLES = 15;

export async function ProtectionSupervisor(input: SupervisorInput = {}): Promise<void> {
  // Runs begun by the code before paged reconciles replay (and finish) with that code.
  if (!patched(PAGED_RECONCILE_PATCH)) return legacySupervisor(input);
  const limits = {
    maxHistoryEvents: input.maxHistoryEvents ?? DEFAULT_MAX_HISTORY_EVENTS,
    maxChildStartsPerRun: Math.max(1, input.maxChildStartsPerRun ?? SUPERVISOR_DEFAULTS.maxChildStartsPerRun),
    maxInFlight: Math.max(1, input.maxInFlight ?? SUPERVISOR_DEFAULTS.maxInFlight),
    snapshotPageSize: Math.max(1, input.snapshotPageSize ?? SUPERVISOR_DEFAULTS.snapshotPageSize),
  };
  const s = carriedState(input.carried);
  const missing = s.missing;
  const outbox = createOutbox(s.outbox, 'supervisor');
  outbox.resume();
  /** Children of this run that were started (or whose start is in flight): pending in this run while they run. */
  let startsThisRun = 0;
  let pagesThisRun = 0;

  setHandler(protectionEndedSignal, ({ cidr, reason }) => {
    log.info(`protection of ${cidr} ended (${reason})`, { cidr });
    delete s.children[cidr];
  });
  setHandler(reconcileNowSignal, ({ reason }) => {
    log.info(`reconcile requested: ${reason}`);
    s.reconcileRequested = true;
  });
  setHandler(supervisorStatusQuery, (): SupervisorStatus => {
    const protectedCidrs = Object.keys(s.children).sort();
    return {
      protected: protectedCidrs,
      protectedCount: protectedCidrs.length,
      missing: Object.keys(missing).sort(),
      cycles: s.cycles,
      lastReconcileAtMs: s.lastReconcileAtMs,
      lastError: s.lastError,
      runs: s.runs,
      reconcile: s.reconcile && { cycle: s.reconcile.cycle, page: s.reconcile.page, pages: s.reconcile.pages },
    };
  });

  for (;;) {
    if (s.reconcile === null) {
      if (historyFull() || startsThisRun >= limits.maxChildStartsPerRun) return rollOver();
      s.reconcileRequested = false;
      s.cycles++;
      s.reconcile = {
        id: `${s.cycles}@${Date.now()}`,
        cycle: s.cycles,
        page: 0,
        pages: s.pages,
        atMs: null,
        errors: {},
      };
    }
    const done = await reconcile(s.reconcile);
    // The start cap or the history size ended this run in the middle: the next run resumes at the cursor.
    if (!done) return rollOver();
    finishReconcile(s.reconcile);
    s.reconcile = null;
    const waitMs = nextCycleAtMs(Date.now(), s.checkIntervalMs, s.reconcileOffsetMs ?? 0) - Date.now();
    await condition(() => s.reconcileRequested, waitMs, { summary: waitSummary(waitMs) });
  }

  function historyFull(): boolean {
    const info = workflowInfo();
    return info.continueAsNewSuggested || info.historyLength >= limits.maxHistoryEvents;
  }

  async function rollOver(): Promise<never> {
    // Undelivered notifications travel in s.outbox; the next run sends them again.
    await condition(allHandlersFinished);
    return continueAsNew<typeof ProtectionSupervisor>({
      carried: s,
      maxHistoryEvents: input.maxHistoryEvents,
      maxChildStartsPerRun: input.maxChildStartsPerRun,
      maxInFlight: input.maxInFlight,
      snapshotPageSize: input.snapshotPageSize,
    });
  }

  /** Reads and reconciles the pages from the cursor on; false when this run must continue as new first. */
  async function reconcile(r: ReconcileCursor): Promise<boolean> {
    for (;;) {
      // At least one page per run, so that a resumed reconcile always moves on.
      if (pagesThisRun > 0 && (historyFull() || startsThisRun >= limits.maxChildStartsPerRun)) return false;
      pagesThisRun++;
      let page: PrefixStatePage;
      try {
        page = await cloudflareReads.readPrefixStatePage({
          reconcileId: r.id,
          page: r.page,
          pageSize: limits.snapshotPageSize,
        });
      } catch (err) {
        const f = describeFailure(err);
        r.errors[`page ${r.page}`] = `${f.type}: ${f.message}`;
        log.warn(`could not read prefix states (page ${r.page + 1}): ${f.message}; prefix workflows keep protecting`);
        // Without any page count known yet there is nothing to move on to: the next cycle reads again.
        if (r.pages === null) return true;
        if (++r.page >= r.pages) return true;
        continue;
      }
      r.pages = page.pages;
      r.atMs ??= page.atMs;
      s.pages = page.pages;
      s.checkIntervalMs = page.checkIntervalMs;
      // From the activity's answer (not the code), so histories of runs begun before it replay with their timers.
      s.reconcileOffsetMs = page.reconcileOffsetMs ?? 0;
      for (const f of page.failures) r.errors[f.parentPrefixId] = `${f.errorType}: ${f.message}`;
      noticeMissing(page);
      // A page cut short by the start cap is read again by the next run: what was done is in s.children by then.
      if (!(await reconcilePage(page, r.cycle))) return false;
      if (++r.page >= page.pages) return true;
    }
  }

  function finishReconcile(r: ReconcileCursor): void {
    if (r.atMs !== null) s.lastReconcileAtMs = r.atMs;
    const errors = Object.entries(r.errors).map(([where, what]) => `${where}: ${what}`);
    s.lastError = errors.length > 0 ? errors.join('; ') : null;
  }

  /** Starts and tells what this page needs, at most maxInFlight at once; false when the start cap left starts out. */
  async function reconcilePage(page: PrefixStatePage, cycle: number): Promise<boolean> {
    let deferred = 0;
    const work: Array<() => Promise<void>> = [];
    page.entries.forEach((e, i) => {
      const known = s.children[e.cidr];
      if (known === undefined) {
        if (e.advertised === true) work.push(() => startIfAllowed(e));
        return;
      }
      const resync = (page.firstIndex + i) % RESYNC_EVERY_CYCLES === cycle % RESYNC_EVERY_CYCLES;
      if (resync || known !== childDigest(e)) work.push(() => retell(e));
    });
    await inFlight(work, limits.maxInFlight);
    return deferred === 0;

    async function startIfAllowed(e: PrefixStateEntry): Promise<void> {
      if (startsThisRun >= limits.maxChildStartsPerRun) {
        deferred++;
        return;
      }
      await startProtection(e);
    }

    async function retell(e: PrefixStateEntry): Promise<void> {
      if (await tell(e)) {
        s.children[e.cidr] = childDigest(e);
        return;
      }
      // The workflow is gone although we never heard it end: forget it, and protect again if needed.
      delete s.children[e.cidr];
      if (e.advertised === true) await startIfAllowed(e);
    }
  }

  /**
   * A configured prefix Cloudflare does not list under its parent (a wrong bgp_prefix_id, a deleted prefix) is not
   * protected at all: said loudly every cycle in the log, and once per stretch to the on-call team.
   */
  function noticeMissing(page: PrefixStatePage): void {
    const now = Date.now();
    const seen = new Set(page.missing.map((m) => m.cidr));
    for (const id of page.missing) {
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
    for (const e of page.entries) {
      if (missing[e.cidr] === undefined || seen.has(e.cidr)) continue;
      log.info(`${e.cidr} is listed by Cloudflare again`, { cidr: e.cidr });
      delete missing[e.cidr];
    }
  }

  async function startProtection(e: PrefixStateEntry): Promise<void> {
    const cidr = e.cidr;
    // Counted before the command goes out: a start in flight is pending too.
    startsThisRun++;
    try {
      await startChild(PrefixProtection, {
        workflowId: protectionWorkflowId(cidr),
        args: [{ cidr, live: liveOf(e) }],
        // Children must outlive this run: the supervisor continues-as-new regularly.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `Protecting ${cidr} (${e.description})`,
      });
      log.info(`${cidr} is advertised: protection started`, { cidr });
      s.children[cidr] = childDigest(e);
    } catch (err) {
      // A refused start leaves nothing pending in this run.
      startsThisRun--;
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        // Already protected (e.g. by a run before continue-as-new, or started by an operator): adopt it.
        if (await tell(e)) s.children[cidr] = childDigest(e);
        return;
      }
      log.warn(`could not start the protection of ${cidr}: ${describeFailure(err).message}; next cycle tries again`, {
        cidr,
      });
    }
  }

  async function tell(e: PrefixStateEntry): Promise<boolean> {
    try {
      await getExternalWorkflowHandle(protectionWorkflowId(e.cidr)).signal(liveStateSignal, {
        live: liveOf(e),
        configDigest: e.configDigest,
      });
      return true;
    } catch (err) {
      log.info(`could not signal ${e.cidr}: ${describeFailure(err).message}`);
      return false;
    }
  }
}

/** The carried state, with what older runs did not carry filled in (and the legacy per-child records compacted). */
function carriedState(carried: SupervisorState | LegacySupervisorState | undefined): SupervisorState {
  if (!carried) {
    return {
      children: {},
      cycles: 0,
      lastReconcileAtMs: null,
      lastError: null,
      runs: 1,
      missing: {},
      outbox: [],
      reconcile: null,
      pages: null,
      checkIntervalMs: 60_000,
      reconcileRequested: false,
    };
  }
  const children: Record<string, string> = {};
  const carriedChildren: Record<string, string | LegacySupervisorState['children'][string]> = carried.children;
  for (const [cidr, child] of Object.entries(carriedChildren)) {
    children[cidr] = typeof child === 'string' ? child : digestOf([child.liveDigest, child.configDigest]);
  }
  const current = 'reconcile' in carried ? carried : null;
  return {
    children,
    cycles: carried.cycles,
    lastReconcileAtMs: carried.lastReconcileAtMs,
    lastError: carried.lastError,
    runs: carried.runs + 1,
    missing: carried.missing ?? {},
    outbox: carried.outbox ?? [],
    reconcile: current?.reconcile ?? null,
    pages: current?.pages ?? null,
    checkIntervalMs: current?.checkIntervalMs ?? 60_000,
    reconcileRequested: current?.reconcileRequested ?? false,
  };
}

/** What a child was told: its live state's and its configuration's digests (the legacy records' two, combined). */
function childDigest(e: PrefixStateEntry): string {
  return digestOf([digestOf([e.advertised, e.locked, e.advertisedModifiedAtMs]), e.configDigest]);
}

function liveOf(e: PrefixStateEntry): LivePrefixState {
  return {
    cidr: e.cidr,
    advertised: e.advertised,
    advertisedModifiedAtMs: e.advertisedModifiedAtMs,
    locked: e.locked,
    onDemandEnabled: e.onDemandEnabled,
    observedAtMs: e.observedAtMs,
  };
}

/** Runs the tasks in order, at most `limit` at a time (deterministic: each lane takes the next task when it is free). */
async function inFlight(tasks: ReadonlyArray<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane));
}
