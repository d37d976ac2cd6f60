// Activities that read and change advertisement state at Cloudflare; each is safe to retry.
import { ApplicationFailure } from '@temporalio/common';
import { Context, log, type Info } from '@temporalio/activity';
import type { LivePrefixState, PrefixIdentity, ProtectionPolicy } from '../domain/types';
import { ErrorType } from '../errors';
import type { BgpPrefix, CloudflareRestApi } from '../integrations/cloudflare/types';
import { classified, toFailure, unknownPrefix } from './failures';
import { createSearchAttributeCheck } from './search-attributes';
import { cohortOf, cohortOffsetMs, reconcileOffsetMs } from '../domain/protection';
import { digestOf, type PrefixRegistry, type RegisteredPrefix } from './prefix-registry';

export interface CloudflareActivityDeps {
  rest: CloudflareRestApi;
  registry: PrefixRegistry;
  /** Check interval the supervisor should use (from configuration). */
  checkIntervalMs: number;
  /** Phase cohorts the prefixes' cycles are spread over (CHECK_COHORTS, resolved); default 1. */
  checkCohorts?: number;
  now?: () => number;
  /** Whether the namespace has the custom search attributes (default: asked through the activity's client). */
  searchAttributesRegistered?: (namespace: string) => Promise<boolean>;
}

/**
 * Every configured prefix in one answer (about 300 bytes each): kept for supervisor runs started before the paged
 * reads, and for tools. The supervisor reads pages (PrefixStatePage) so that no answer grows with the fleet.
 */
export interface PrefixSnapshot {
  atMs: number;
  checkIntervalMs: number;
  prefixes: Array<{ identity: PrefixIdentity; live: LivePrefixState; configDigest: string }>;
  /** Parent prefixes whose list call failed: their prefixes are absent from `prefixes` (state unknown). */
  failures: Array<{ parentPrefixId: string; errorType: string; message: string }>;
  /** Configured prefixes Cloudflare did not list under their parent (a wrong bgp_prefix_id, a deleted prefix). */
  missing: PrefixIdentity[];
}

/** One page of the supervisor's reconcile: which pages, and where the lists come from. */
export interface PrefixStatePageRequest {
  /** Names one reconcile: its pages share one list call per parent prefix (memoized by this worker). */
  reconcileId: string;
  /** 0-based; pages cut the sorted mapping, whatever Cloudflare answers. */
  page: number;
  pageSize: number;
}

/** Only what the supervisor needs of one prefix (its live state, flattened, and its configuration's digest). */
export interface PrefixStateEntry {
  cidr: string;
  /** Shortened to SUMMARY_DESCRIPTION_CHARS: only the Web UI summary of a protection it starts shows it. */
  description: string;
  advertised: boolean | null;
  advertisedModifiedAtMs: number | null;
  locked: boolean;
  onDemandEnabled: boolean;
  /** When the parent prefix's list that showed this state was read. */
  observedAtMs: number;
  configDigest: string;
}

/** A page of the configured prefixes' states; its size is bounded by pageSize, not by the fleet. */
export interface PrefixStatePage {
  atMs: number;
  checkIntervalMs: number;
  /** Where the supervisor's reconciles fall inside the interval (between the cohorts' cycles; absent from older answers). */
  reconcileOffsetMs?: number;
  page: number;
  pages: number;
  /** Position of entries[0]'s prefix in the sorted mapping (of all pages). */
  firstIndex: number;
  entries: PrefixStateEntry[];
  /** Parent prefixes of this page whose list call failed: their prefixes are absent from `entries`. */
  failures: PrefixSnapshot['failures'];
  /** This page's configured prefixes Cloudflare did not list under their parent. */
  missing: PrefixIdentity[];
}

/** Longest description a page entry carries (the rest of it stays in the mapping and the prefix's settings). */
export const SUMMARY_DESCRIPTION_CHARS = 80;
/** Reconciles whose lists are kept for their later pages (a resumed reconcile in a new run reads them too). */
const MEMO_RECONCILES = 4;
/** A reconcile's lists are never reused after this long: a reconcile that takes longer reads again. */
const MEMO_MAX_AGE_MS = 10 * 60_000;

/** What a prefix workflow needs to know about itself from configuration. */
export interface ProtectionSettings {
  identity: PrefixIdentity;
  policy: ProtectionPolicy;
  configLocked: boolean;
  shadow: boolean;
  configDigest: string;
  /**
   * Where this prefix's cycles fall inside the check interval (its cohort's offset); absent in settings loaded
   * before cohorts existed (0: the plain grid).
   */
  cycleOffsetMs?: number;
  /** Its phase cohort and how many there are (CHECK_COHORTS). */
  cohort?: { index: number; of: number };
  /** The workflow may upsert MtPrefix/MtState/MtUnderAttack/MtCalmSince (they are registered on the server). */
  searchAttributes?: boolean;
}

export interface ChangeResult {
  /**
   * False when Cloudflare already had the requested state before this activity (a duplicate request), or in shadow
   * mode; true when a retry finds the change made by an earlier attempt whose answer was lost.
   */
  changed: boolean;
  /** Shadow mode: the change was decided but not made. */
  shadow: boolean;
  live: LivePrefixState;
}

/** The running activity's info; undefined when called outside an activity (the factory's functions in a unit test). */
function currentActivityInfo(): Info | undefined {
  try {
    return Context.current().info;
  } catch {
    return undefined;
  }
}

export function createCloudflareActivities(deps: CloudflareActivityDeps) {
  const now = deps.now ?? Date.now;
  const searchAttributesRegistered = deps.searchAttributesRegistered ?? createSearchAttributeCheck();
  const lookup = (cidr: string): RegisteredPrefix => {
    const p = deps.registry.get(cidr);
    if (!p) throw unknownPrefix(cidr);
    return p;
  };
  const toLive = (p: RegisteredPrefix, bgp: BgpPrefix, observedAtMs = now()): LivePrefixState => ({
    cidr: p.identity.cidr,
    advertised: bgp.onDemand?.advertised ?? null,
    advertisedModifiedAtMs: bgp.onDemand?.advertisedModifiedAt ? Date.parse(bgp.onDemand.advertisedModifiedAt) : null,
    locked: p.configLocked || (bgp.onDemand?.onDemandLocked ?? false),
    onDemandEnabled: bgp.onDemand?.onDemandEnabled ?? false,
    observedAtMs,
  });
  const cohorts = Math.max(1, Math.floor(deps.checkCohorts ?? 1));

  // ---- the mapping in one stable order: pages and cohorts are cut from it ----
  let sortedFor: readonly RegisteredPrefix[] | null = null;
  let sorted: RegisteredPrefix[] = [];
  let indexOf = new Map<string, number>();
  /** By CIDR text (code units, not locale): every worker cuts the same pages and cohorts. */
  function sortedPrefixes(): RegisteredPrefix[] {
    const all = deps.registry.all();
    if (all !== sortedFor) {
      sorted = [...all].sort((a, b) =>
        a.identity.cidr < b.identity.cidr ? -1 : a.identity.cidr > b.identity.cidr ? 1 : 0,
      );
      indexOf = new Map(sorted.map((p, i) => [p.identity.cidr, i]));
      sortedFor = all;
    }
    return sorted;
  }
  function cohortFor(p: RegisteredPrefix): { index: number; offsetMs: number } {
    sortedPrefixes();
    const index = cohortOf(indexOf.get(p.identity.cidr) ?? 0, cohorts);
    return { index, offsetMs: cohortOffsetMs(index, cohorts, p.policy.checkIntervalMs) };
  }
  /**
   * The prefix's configuration digest, its cycle offset included: a mapping change that moves it to another cohort
   * reaches the workflow as a configuration change (the supervisor's signal, then a settings reload). On the plain
   * grid it is the registry's digest, as before cohorts.
   */
  function configDigestOf(p: RegisteredPrefix): string {
    const { offsetMs } = cohortFor(p);
    return offsetMs === 0 ? p.digest : digestOf([p.digest, offsetMs]);
  }

  // ---- list calls: one per parent prefix, shared by the pages of one reconcile ----
  type ListRead = { ok: true; atMs: number; byId: Map<string, BgpPrefix> } | { ok: false; error: unknown };
  /** Reads a parent's list (never rejects: a failure is a value, so that the other parents are still used). */
  function listReader(): (parent: string) => Promise<ListRead> {
    return async (parent) => {
      try {
        const list = await deps.rest.listBgpPrefixes(parent);
        return { ok: true, atMs: now(), byId: new Map(list.map((b) => [b.id, b])) };
      } catch (error) {
        return { ok: false, error };
      }
    };
  }
  const memo = new Map<string, { createdAtMs: number; lists: Map<string, Promise<ListRead>> }>();
  /** Successful reads are kept for the reconcile's later pages; a failed one is asked again by the next page. */
  function memoizedLists(reconcileId: string): (parent: string) => Promise<ListRead> {
    const t = now();
    for (const [id, m] of memo) if (t - m.createdAtMs > MEMO_MAX_AGE_MS) memo.delete(id);
    let entry = memo.get(reconcileId);
    if (!entry) {
      entry = { createdAtMs: t, lists: new Map() };
      memo.set(reconcileId, entry);
      // Map order is insertion order: the oldest reconciles go first.
      for (const id of memo.keys()) if (memo.size > MEMO_RECONCILES) memo.delete(id);
    }
    const lists = entry.lists;
    const read = listReader();
    return (parent) => {
      let p = lists.get(parent);
      if (!p) {
        p = read(parent).then((r) => {
          if (!r.ok && lists.get(parent) === p) lists.delete(parent);
          return r;
        });
        lists.set(parent, p);
      }
      return p;
    };
  }
  function failureOf(parentPrefixId: string, error: unknown): PrefixSnapshot['failures'][number] {
    const f = toFailure(error);
    return {
      parentPrefixId,
      errorType: f instanceof ApplicationFailure ? (f.type ?? 'Error') : 'Error',
      message: (error as Error).message,
    };
  }
  function firstFailure(reads: ReadonlyMap<string, ListRead>): unknown {
    for (const r of reads.values()) if (!r.ok) return toFailure(r.error);
    return new Error('no parent prefix could be read');
  }
  function shortened(description: string): string {
    return description.length <= SUMMARY_DESCRIPTION_CHARS
      ? description
      : `${description.slice(0, SUMMARY_DESCRIPTION_CHARS - 1)}…`;
  }

  /**
   * A retry that finds the wanted state, changed at Cloudflare since this activity was first scheduled: the change is
   * the earlier attempt's PATCH whose answer was lost (worker killed, connection reset), not someone else's.
   */
  function appliedByEarlierAttempt(current: LivePrefixState): boolean {
    const info = currentActivityInfo();
    if (!info || info.attempt <= 1 || current.advertisedModifiedAtMs === null) return false;
    // Assumes Cloudflare's clock and the Temporal server's agree closer than the time from scheduling to the PATCH.
    return current.advertisedModifiedAtMs >= info.scheduledTimestampMs;
  }

  async function setAdvertised(cidr: string, advertised: boolean): Promise<ChangeResult> {
    const p = lookup(cidr);
    const verb = advertised ? 'advertise' : 'withdraw';
    if (p.configLocked) {
      throw ApplicationFailure.nonRetryable(
        `${cidr} is locked in the prefix mapping; refusing to ${verb}`,
        ErrorType.PrefixLocked,
      );
    }
    return classified(async () => {
      // Read first: a retry after a PATCH that succeeded but whose answer was lost must not PATCH again.
      const current = toLive(p, await deps.rest.getBgpPrefix(p.identity.parentPrefixId, p.identity.bgpPrefixId));
      if (current.locked) {
        throw ApplicationFailure.nonRetryable(
          `${cidr} is locked at Cloudflare (on_demand_locked); refusing to ${verb}`,
          ErrorType.PrefixLocked,
        );
      }
      if (current.advertised === advertised) {
        const state = advertised ? 'advertised' : 'withdrawn';
        // Shadow mode never PATCHes, so no earlier attempt of it can have made the change.
        if (!p.shadow && appliedByEarlierAttempt(current)) {
          log.info(`${cidr} ${state}: applied by an earlier attempt whose answer was lost`, { cidr });
          return { changed: true, shadow: false, live: current };
        }
        log.info(`${cidr} is already ${state}; nothing to change`, { cidr });
        return { changed: false, shadow: p.shadow, live: current };
      }
      if (p.shadow) {
        // Defence in depth: whatever a workflow decides, shadow mode never reaches Cloudflare's PATCH.
        log.warn(`SHADOW MODE: would ${verb} ${cidr} now; Cloudflare left unchanged`, { cidr });
        return { changed: false, shadow: true, live: current };
      }
      const updated = await deps.rest.setAdvertised(p.identity.parentPrefixId, p.identity.bgpPrefixId, advertised);
      log.info(`${cidr} ${advertised ? 'advertised' : 'withdrawn'} at Cloudflare`, { cidr });
      return { changed: true, shadow: false, live: toLive(p, updated) };
    });
  }

  return {
    /** Reads every configured prefix's state with one list call per parent prefix, in one answer. */
    async readPrefixStates(): Promise<PrefixSnapshot> {
      const lists = listReader();
      const prefixes = sortedPrefixes();
      const parents = [...new Set(prefixes.map((p) => p.identity.parentPrefixId))];
      const snapshot: PrefixSnapshot = {
        atMs: now(),
        checkIntervalMs: deps.checkIntervalMs,
        prefixes: [],
        failures: [],
        missing: [],
      };
      const reads = new Map(await Promise.all(parents.map(async (id) => [id, await lists(id)] as const)));
      for (const [parent, read] of reads) if (!read.ok) snapshot.failures.push(failureOf(parent, read.error));
      for (const p of prefixes) {
        const read = reads.get(p.identity.parentPrefixId);
        if (!read?.ok) continue;
        const bgp = read.byId.get(p.identity.bgpPrefixId);
        // The supervisor logs and alerts it (a wrong bgp_prefix_id leaves the prefix unprotected).
        if (!bgp) snapshot.missing.push(p.identity);
        else
          snapshot.prefixes.push({
            identity: p.identity,
            live: toLive(p, bgp, read.atMs),
            configDigest: configDigestOf(p),
          });
      }
      if (snapshot.prefixes.length === 0 && snapshot.failures.length > 0) throw firstFailure(reads);
      return snapshot;
    },

    /**
     * One page of the sorted mapping with each prefix's live state. The pages of one reconcile share one list call
     * per parent prefix (memoized here by reconcileId), so REST calls stay one list per parent per reconcile.
     */
    async readPrefixStatePage(req: PrefixStatePageRequest): Promise<PrefixStatePage> {
      const pageSize = Math.max(1, Math.floor(req.pageSize));
      const prefixes = sortedPrefixes();
      const pages = Math.max(1, Math.ceil(prefixes.length / pageSize));
      const firstIndex = req.page * pageSize;
      const mine = prefixes.slice(firstIndex, firstIndex + pageSize);
      const lists = memoizedLists(req.reconcileId);
      const parents = [...new Set(mine.map((p) => p.identity.parentPrefixId))];
      const reads = new Map(await Promise.all(parents.map(async (id) => [id, await lists(id)] as const)));
      const page: PrefixStatePage = {
        atMs: Math.min(now(), ...[...reads.values()].map((r) => (r.ok ? r.atMs : Infinity))),
        checkIntervalMs: deps.checkIntervalMs,
        reconcileOffsetMs: reconcileOffsetMs(cohorts, deps.checkIntervalMs),
        page: req.page,
        pages,
        firstIndex,
        entries: [],
        failures: [],
        missing: [],
      };
      for (const [parent, read] of reads) if (!read.ok) page.failures.push(failureOf(parent, read.error));
      for (const p of mine) {
        const read = reads.get(p.identity.parentPrefixId);
        if (!read?.ok) continue;
        const bgp = read.byId.get(p.identity.bgpPrefixId);
        if (!bgp) {
          page.missing.push(p.identity);
          continue;
        }
        const live = toLive(p, bgp, read.atMs);
        page.entries.push({
          cidr: live.cidr,
          description: shortened(p.identity.description),
          advertised: live.advertised,
          advertisedModifiedAtMs: live.advertisedModifiedAtMs,
          locked: live.locked,
          onDemandEnabled: live.onDemandEnabled,
          observedAtMs: live.observedAtMs,
          configDigest: configDigestOf(p),
        });
      }
      // Nothing of this page could be read: let the retry policy try again rather than report an empty page.
      if (page.entries.length === 0 && page.failures.length > 0) throw firstFailure(reads);
      return page;
    },

    /** Fresh state of one prefix (used right before changing it). */
    async readLivePrefixState(cidr: string): Promise<LivePrefixState> {
      const p = lookup(cidr);
      return classified(async () =>
        toLive(p, await deps.rest.getBgpPrefix(p.identity.parentPrefixId, p.identity.bgpPrefixId)),
      );
    },

    /** The prefix's configuration as the worker has it now. */
    async loadProtectionSettings(cidr: string): Promise<ProtectionSettings> {
      const p = lookup(cidr);
      const cohort = cohortFor(p);
      return {
        identity: p.identity,
        policy: p.policy,
        configLocked: p.configLocked,
        shadow: p.shadow,
        configDigest: configDigestOf(p),
        cycleOffsetMs: cohort.offsetMs,
        cohort: { index: cohort.index, of: cohorts },
        searchAttributes: await searchAttributesRegistered(Context.current().info.namespace),
      };
    },

    /** Withdraws the prefix unless it already is withdrawn; refuses locked prefixes. */
    async withdrawPrefix(cidr: string): Promise<ChangeResult> {
      return setAdvertised(cidr, false);
    },

    /** Advertises the prefix unless it already is advertised; refuses locked prefixes. */
    async advertisePrefix(cidr: string): Promise<ChangeResult> {
      return setAdvertised(cidr, true);
    },
  };
}

export type CloudflareActivities = ReturnType<typeof createCloudflareActivities>;
