// A rate-limited analytics API on the time-skipping server (60 s cycles): the measurement is bounded by the check
// interval, so a 429 with a long Retry-After (or the GraphQL budget's 5 minutes) is unknown for one cycle, never a
// stalled cycle, and the telemetry-lost alert comes on time.
import assert from 'node:assert/strict';
import { statusQuery } from '../../src/workflows/messages';
import { testPrefix, type TestPrefix } from '../helpers/fixture';
import { advanceMinutes, startProtection } from '../helpers/protection-steps';
import { useTimeSkippingSystem, type TimeSkippingSystem } from '../helpers/time-skipping-system';

const MIN = 60_000;
const R = testPrefix('192.0.2.0/24', 'Rate limited', 'r');
const G = testPrefix('198.51.100.0/24', 'Budget', 'g');

describe('measurement bounded by the check interval (time-skipping server)', function () {
  this.timeout(180_000);
  const sys = useTimeSkippingSystem({ taskQueue: 'measurement-bound', prefixes: [R, G] });

  const cases: Array<[string, TestPrefix, Parameters<TimeSkippingSystem['fx']['cf']['faults']['add']>[0]]> = [
    [
      'a 429 with Retry-After: 300',
      R,
      { kind: 'http_429', retryAfterSec: 300, match: { graphql: true }, count: Infinity },
    ],
    [
      "GraphQL's 'rate limiter budget depleted, try again after 5 minutes'",
      G,
      {
        kind: 'graphql_error',
        status: 429,
        message: 'rate limiter budget depleted, try again after 5 minutes',
        match: { graphql: true },
        count: Infinity,
      },
    ],
  ];
  for (const [what, p, fault] of cases)
    it(`${what}: one cycle a minute, each unknown, and the telemetry-lost alert on time`, async () => {
      const { env, fx } = sys();
      const handle = await startProtection(sys(), p);
      await env.sleep(2 * MIN);
      const before = await handle.query(statusQuery);
      assert.equal(before.telemetry, 'ok');
      const faultId = fx.cf.faults.add(fault);
      const seen = await advanceMinutes(sys(), handle, 10);
      fx.cf.faults.remove(faultId);
      const last = seen.at(-1)!;
      // 10 minutes of workflow time: 10 cycles (one may straddle the boundary), not two or three.
      assert.ok(last.cycles - before.cycles >= 9, `${last.cycles - before.cycles} cycles in 10 minutes`);
      assert.ok(
        seen.slice(1).every((s) => s.telemetry === 'unknown' || s.telemetry === 'lost'),
        'every reading during the rate limit is unknown',
      );
      const unknownSince = last.unknownSinceMs!;
      assert.ok(unknownSince - before.lastCycleAtMs! <= 2 * MIN, 'unknown from the first rate-limited cycle');
      const lostAt = seen.find((s) => s.telemetry === 'lost')?.lastCycleAtMs;
      assert.ok(typeof lostAt === 'number', 'telemetry-lost raised');
      assert.ok(
        lostAt - unknownSince <= 5 * MIN + MIN,
        `telemetry-lost ${(lostAt - unknownSince) / 1000}s after unknown`,
      );
      assert.equal(
        fx.tg.messages.filter((m) => m.plainText.includes(p.cidr) && /TRAFFIC DATA LOST/.test(m.plainText)).length,
        1,
      );
      assert.deepEqual(
        fx.cf.stats.patches().filter((x) => x.bgpPrefixId === p.bgpPrefixId),
        [],
        'no withdraw without data',
      );

      await env.sleep(2 * MIN);
      const recovered = await handle.query(statusQuery);
      assert.equal(recovered.telemetry, 'ok', 'the next cycle after the rate limit asks again and gets data');
      await handle.terminate('test done');
    });
});
