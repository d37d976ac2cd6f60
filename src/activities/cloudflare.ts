// Activities that read and change advertisement state at Cloudflare; each is safe to retry.
import { ApplicationFailure } from '@temporalio/common';
import { Context, log, type Info } from '@temporalio/activity';
import type { LivePrefixState, PrefixIdentity, ProtectionPolicy } from '../domain/types';
import { ErrorType } from '../errors';
import type { BgpPrefix, CloudflareRestApi } from '../integrations/cloudflare/types';
import { classified, toFailure, unknownPrefix } from './failures';
import { createSearchAttributeCheck } from './search-attributes';
import type { PrefixRegistry, RegisteredPrefix } from './prefix-registry';

export interface CloudflareActivityDeps {
  rest: CloudflareRestApi;
  registry: PrefixRegistry;
  /** Check interval the supervisor should use (from configuration). */
  checkIntervalMs: number;
  now?: () => number;
  /** Whether the namespace has the custom search attributes (default: asked through the activity's client). */
  searchAttributesRegistered?: (namespace: string) => Promise<boolean>;
}

/** What the supervisor learns in one reconcile: one list call per parent prefix. */
export interface PrefixSnapshot {
  atMs: number;
  checkIntervalMs: number;
  prefixes: Array<{ identity: PrefixIdentity; live: LivePrefixState; configDigest: string }>;
  /** Parent prefixes whose list call failed: their prefixes are absent from `prefixes` (state unknown). */
  failures: Array<{ parentPrefixId: string; errorType: string; message: string }>;
  /** Configured prefixes Cloudflare did not list under their parent (a wrong bgp_prefix_id, a deleted prefix). */
  missing: PrefixIdentity[];
}

/** What a prefix workflow needs to know about itself from configuration. */
export interface ProtectionSettings {
  identity: PrefixIdentity;
  policy: ProtectionPolicy;
  configLocked: boolean;
  shadow: boolean;
  configDigest: string;
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
  const toLive = (p: RegisteredPrefix, bgp: BgpPrefix): LivePrefixState => ({
    cidr: p.identity.cidr,
    advertised: bgp.onDemand?.advertised ?? null,
    advertisedModifiedAtMs: bgp.onDemand?.advertisedModifiedAt ? Date.parse(bgp.onDemand.advertisedModifiedAt) : null,
    locked: p.configLocked || (bgp.onDemand?.onDemandLocked ?? false),
    onDemandEnabled: bgp.onDemand?.onDemandEnabled ?? false,
    observedAtMs: now(),
  });

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
    /** Reads every configured prefix's state with one list call per parent prefix. */
    async readPrefixStates(): Promise<PrefixSnapshot> {
      const byParent = new Map<string, RegisteredPrefix[]>();
      for (const p of deps.registry.all()) {
        const list = byParent.get(p.identity.parentPrefixId) ?? [];
        list.push(p);
        byParent.set(p.identity.parentPrefixId, list);
      }
      const snapshot: PrefixSnapshot = {
        atMs: now(),
        checkIntervalMs: deps.checkIntervalMs,
        prefixes: [],
        failures: [],
        missing: [],
      };
      const results = await Promise.allSettled(
        [...byParent.keys()].map(async (parent) => ({ parent, list: await deps.rest.listBgpPrefixes(parent) })),
      );
      results.forEach((r, i) => {
        const parent = [...byParent.keys()][i] as string;
        if (r.status === 'rejected') {
          const f = toFailure(r.reason);
          snapshot.failures.push({
            parentPrefixId: parent,
            errorType: f instanceof ApplicationFailure ? (f.type ?? 'Error') : 'Error',
            message: (r.reason as Error).message,
          });
          return;
        }
        for (const p of byParent.get(parent) ?? []) {
          const bgp = r.value.list.find((b) => b.id === p.identity.bgpPrefixId);
          if (!bgp) {
            // The supervisor logs and alerts it (a wrong bgp_prefix_id leaves the prefix unprotected).
            snapshot.missing.push(p.identity);
            continue;
          }
          snapshot.prefixes.push({ identity: p.identity, live: toLive(p, bgp), configDigest: p.digest });
        }
      });
      if (snapshot.prefixes.length === 0 && snapshot.failures.length > 0) {
        // Nothing could be read: let the retry policy try again rather than report an empty world.
        throw toFailure(results.find((r) => r.status === 'rejected')?.reason);
      }
      return snapshot;
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
      return {
        identity: p.identity,
        policy: p.policy,
        configLocked: p.configLocked,
        shadow: p.shadow,
        configDigest: p.digest,
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
