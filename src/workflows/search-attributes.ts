// The custom search attributes the prefix workflows keep current: Web UI columns and `temporal workflow list` filters.
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { upsertSearchAttributes } from '@temporalio/workflow';
import { MT_CALM_SINCE, MT_PREFIX, MT_STATE, MT_UNDER_ATTACK } from './search-attribute-keys';

export interface VisibleState {
  cidr: string;
  state: string;
  underAttack: boolean;
  calmSinceMs: number | null;
}

/**
 * Upserts only what changed since the last call of this run: an upsert is a history event, and unchanged values
 * every cycle would fill the history. Search attributes are not carried by continue-as-new, so each run starts empty.
 */
export function createSearchAttributePublisher(): (v: VisibleState) => void {
  const last = new Map<string, string>();
  return (v) => {
    const wanted: Array<[string, SearchAttributeUpdatePair, string]> = [
      [MT_PREFIX.name, { key: MT_PREFIX, value: v.cidr }, v.cidr],
      [MT_STATE.name, { key: MT_STATE, value: v.state }, v.state],
      [MT_UNDER_ATTACK.name, { key: MT_UNDER_ATTACK, value: v.underAttack }, String(v.underAttack)],
      [
        MT_CALM_SINCE.name,
        v.calmSinceMs === null
          ? { key: MT_CALM_SINCE, value: null }
          : { key: MT_CALM_SINCE, value: new Date(v.calmSinceMs) },
        String(v.calmSinceMs),
      ],
    ];
    const changed = wanted.filter(([name, , text]) => last.get(name) !== text);
    if (changed.length === 0) return;
    upsertSearchAttributes(changed.map(([, pair]) => pair));
    for (const [name, , text] of changed) last.set(name, text);
  };
}
