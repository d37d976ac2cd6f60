// Attack thresholds and rate arithmetic: an attack needs dropped packets AND dropped bits above their minimums.
import type { ProtectionPolicy } from './types';

export type Thresholds = Pick<ProtectionPolicy, 'minDroppedPackets' | 'minDroppedBits'>;

/** Both thresholds must be exceeded (strictly): high packet counts with little bandwidth are not an attack. */
export function exceedsThresholds(packets: number, bits: number, t: Thresholds): boolean {
  return packets > t.minDroppedPackets && bits > t.minDroppedBits;
}

/** Rates shown to people are totals over the lookback window divided by its length. */
export function averageMbps(bits: number, windowMs: number): number {
  return windowMs > 0 ? bits / (windowMs / 1000) / 1_000_000 : 0;
}

export function averagePps(packets: number, windowMs: number): number {
  return windowMs > 0 ? packets / (windowMs / 1000) : 0;
}
