// The supervisor's reads against the loopback Cloudflare: pages of the sorted mapping whose answers stay small, one
// list call per parent prefix per reconcile however many pages, failures kept to their parent; and the settings
// activity's phase cohort (offset, digest) taken from the prefix's place in the sorted mapping.
import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { PrefixStatePage, ProtectionSettings } from '../../src/activities';
import { SUMMARY_DESCRIPTION_CHARS } from '../../src/activities/cloudflare';
import { buildDependencies, type Dependencies } from '../../src/runtime/dependencies';
import { memoryLogger, startFixture, type Fixture, type TestPrefix } from '../helpers/fixture';

const PARENTS = ['pa', 'pb', 'pc'];
// 12 prefixes, mapped out of order, 4 under each parent; the 13th is configured but not listed by Cloudflare.
const PREFIXES: TestPrefix[] = Array.from({ length: 12 }, (_, i) => ({
  cidr: `10.0.${(i * 7) % 12}.0/24`,
  description: i === 3 ? 'x'.repeat(200) : `customer ${i}`,
  parentPrefixId: PARENTS[i % 3]!,
  bgpPrefixId: `b${i}`,
  advertised: i % 2 === 0,
}));
const SORTED = PREFIXES.map((p) => p.cidr).sort();

describe('prefix state pages and cohorts (loopback Cloudflare)', () => {
  let fx: Fixture;
  let deps: Dependencies;
  const lists = () => fx.cf.stats.requests('listBgpPrefixes');
  const page = (reconcileId: string, n: number, pageSize = 5) =>
    deps.activities.readPrefixStatePage({ reconcileId, page: n, pageSize });

  async function start(env: Record<string, string> = {}): Promise<void> {
    fx = await startFixture({ prefixes: PREFIXES, env });
    deps = buildDependencies(fx.config, memoryLogger().logger);
  }
  afterEach(async () => {
    deps.close();
    await fx.close();
  });

  it('pages cut the sorted mapping: every prefix once, in order, each page bounded, one list per parent', async () => {
    await start();
    const read: PrefixStatePage[] = [];
    for (let n = 0; n < 3; n++) read.push(await page('r1', n));
    assert.deepEqual(
      read.map((p) => [p.page, p.pages, p.firstIndex, p.entries.length]),
      [
        [0, 3, 0, 5],
        [1, 3, 5, 5],
        [2, 3, 10, 2],
      ],
    );
    assert.deepEqual(
      read.flatMap((p) => p.entries.map((e) => e.cidr)),
      SORTED,
    );
    assert.equal(lists(), PARENTS.length, 'three pages of one reconcile: one list per parent');
    const entry = read.flatMap((p) => p.entries).find((e) => e.cidr === PREFIXES[0]!.cidr)!;
    // Only what the supervisor needs: no IDs, no nested live state.
    assert.deepEqual(
      Object.keys(entry).sort(),
      [
        'advertised',
        'advertisedModifiedAtMs',
        'configDigest',
        'description',
        'locked',
        'observedAtMs',
        'onDemandEnabled',
        'cidr',
      ].sort(),
    );
    assert.equal(entry.advertised, true);
    const long = read.flatMap((p) => p.entries).find((e) => e.cidr === PREFIXES[3]!.cidr)!;
    assert.equal(long.description.length, SUMMARY_DESCRIPTION_CHARS);
    assert.ok(JSON.stringify(read[0]).length < 5 * 250, `${JSON.stringify(read[0]).length} bytes for 5 entries`);

    // A new reconcile reads again; asking a page of the old one again does not.
    await page('r2', 1);
    const parentsOfPage1 = new Set(
      SORTED.slice(5, 10).map((cidr) => PREFIXES.find((p) => p.cidr === cidr)!.parentPrefixId),
    );
    assert.equal(lists(), PARENTS.length + parentsOfPage1.size, 'a page reads only its own parents');
    await page('r1', 0);
    assert.equal(lists(), PARENTS.length + parentsOfPage1.size);
    // The full snapshot (older supervisor runs) lists every prefix once.
    const full = await deps.activities.readPrefixStates();
    assert.deepEqual(
      full.prefixes.map((p) => p.identity.cidr),
      SORTED,
    );
  });

  it('a failing parent is named in its pages and asked again by the next page; a page of only it is retried', async () => {
    await start();
    const fault = fx.cf.faults.add({
      kind: 'http_5xx',
      match: { method: 'GET', path: /\/prefixes\/pb\/bgp\/prefixes\/?$/ },
      count: Infinity,
    });
    const p0 = await page('r1', 0);
    assert.deepEqual(
      p0.failures.map((f) => f.parentPrefixId),
      ['pb'],
    );
    assert.ok(p0.entries.every((e) => PREFIXES.find((p) => p.cidr === e.cidr)!.parentPrefixId !== 'pb'));
    assert.ok(p0.entries.length > 0);
    fx.cf.faults.remove(fault);
    const p1 = await page('r1', 1);
    assert.deepEqual(p1.failures, [], 'the failure was not kept for the later pages');
    assert.equal(lists(), 3 + 1, 'pa and pc once, pb twice (failed, then read)');

    // A page whose every prefix sits under a failing parent throws, so that the retry policy tries again.
    fx.cf.faults.add({ kind: 'http_5xx', match: { method: 'GET' }, count: Infinity });
    await assert.rejects(page('r2', 0, 1));
  });

  it('cohorts: offsets round-robin over the sorted mapping, in the settings and the digests', async () => {
    await start({ CHECK_COHORTS: '3' });
    const settings = new Map<string, ProtectionSettings>();
    for (const p of PREFIXES)
      settings.set(
        p.cidr,
        await new MockActivityEnvironment().run((c: string) => deps.activities.loadProtectionSettings(c), p.cidr),
      );
    SORTED.forEach((cidr, i) => {
      const s = settings.get(cidr)!;
      assert.deepEqual(s.cohort, { index: i % 3, of: 3 }, cidr);
      assert.equal(s.cycleOffsetMs, (i % 3) * 20_000, cidr);
    });
    const entries = (await page('r1', 0, 100)).entries;
    for (const e of entries) assert.equal(e.configDigest, settings.get(e.cidr)!.configDigest, e.cidr);
    // Cohort 0 keeps the registry's digest (as before cohorts); the others differ by their offset.
    for (const cidr of SORTED) {
      const registry = deps.registry.get(cidr)!.digest;
      assert.equal(settings.get(cidr)!.configDigest === registry, settings.get(cidr)!.cycleOffsetMs === 0, cidr);
    }
  });

  it('CHECK_COHORTS auto with a handful of prefixes: one cohort, the plain grid, digests unchanged', async () => {
    await start();
    for (const p of PREFIXES) {
      const s: ProtectionSettings = await new MockActivityEnvironment().run(
        (c: string) => deps.activities.loadProtectionSettings(c),
        p.cidr,
      );
      assert.deepEqual([s.cycleOffsetMs, s.cohort], [0, { index: 0, of: 1 }]);
      assert.equal(s.configDigest, deps.registry.get(p.cidr)!.digest);
    }
  });
});
