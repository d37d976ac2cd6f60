// Worker tuning (WORKER_*): documented defaults, the auto cache size, overrides reaching the SDK options, bad values named.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';
import { workerTuningOptions } from '../../src/runtime/worker-options';

const dir = mkdtempSync(join(tmpdir(), 'mtaw-tuning-'));
function mapping(count: number): string {
  const path = join(dir, `mapping-${count}.json`);
  const entries = Array.from({ length: count }, (_, i) => [
    `10.${Math.floor(i / 250)}.${i % 250}.0/24`,
    { parent_prefix_id: 'p1', bgp_prefix_id: `b${i}`, description: `p${i}` },
  ]);
  writeFileSync(path, JSON.stringify(Object.fromEntries(entries)));
  return path;
}
const env = (over: Record<string, string> = {}, prefixes = 2): Record<string, string> => ({
  CLOUDFLARE_ACCOUNT_ID: '9035f53656c247e895c5a6939ae8a0e0',
  CLOUDFLARE_API_TOKEN: 'cf-token-secret-value',
  PREFIX_MAPPING_FILE: mapping(prefixes),
  ...over,
});
function problems(over: Record<string, string>): string[] {
  try {
    loadConfig(env(over));
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('worker tuning settings', () => {
  it('defaults: cache auto (≥ 500), 40 workflow tasks, 100 activities, 100 local activities, 10 + 10 pollers, 10s sticky', () => {
    assert.deepEqual(loadConfig(env()).worker, {
      maxCachedWorkflows: 500,
      maxConcurrentWorkflowTasks: 40,
      maxConcurrentActivities: 100,
      maxConcurrentLocalActivities: 100,
      workflowTaskPollers: 10,
      activityTaskPollers: 10,
      stickyQueueTimeoutMs: 10_000,
      bundleCacheDir: 'data/workflow-bundle',
    });
  });

  it('WORKER_BUNDLE_CACHE: a directory, or off to bundle at every start', () => {
    assert.equal(loadConfig(env({ WORKER_BUNDLE_CACHE: '/var/cache/mtaw' })).worker.bundleCacheDir, '/var/cache/mtaw');
    assert.equal(loadConfig(env({ WORKER_BUNDLE_CACHE: 'OFF' })).worker.bundleCacheDir, null);
  });

  it('auto keeps every prefix workflow cached: prefixes + 100 once that exceeds 500', () => {
    assert.equal(loadConfig(env({}, 1200)).worker.maxCachedWorkflows, 1300);
    assert.equal(loadConfig(env({ WORKER_MAX_CACHED_WORKFLOWS: 'AUTO' }, 399)).worker.maxCachedWorkflows, 500);
  });

  it('reads every setting and hands it to the SDK options', () => {
    const c = loadConfig(
      env({
        WORKER_MAX_CACHED_WORKFLOWS: '3000',
        WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '80',
        WORKER_MAX_CONCURRENT_ACTIVITIES: '250',
        WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: '60',
        WORKER_WORKFLOW_POLLERS: '20',
        WORKER_ACTIVITY_POLLERS: '15',
        WORKER_STICKY_QUEUE_TIMEOUT: '2s',
        WORKER_BUNDLE_CACHE: 'off',
      }),
    );
    assert.deepEqual(workerTuningOptions(c.worker), {
      maxCachedWorkflows: 3000,
      maxConcurrentWorkflowTaskExecutions: 80,
      maxConcurrentActivityTaskExecutions: 250,
      maxConcurrentLocalActivityExecutions: 60,
      workflowTaskPollerBehavior: { type: 'simple-maximum', maximum: 20 },
      activityTaskPollerBehavior: { type: 'simple-maximum', maximum: 15 },
      stickyQueueScheduleToStartTimeout: 2000,
    });
    assert.ok(Object.isFrozen(c.worker));
  });

  it('names every bad value', () => {
    const p = problems({
      WORKER_MAX_CACHED_WORKFLOWS: 'lots',
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '1',
      WORKER_MAX_CONCURRENT_ACTIVITIES: '0',
      WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: '-5',
      WORKER_WORKFLOW_POLLERS: '2.5',
      WORKER_ACTIVITY_POLLERS: 'ten',
      WORKER_STICKY_QUEUE_TIMEOUT: '10',
    });
    assert.equal(p.length, 7, p.join('\n'));
    for (const [name, text] of [
      ['WORKER_MAX_CACHED_WORKFLOWS', 'lots'],
      ['WORKER_MAX_CONCURRENT_WORKFLOW_TASKS', '1'],
      ['WORKER_MAX_CONCURRENT_ACTIVITIES', '0'],
      ['WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES', '-5'],
      ['WORKER_WORKFLOW_POLLERS', '2.5'],
      ['WORKER_ACTIVITY_POLLERS', 'ten'],
      ['WORKER_STICKY_QUEUE_TIMEOUT', '10'],
    ])
      assert.ok(
        p.some((x) => x.startsWith(`${name}=${text}:`)),
        `${name}: ${p.join('\n')}`,
      );
  });

  it('refuses a sticky-queue timeout outside 1s..5m', () => {
    for (const bad of ['500ms', '6m']) {
      const p = problems({ WORKER_STICKY_QUEUE_TIMEOUT: bad });
      assert.deepEqual(p, [`WORKER_STICKY_QUEUE_TIMEOUT=${bad}: must be from 1s to 5m`]);
    }
  });

  it('refuses combinations the SDK would silently change: tasks above the cache, pollers above their slots', () => {
    const p = problems({
      WORKER_MAX_CACHED_WORKFLOWS: '30',
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '40',
      WORKER_WORKFLOW_POLLERS: '50',
      WORKER_MAX_CONCURRENT_ACTIVITIES: '5',
      WORKER_ACTIVITY_POLLERS: '6',
    });
    assert.deepEqual(p, [
      'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS=40: must not exceed WORKER_MAX_CACHED_WORKFLOWS (30)',
      'WORKER_WORKFLOW_POLLERS=50: must not exceed WORKER_MAX_CONCURRENT_WORKFLOW_TASKS (40)',
      'WORKER_ACTIVITY_POLLERS=6: must not exceed WORKER_MAX_CONCURRENT_ACTIVITIES (5)',
    ]);
  });
});
