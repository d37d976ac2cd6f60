// The supervisor on the time-skipping server: one protection per advertised prefix, one list call per parent
// prefix per cycle, and one shared GraphQL query per cycle however many prefixes are protected.
import assert from 'node:assert/strict';
import { ensureSupervisor } from '../../src/runtime/temporal';
import { protectionWorkflowId, SUPERVISOR_WORKFLOW_ID } from '../../src/workflows/ids';
import { statusQuery, supervisorStatusQuery } from '../../src/workflows/messages';
import type { TestPrefix } from '../helpers/fixture';
import { useTimeSkippingSystem } from '../helpers/time-skipping-system';

const MIN = 60_000;
const TASK_QUEUE = 'supervisor-test';
const ADVERTISED: TestPrefix[] = Array.from({ length: 20 }, (_, i) => ({
  cidr: `198.51.${i}.0/24`,
  description: `customer ${i}`,
  parentPrefixId: i < 10 ? 'parentA' : 'parentB',
  bgpPrefixId: `bgp${i}`,
  advertised: true,
}));
const IDLE: TestPrefix = {
  cidr: '203.0.113.0/24',
  description: 'not advertised',
  parentPrefixId: 'parentB',
  bgpPrefixId: 'idle',
  advertised: false,
};

describe('ProtectionSupervisor (time-skipping server, 60 s cycles)', function () {
  this.timeout(180_000);
  const sys = useTimeSkippingSystem({
    taskQueue: TASK_QUEUE,
    prefixes: [...ADVERTISED, IDLE],
    advertisedAgoMs: 3_600_000,
  });

  it('protects every advertised prefix with one list call per parent and one GraphQL query per cycle', async () => {
    const { env, fx } = sys();
    await ensureSupervisor(env.client, TASK_QUEUE);
    await env.sleep(10 * MIN);
    const sup = await env.client.workflow.getHandle(SUPERVISOR_WORKFLOW_ID).query(supervisorStatusQuery);
    assert.deepEqual(sup.protected, ADVERTISED.map((p) => p.cidr).sort());
    assert.ok(!sup.protected.includes(IDLE.cidr));

    const lists = fx.cf.stats.requests('listBgpPrefixes');
    assert.equal(lists, sup.cycles * 2, `${lists} list calls for ${sup.cycles} cycles over 2 parent prefixes`);
    assert.equal(fx.cf.stats.requests('getBgpPrefix'), 0, 'no per-prefix reads while nothing changes');

    const child = await env.client.workflow.getHandle(protectionWorkflowId(ADVERTISED[0]!.cidr)).query(statusQuery);
    const graphql = fx.cf.stats.requests('graphql');
    assert.ok(child.cycles >= 10);
    // 20 workflows measured ~10 cycles each: they shared one query per cycle (a retry or a cycle boundary may add one).
    assert.ok(graphql <= child.cycles + 2, `${graphql} GraphQL requests for ${child.cycles} cycles of 20 prefixes`);
  });

  it('withdraws each calm prefix exactly once when its calm period ends', async () => {
    const { env, fx } = sys();
    await env.sleep(8 * MIN);
    for (const p of ADVERTISED) {
      const patches = fx.cf.stats.patches().filter((x) => x.bgpPrefixId === p.bgpPrefixId);
      assert.deepEqual(
        patches.map((x) => [x.advertised, x.outcome]),
        [[false, 'changed']],
        p.cidr,
      );
    }
    assert.equal(fx.tg.messages.filter((m) => /AUTO-WITHDRAWN/.test(m.plainText)).length, ADVERTISED.length);
  });
});
