// The measurement activity: dropped traffic of one prefix over the lookback window, shared per account and cycle.
import type { TrafficReading } from '../domain/types';
import type { DroppedTrafficReport } from '../integrations/cloudflare/types';
import { classified, unknownPrefix } from './failures';
import type { PrefixRegistry } from './prefix-registry';

export interface TrafficActivityDeps {
  /** Coalesces identical windows: every prefix asking about the same cycle shares one GraphQL request. */
  droppedTraffic: { get(window: { startMs: number; endMs: number }): Promise<DroppedTrafficReport> };
  registry: PrefixRegistry;
}

export interface MeasureInput {
  cidr: string;
  /** End of the window: the cycle's scheduled time, identical for every prefix in that cycle. */
  windowEndMs: number;
  lookbackMs: number;
}

export function createTrafficActivities(deps: TrafficActivityDeps) {
  return {
    /** Raw facts only; whether they mean attack, calm or unknown is the engine's call. */
    async measureDroppedTraffic(input: MeasureInput): Promise<TrafficReading> {
      const p = deps.registry.get(input.cidr);
      if (!p) throw unknownPrefix(input.cidr);
      const window = { startMs: input.windowEndMs - input.lookbackMs, endMs: input.windowEndMs };
      // A rate-limited query is unknown for this cycle; waiting out Retry-After would stall every prefix's cycle.
      const report = await classified(() => deps.droppedTraffic.get(window), { honourRetryAfter: false });
      const mine = report.perPrefix[p.identity.cidr] ?? { packets: 0, bits: 0, systems: [] };
      return {
        kind: 'data',
        windowStartMs: report.windowStartMs,
        windowEndMs: report.windowEndMs,
        packets: mine.packets,
        bits: mine.bits,
        systems: mine.systems,
        unattributedPackets: report.unattributedPackets,
        unattributedBits: report.unattributedBits,
        newestSampleMs: report.newestSampleMs,
      };
    },
  };
}

export type TrafficActivities = ReturnType<typeof createTrafficActivities>;
