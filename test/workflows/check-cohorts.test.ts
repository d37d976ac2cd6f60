// CHECK_COHORTS=2 on the time-skipping server with production timings (60 s cycles, 15 min calm): the prefixes are
// measured once per interval at their cohort's offset, each cohort shares one GraphQL query per cycle, and calm
// accrual, telemetry freshness and the withdraw timing are what they are on the plain grid.
import assert from 'node:assert/strict';
import { ensureSupervisor } from '../../src/runtime/temporal';
import { protectionWorkflowId, SUPERVISOR_WORKFLOW_ID } from '../../src/workflows/ids';
import { statusQuery } from '../../src/workflows/messages';
import type { MeasureInput } from '../../src/activities';
import type { ProtectionStatus } from '../../src/workflows/types';
import { testPrefix } from '../helpers/fixture';
import { useTimeSkippingSystem } from '../helpers/time-skipping-system';

const MIN = 60_000;
const PREFIXES = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '198.18.0.0/24'].map((cidr, i) =>
  testPrefix(cidr, `cohort test ${i}`, `c${i}`, { parentPrefixId: 'pc' }),
);
const SORTED = PREFIXES.map((p) => p.cidr).sort();
/** Round-robin over the sorted mapping: every other prefix half an interval later. */
const offsetOf = (cidr: string) => (SORTED.indexOf(cidr) % 2) * 30_000;

describe('phase cohorts (CHECK_COHORTS=2, time-skipping server, 60 s / 15 min)', function () {
  this.timeout(180_000);
  const sys = useTimeSkippingSystem({
    taskQueue: 'check-cohorts',
    prefixes: PREFIXES,
    env: { CHECK_COHORTS: '2' },
    terminateAtEnd: [SUPERVISOR_WORKFLOW_ID],
  });

  it('measures each prefix once per interval at its offset, 2 queries per interval, withdraws on time', async () => {
    const { env, fx, taskQueue } = sys();
    await ensureSupervisor(env.client, taskQueue);
    const seen = new Map<string, ProtectionStatus[]>();
    // Minute by minute, until every prefix is withdrawn (15 calm minutes from its first cycle, + at most 1 interval).
    for (let minute = 0; minute < 19; minute++) {
      await env.sleep(MIN);
      for (const p of PREFIXES) {
        const st = await env.client.workflow.getHandle(protectionWorkflowId(p.cidr)).query(statusQuery);
        seen.set(p.cidr, [...(seen.get(p.cidr) ?? []), st]);
      }
    }

    const windows = new Set<number>();
    for (const p of PREFIXES) {
      const history = await env.client.workflow.getHandle(protectionWorkflowId(p.cidr)).fetchHistory();
      const scheduled = (history.events ?? []).map((e) => e.activityTaskScheduledEventAttributes).filter(Boolean);
      const settingsLoads = scheduled.filter((a) => a!.activityType?.name === 'loadProtectionSettings');
      assert.equal(settingsLoads.length, 1, `${p.cidr}: the supervisor's digest matches the settings: no reloads`);
      const ends = scheduled
        .filter((a) => a!.activityType?.name === 'measureDroppedTraffic')
        .map((a) => (JSON.parse(Buffer.from(a!.input!.payloads![0]!.data!).toString()) as MeasureInput).windowEndMs);
      ends.forEach((t) => windows.add(t));
      assert.ok(ends.length >= 15, `${p.cidr}: ${ends.length} cycles`);
      // The first window ends at the grid point at or before the start; every later one exactly one interval on.
      for (const t of ends) assert.equal(((t % MIN) + MIN) % MIN, offsetOf(p.cidr), `${p.cidr} window ${t}`);
      for (let i = 1; i < ends.length; i++) assert.equal(ends[i]! - ends[i - 1]!, MIN, `${p.cidr} cycle ${i}`);

      const statuses = seen.get(p.cidr)!;
      const lastMeasured = statuses.filter((s) => s.phase === 'protecting').map((s) => s.lastCycleAtMs);
      assert.ok(
        lastMeasured.every((t) => t !== null && t % MIN === offsetOf(p.cidr)),
        `${p.cidr}: measured at its offset`,
      );
      assert.ok(
        statuses.every((s) => s.telemetry === 'ok' || s.telemetry === 'not_measured' || s.phase !== 'protecting'),
        `${p.cidr}: the answers were fresh (no unknown or lost telemetry)`,
      );
      // Calm from the first cycle; 15 minutes of it, accrued interval by interval, then the withdraw at that cycle.
      const withdrawnAt = statuses.at(-1)!.lastWithdraw?.atMs;
      assert.ok(withdrawnAt !== undefined, `${p.cidr} withdrawn`);
      const dueAt = ends[0]! + 15 * MIN;
      assert.ok(
        withdrawnAt >= dueAt && withdrawnAt < dueAt + MIN,
        `${p.cidr}: withdrawn ${withdrawnAt - dueAt} ms late`,
      );
      assert.deepEqual(
        fx.cf.stats
          .patches()
          .filter((x) => x.bgpPrefixId === p.bgpPrefixId)
          .map((x) => [x.advertised, x.outcome]),
        [[false, 'changed']],
      );
    }
    // Two cohorts: each has one window per interval, without gaps, and every window is one query for all the
    // prefixes of its cohort (where the run starts or ends inside an interval, only one cohort may have it).
    for (const offset of [0, 30_000]) {
      const mine = [...windows].filter((t) => ((t % MIN) + MIN) % MIN === offset).sort((a, b) => a - b);
      assert.ok(mine.length >= 15, `cohort at +${offset} ms: ${mine.length} windows`);
      for (let i = 1; i < mine.length; i++) assert.equal(mine[i]! - mine[i - 1]!, MIN, `cohort at +${offset} ms`);
    }
    assert.equal(fx.cf.stats.requests('graphql'), windows.size);
  });
});
