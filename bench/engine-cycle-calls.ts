// Benchmark: Cloudflare calls per cycle and withdraw lateness for N advertised prefixes, production durations
// (60 s cycles, 15 min calm) on the time-skipping server with real activities and the loopback Cloudflare.
// Usage: npx tsx bench/engine-cycle-calls.ts [N ...]   (default: 1 50); CHECK_COHORTS=K in the environment spreads
// the prefixes over K phase cohorts (default auto: 1 up to 50 prefixes).
import { ensureSupervisor } from '../src/runtime/temporal';
import { protectionWorkflowId, SUPERVISOR_WORKFLOW_ID } from '../src/workflows/ids';
import { statusQuery, supervisorStatusQuery } from '../src/workflows/messages';
import type { TestPrefix } from '../test/helpers/fixture';
import { quietTemporalRuntime } from '../test/helpers/temporal';
import { startTimeSkippingSystem } from '../test/helpers/time-skipping-system';

const MIN = 60_000;

async function measure(n: number): Promise<Record<string, string | number>> {
  const parents = n > 1 ? 2 : 1;
  const prefixes: TestPrefix[] = Array.from({ length: n }, (_, i) => ({
    cidr: `10.${Math.floor(i / 250)}.${i % 250}.0/24`,
    description: `p${i}`,
    parentPrefixId: `parent${i % parents}`,
    bgpPrefixId: `bgp${i}`,
    advertised: true,
  }));
  const sys = await startTimeSkippingSystem({
    taskQueue: 'bench',
    prefixes,
    cloudflare: { ingestDelayMs: 0 },
    env: process.env.CHECK_COHORTS ? { CHECK_COHORTS: process.env.CHECK_COHORTS } : {},
  });
  const cohorts = sys.deps.config.checkCohorts.count;
  const { env, fx } = sys;
  try {
    const wall = Date.now();
    await ensureSupervisor(env.client, 'bench');
    // 14 minutes: every prefix is still protecting, so the counts are pure measurement cycles.
    await env.sleep(14 * MIN);
    const sup = await env.client.workflow.getHandle(SUPERVISOR_WORKFLOW_ID).query(supervisorStatusQuery);
    const lists = fx.cf.stats.requests('listBgpPrefixes');
    const graphql = fx.cf.stats.requests('graphql');
    const gets = fx.cf.stats.requests('getBgpPrefix');
    const child = await env.client.workflow.getHandle(protectionWorkflowId(prefixes[0]!.cidr)).query(statusQuery);
    // Calm since each prefix's first cycle (its cohort's grid point): the withdraw is due 15 min later.
    const calmSince = new Map<string, number | null>();
    for (const p of prefixes) {
      const s = await env.client.workflow.getHandle(protectionWorkflowId(p.cidr)).query(statusQuery);
      calmSince.set(p.cidr, s.calmSinceMs);
    }
    // Then let the calm period end.
    await env.sleep(4 * MIN);
    const lateness: number[] = [];
    for (const p of prefixes) {
      const s = await env.client.workflow.getHandle(protectionWorkflowId(p.cidr)).query(statusQuery);
      const since = calmSince.get(p.cidr);
      if (s.lastWithdraw && since != null) lateness.push(s.lastWithdraw.atMs - (since + 15 * MIN));
    }
    lateness.sort((a, b) => a - b);
    return {
      prefixes: n,
      parentPrefixes: parents,
      cohorts,
      supervisorCycles: sup.cycles,
      measureCycles: child.cycles,
      listCallsPerCycle: (lists / sup.cycles).toFixed(2),
      // One query per cohort per interval, whatever N.
      graphqlPerInterval: (graphql / child.cycles).toFixed(2),
      perPrefixGetsWhileCalm: gets,
      withdrawn: `${lateness.length}/${n}`,
      latenessP50Ms: lateness[Math.floor(lateness.length / 2)] ?? 'n/a',
      latenessMaxMs: lateness[lateness.length - 1] ?? 'n/a',
      wallSeconds: ((Date.now() - wall) / 1000).toFixed(1),
    };
  } finally {
    await sys.stop();
  }
}

async function main(): Promise<void> {
  quietTemporalRuntime();
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((x) => x > 0);
  const rows = [];
  for (const n of sizes.length ? sizes : [1, 50]) rows.push(await measure(n));
  console.table(rows);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
