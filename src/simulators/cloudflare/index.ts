// Public face of the Cloudflare simulator: start it, then script prefixes, traffic and faults.
export { startCloudflareSimulator, type CloudflareSimulator, type CloudflareSimulatorOptions } from './server';
export type { FaultKind, FaultMatch, FaultSpec, FaultSchedule, ArmedFault } from './faults';
export type { FlowSpec, Flow, DarkPeriod, TrafficModel, MitigationSystem, SubnetFormat } from './traffic';
export type { AddPrefixInput, PatchLogEntry, PatchOutcome, PrefixState, SimPrefix } from './state';
export type { RouteName, SimStats, StatsSnapshot } from './stats';
export type { RateLimitOptions } from './limits';
export { SIM_ERRORS, TOO_SOON_CODE } from './envelope';
export { schemaSdl } from './schema';
