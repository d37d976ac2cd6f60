// Plain, serialisable data shared by workflows, activities, integrations and clients (no classes, times in epoch ms).

/** One on-demand prefix as the operators configure it (config/prefix_mapping.json). */
export interface PrefixIdentity {
  /** Canonical CIDR, e.g. "185.54.81.0/24" or "2a02:4460:1::/48". */
  cidr: string;
  description: string;
  /** Cloudflare IP prefix ID (the parent of the BGP prefix). */
  parentPrefixId: string;
  /** Cloudflare BGP prefix ID. */
  bgpPrefixId: string;
}

/** Advertisement state of one BGP prefix as Cloudflare reports it. */
export interface LivePrefixState {
  cidr: string;
  /** on_demand.advertised; null when Cloudflare does not say (on-demand disabled). */
  advertised: boolean | null;
  /** on_demand.advertised_modified_at in epoch ms, or null. */
  advertisedModifiedAtMs: number | null;
  /** on_demand.on_demand_locked, or locked by the operator in the mapping file. */
  locked: boolean;
  onDemandEnabled: boolean;
  /** When this state was read (epoch ms). */
  observedAtMs: number;
}

/** Thresholds and timings that govern one prefix. */
export interface ProtectionPolicy {
  calmPeriodMs: number;
  checkIntervalMs: number;
  lookbackMs: number;
  /** Cloudflare refuses to re-advertise sooner than this after a withdraw. */
  readvertiseCooldownMs: number;
  /** Cloudflare refuses to withdraw sooner than this after an advertise (client-side gate). */
  minAdvertisedMs: number;
  minDroppedPackets: number;
  minDroppedBits: number;
  /** Unknown telemetry for this long raises a "telemetry lost" alert. */
  telemetryLostAlertMs: number;
  /** Newest analytics sample older than this (relative to now) makes an answer stale. */
  maxDataAgeMs: number;
}

/** Dropped (mitigated) traffic for one prefix over one lookback window, as the analytics API answered. */
export interface TrafficReading {
  kind: 'data';
  windowStartMs: number;
  windowEndMs: number;
  /** Sums of dropped packets/bits attributed to this prefix by CIDR containment. */
  packets: number;
  bits: number;
  /** Mitigation systems seen dropping traffic for this prefix (dosd, flowtrackd, magic-firewall...). */
  systems: string[];
  /**
   * Upper bound of dropped traffic the answer could not attribute (rows cut off by the result limit);
   * zero when the answer was complete.
   */
  unattributedPackets: number;
  unattributedBits: number;
  /** Newest sample of any outcome in the account for the window; null when the window held no data at all. */
  newestSampleMs: number | null;
}

/** The analytics call failed; the traffic is unknown. */
export interface TrafficFailure {
  kind: 'error';
  windowEndMs: number;
  /** Named error type decided at the activity boundary (see src/errors.ts). */
  errorType: string;
  message: string;
}

export type TrafficObservation = TrafficReading | TrafficFailure;

/** Highest dropped traffic seen during the attack(s) since the last withdraw. */
export interface PeakStats {
  packets: number;
  bits: number;
  mbps: number;
  /** Highest dropped packets per second (packets over the window's length); absent in older carried states. */
  pps?: number;
  systems: string[];
  /** When the highest packet count was seen. */
  atMs: number;
  /** First attack observation since the last withdraw. */
  firstAttackAtMs: number;
}
