// The configured prefixes, looked up by CIDR, with their effective policy: what activities know about "our" prefixes.
import { canonicalCidr } from '../domain/cidr';
import type { PrefixIdentity, ProtectionPolicy } from '../domain/types';

export { digestOf } from '../domain/digest';

export interface RegisteredPrefix {
  identity: PrefixIdentity;
  policy: ProtectionPolicy;
  /** Locked by the operator in the mapping file. */
  configLocked: boolean;
  /** Shadow mode: decisions are recorded and notified, Cloudflare is never changed. */
  shadow: boolean;
  /** Changes whenever the operator changes anything about this prefix; lets the supervisor notice config edits. */
  digest: string;
}

export interface PrefixRegistry {
  all(): readonly RegisteredPrefix[];
  get(cidr: string): RegisteredPrefix | undefined;
}

export function createPrefixRegistry(entries: readonly RegisteredPrefix[]): PrefixRegistry {
  const byCidr = new Map(entries.map((e) => [e.identity.cidr, e]));
  return {
    all: () => entries,
    get: (cidr) => {
      try {
        return byCidr.get(canonicalCidr(cidr));
      } catch {
        return undefined;
      }
    },
  };
}
