// Reads advertisement state straight from Cloudflare for the CLI: one list call per parent prefix, like the supervisor.
import type { PrefixEntry } from '../../config';
import type { LivePrefixState } from '../../domain/types';
import type { BgpPrefix, CloudflareRestApi } from '../../integrations/cloudflare';

export type LiveRead = { ok: true; live: LivePrefixState } | { ok: false; error: string };

/** The same reading of a BGP prefix as the worker's activities make (a mapping-file lock counts as locked). */
export function liveStateOf(entry: PrefixEntry, bgp: BgpPrefix, nowMs: number): LivePrefixState {
  return {
    cidr: entry.cidr,
    advertised: bgp.onDemand?.advertised ?? null,
    advertisedModifiedAtMs: bgp.onDemand?.advertisedModifiedAt ? Date.parse(bgp.onDemand.advertisedModifiedAt) : null,
    locked: entry.locked || (bgp.onDemand?.onDemandLocked ?? false),
    onDemandEnabled: bgp.onDemand?.onDemandEnabled ?? false,
    observedAtMs: nowMs,
  };
}

/** Live state of every given prefix; a failed parent or a prefix Cloudflare does not list gets an error. */
export async function readLiveStates(
  rest: Pick<CloudflareRestApi, 'listBgpPrefixes'>,
  entries: readonly PrefixEntry[],
  now: () => number = Date.now,
): Promise<Map<string, LiveRead>> {
  const parents = [...new Set(entries.map((e) => e.parentPrefixId))];
  const lists = await Promise.allSettled(parents.map((p) => rest.listBgpPrefixes(p)));
  const byParent = new Map(parents.map((p, i) => [p, lists[i]]));
  const out = new Map<string, LiveRead>();
  for (const e of entries) {
    const r = byParent.get(e.parentPrefixId);
    if (!r || r.status === 'rejected') {
      out.set(e.cidr, { ok: false, error: r ? errorText(r.reason) : 'not read' });
      continue;
    }
    const bgp = r.value.find((b) => b.id === e.bgpPrefixId);
    out.set(
      e.cidr,
      bgp
        ? { ok: true, live: liveStateOf(e, bgp, now()) }
        : { ok: false, error: `Cloudflare does not list BGP prefix ${e.bgpPrefixId} under ${e.parentPrefixId}` },
    );
  }
  return out;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
