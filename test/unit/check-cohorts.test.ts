// CHECK_COHORTS and the cycle grid: a handful of prefixes keep one query per cycle, large fleets are spread over the
// interval within Cloudflare's GraphQL budget, and every cohort's cycles fall exactly on its own grid.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';
import { autoCohorts, loadCheckCohorts, queriesPerFiveMinutes } from '../../src/config/check-cohorts';
import {
  cohortOf,
  cohortOffsetMs,
  currentCycleAtMs,
  nextCycleAtMs,
  reconcileOffsetMs,
} from '../../src/domain/protection';

const MIN = 60_000;
const dir = mkdtempSync(join(tmpdir(), 'mtaw-cohorts-'));

function mappingOf(n: number): string {
  const path = join(dir, `mapping-${n}.json`);
  const table: Record<string, unknown> = {};
  for (let i = 0; i < n; i++)
    table[`10.${Math.floor(i / 256)}.${i % 256}.0/24`] = { parent_prefix_id: 'p1', bgp_prefix_id: `b${i}` };
  writeFileSync(path, JSON.stringify(table));
  return path;
}
const env = (n: number, over: Record<string, string> = {}) => ({
  CLOUDFLARE_ACCOUNT_ID: '9035f53656c247e895c5a6939ae8a0e0',
  CLOUDFLARE_API_TOKEN: 'cf-token-secret-value',
  PREFIX_MAPPING_FILE: mappingOf(n),
  ...over,
});
function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  return assert.fail('expected a ConfigError');
}

describe('CHECK_COHORTS', () => {
  it('auto: one cohort up to 50 prefixes, one more per 50, at most 12 at 60 s (60 queries per 5 minutes)', () => {
    assert.deepEqual(
      [1, 4, 50, 51, 300, 550, 551, 10_000].map((n) => autoCohorts(n, MIN)),
      [1, 1, 1, 2, 6, 11, 12, 12],
    );
    assert.equal(queriesPerFiveMinutes(autoCohorts(10_000, MIN), MIN), 60, 'a fifth of the 300 budget');
    // Longer intervals allow more cohorts for the same budget; 1 s cycles never spread (already one query a second).
    assert.equal(autoCohorts(10_000, 5 * MIN), 60);
    assert.equal(autoCohorts(10_000, 1000), 1);
  });

  it('is auto by default and resolves against the mapping and the interval', () => {
    assert.deepEqual(loadConfig(env(3)).checkCohorts, { setting: 'auto', count: 1 });
    assert.deepEqual(loadConfig(env(120)).checkCohorts, { setting: 'auto', count: 3 });
    assert.deepEqual(loadConfig(env(120, { CHECK_COHORTS: 'AUTO' })).checkCohorts, { setting: 'auto', count: 3 });
    assert.deepEqual(loadConfig(env(3, { CHECK_COHORTS: '2' })).checkCohorts, { setting: 2, count: 2 });
    assert.deepEqual(loadConfig(env(3, { CHECK_COHORTS: '30' })).checkCohorts, { setting: 30, count: 30 });
  });

  it('refuses what is not auto or 1..60, and counts above half the GraphQL budget, naming the setting', () => {
    for (const bad of ['0', '61', '2.5', 'many', '-1']) {
      const problems = problemsOf(() => loadConfig(env(3, { CHECK_COHORTS: bad })));
      assert.deepEqual(problems, [`CHECK_COHORTS=${bad}: must be auto or a whole number from 1 to 60`]);
    }
    const [tooMany] = problemsOf(() => loadConfig(env(3, { CHECK_COHORTS: '31' })));
    assert.match(
      tooMany!,
      /^CHECK_COHORTS=31: .* 155 per 5 minutes, more than half of Cloudflare's budget of 300; at most 30/,
    );
    // 1 is always allowed (it is today's load, whatever the interval).
    const problems: string[] = [];
    assert.deepEqual(loadCheckCohorts('1', 3, 1000, problems), { setting: 1, count: 1 });
    assert.deepEqual(loadCheckCohorts('2', 3, 1000, problems), { setting: 'auto', count: 1 });
    assert.equal(problems.length, 1);
  });
});

describe('cycle grid with cohorts', () => {
  it('cohorts are round-robin by index (sizes differ by at most one) and evenly spaced', () => {
    const sizes = [0, 0, 0];
    for (let i = 0; i < 10; i++) sizes[cohortOf(i, 3)]!++;
    assert.deepEqual(sizes, [4, 3, 3]);
    assert.deepEqual(
      [0, 1, 2].map((c) => cohortOffsetMs(c, 3, MIN)),
      [0, 20_000, 40_000],
    );
    assert.equal(cohortOf(7, 1), 0);
    assert.equal(cohortOffsetMs(0, 1, MIN), 0);
  });

  it("the supervisor's reconciles fall half-way between two cohorts' cycles, never on one", () => {
    for (const k of [1, 2, 3, 7, 12, 30, 60]) {
      const at = reconcileOffsetMs(k, MIN);
      const cohorts = Array.from({ length: k }, (_, c) => cohortOffsetMs(c, k, MIN));
      const nearest = Math.min(...cohorts.map((o) => Math.abs(o - at)), MIN - at);
      assert.ok(nearest >= Math.floor(MIN / k / 2) - 1, `K=${k}: ${nearest} ms from a cohort's cycle`);
    }
    assert.equal(reconcileOffsetMs(1, MIN), 30_000);
    assert.equal(reconcileOffsetMs(1, 1000), 500);
  });

  it('a cohort steps exactly one interval from grid point to grid point, on its offset', () => {
    const offset = 30_000;
    const t0 = 1_700_000_040_000; // a whole minute
    assert.equal(currentCycleAtMs(t0 + 29_999, MIN, offset), t0 - 30_000);
    assert.equal(currentCycleAtMs(t0 + 30_000, MIN, offset), t0 + 30_000);
    assert.equal(nextCycleAtMs(t0 + 30_000, MIN, offset), t0 + 90_000, 'strictly after');
    let at = currentCycleAtMs(t0 + 12_345, MIN, offset);
    for (let i = 0; i < 5; i++) {
      const next = nextCycleAtMs(at, MIN, offset);
      assert.equal(next - at, MIN);
      assert.equal((next - offset) % MIN, 0);
      at = next;
    }
    // Without an offset: the plain grid, as before cohorts.
    assert.equal(nextCycleAtMs(t0 + 1, MIN), t0 + MIN);
    assert.equal(currentCycleAtMs(t0 + 1, MIN), t0);
  });
});
