// The supervisor on the time-skipping server: one protection per advertised prefix, one list call per parent
// prefix per cycle, and one shared GraphQL query per cycle however many prefixes are protected.
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities';
import { buildDependencies, type Dependencies } from '../../src/runtime/dependencies';
import { ensureSupervisor } from '../../src/runtime/temporal';
import { protectionWorkflowId, SUPERVISOR_WORKFLOW_ID } from '../../src/workflows/ids';
import { statusQuery, supervisorStatusQuery } from '../../src/workflows/messages';
import { memoryLogger, startFixture, type Fixture, type TestPrefix } from '../helpers/fixture';
import { createTimeSkippingEnv, quietTemporalRuntime, workflowBundle } from '../helpers/temporal';

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
  let env: TestWorkflowEnvironment;
  let fx: Fixture;
  let deps: Dependencies;
  let worker: Worker;
  let running: Promise<void>;
  let simNow = Date.now();

  before(async () => {
    quietTemporalRuntime();
    env = await createTimeSkippingEnv();
    const start = await env.currentTimeMs();
    simNow = start;
    fx = await startFixture({
      prefixes: [...ADVERTISED, IDLE].map((p) => ({ ...p, advertisedModifiedAtMs: start - 3_600_000 })),
      cloudflare: { clock: () => Math.max(Date.now(), simNow) },
      env: { TEMPORAL_TASK_QUEUE: TASK_QUEUE },
    });
    for (const p of ADVERTISED) fx.cf.traffic.addBackground(p.cidr, { startMs: start - 3_600_000 });
    deps = buildDependencies(fx.config, memoryLogger().logger);
    const activities: Activities = {
      ...deps.activities,
      measureDroppedTraffic: async (input) => {
        simNow = Math.max(simNow, input.windowEndMs + 1_000);
        return deps.activities.measureDroppedTraffic(input);
      },
    };
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowBundle: await workflowBundle(),
      activities,
    });
    running = worker.run();
  });

  after(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
    deps?.close();
    await fx?.close();
  });

  it('protects every advertised prefix with one list call per parent and one GraphQL query per cycle', async () => {
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
