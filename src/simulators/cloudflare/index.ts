// Public face of the Cloudflare simulator: start it, then script prefixes, traffic and faults.
//
// Faults (sim.faults.add(spec) in-process, or POST /__sim/faults with the same JSON from another process):
//   { kind: 'http_5xx', match: { method: 'PATCH' }, count: 3 }          the next 3 PATCHes fail
//   { kind: 'http_429', retryAfterSec: 2, fromMs, untilMs }             an absolute window on the simulator clock
//   { kind: 'timeout', afterMs: 5000, forMs: 10000 }                     from now + 5 s, for 10 s
//   { kind: 'http_5xx', every: 3, match: { graphql: false } }           every 3rd REST call (3rd, 6th, …)
//   { kind: 'http_5xx', probability: 0.3, match: { graphql: false } }   30 % of REST calls, seeded (option `seed`)
//   { kind: 'lost_answer', match: { method: 'PATCH' } }                  the next PATCH is applied, then its answer is
//                                                                        lost (connection destroyed; log: answerLost)
// GraphQL faults answer in GraphQL shape ({data: null, errors: [...]}, 429s with "rate limiter budget depleted");
// partial / empty only count a hit when they actually degraded a 200 answer. See faults.ts for the rules.
export { startCloudflareSimulator, type CloudflareSimulator, type CloudflareSimulatorOptions } from './server';
export type { FaultKind, FaultMatch, FaultSpec, FaultSchedule, ArmedFault } from './faults';
export type { FlowSpec, Flow, DarkPeriod, TrafficModel, MitigationSystem, SubnetFormat } from './traffic';
export type { AddPrefixInput, PatchLogEntry, PatchOutcome, PrefixState, SimPrefix } from './state';
export type { GraphqlLogEntry, RouteName, SimStats, StatsSnapshot } from './stats';
export type { RateLimitOptions } from './limits';
export { SIM_ERRORS, TOO_SOON_CODE } from './envelope';
export { schemaSdl } from './schema';
