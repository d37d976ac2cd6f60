// ensureSchedules on the real dev server (the time-skipping server has no schedules): created once, unchanged on
// the next start, updated when the configuration changes, paused by MONITOR_INTERVAL=off, an operator's pause kept;
// a triggered monitor schedule runs the workflow on a real worker against the simulators.
import assert from 'node:assert/strict';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { AppConfig } from '../../src/config';
import { buildDependencies, type Dependencies } from '../../src/runtime/dependencies';
import {
  DISABLED_BY_CONFIG,
  ensureSchedules,
  MONITOR_SCHEDULE_ID,
  RETENTION_SCHEDULE_ID,
} from '../../src/runtime/schedules';
import { memoryLogger, startFixture, type Fixture } from '../helpers/fixture';
import { createDevServerEnv, eventually, quietTemporalRuntime, workflowBundle } from '../helpers/temporal';

const TASK_QUEUE = 'schedules-test';
const MIN = 60_000;

describe('schedules (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let fx: Fixture;
  const logs = memoryLogger();

  before(async () => {
    quietTemporalRuntime();
    env = await createDevServerEnv();
    fx = await startFixture({
      prefixes: [
        { cidr: '185.54.81.0/24', description: 'DMZ', parentPrefixId: 'p4', bgpPrefixId: 'b81', advertised: true },
      ],
      env: { TEMPORAL_TASK_QUEUE: TASK_QUEUE },
    });
  });
  after(async () => {
    await env?.teardown();
    await fx?.close();
  });

  const ensure = (config: AppConfig = fx.config) =>
    ensureSchedules({ client: env.client, namespace: 'default', config, logger: logs.logger });
  const describeSchedule = (id: string) => env.client.schedule.getHandle(id).describe();
  const intervalsOf = async (id: string) =>
    (await describeSchedule(id)).spec.intervals?.map((i) => ({ every: i.every, offset: i.offset ?? 0 }));
  const withMonitor = (monitor: AppConfig['monitor']): AppConfig => ({ ...fx.config, monitor });

  it('creates the monitor (every 5 min, 15 min lookback, overlap skip) and the daily retention schedule', async () => {
    assert.deepEqual(await ensure(), { [MONITOR_SCHEDULE_ID]: 'created', [RETENTION_SCHEDULE_ID]: 'created' });
    const monitor = await describeSchedule(MONITOR_SCHEDULE_ID);
    assert.deepEqual(await intervalsOf(MONITOR_SCHEDULE_ID), [{ every: 5 * MIN, offset: 0 }]);
    assert.equal(monitor.action.workflowType, 'AnalyticsMonitor');
    assert.equal(monitor.action.taskQueue, TASK_QUEUE);
    assert.deepEqual(monitor.action.args, [{ lookbackMs: 15 * MIN }]);
    assert.equal(monitor.policies.overlap, ScheduleOverlapPolicy.SKIP);
    assert.equal(monitor.state.paused, false);
    const retention = await describeSchedule(RETENTION_SCHEDULE_ID);
    assert.deepEqual(await intervalsOf(RETENTION_SCHEDULE_ID), [{ every: 86_400_000, offset: 3.5 * 3_600_000 }]);
    assert.equal(retention.action.workflowType, 'RecordsRetention');
  });

  it('is idempotent: the next start changes nothing, also when two starts race', async () => {
    assert.deepEqual(await ensure(), { [MONITOR_SCHEDULE_ID]: 'unchanged', [RETENTION_SCHEDULE_ID]: 'unchanged' });
    // Two workers starting together after the retention schedule was deleted: one creates it, the other sees it.
    await env.client.schedule.getHandle(RETENTION_SCHEDULE_ID).delete();
    const [a, b] = await Promise.all([ensure(), ensure()]);
    assert.deepEqual([a[RETENTION_SCHEDULE_ID], b[RETENTION_SCHEDULE_ID]].sort(), ['created', 'unchanged']);
    assert.deepEqual([a[MONITOR_SCHEDULE_ID], b[MONITOR_SCHEDULE_ID]], ['unchanged', 'unchanged']);
  });

  it('follows configuration changes, pauses when disabled and resumes when enabled again', async () => {
    const changed = await ensure(withMonitor({ intervalMs: 10 * MIN, lookbackMs: 20 * MIN }));
    assert.equal(changed[MONITOR_SCHEDULE_ID], 'updated');
    let monitor = await describeSchedule(MONITOR_SCHEDULE_ID);
    assert.deepEqual(await intervalsOf(MONITOR_SCHEDULE_ID), [{ every: 10 * MIN, offset: 0 }]);
    assert.deepEqual(monitor.action.args, [{ lookbackMs: 20 * MIN }]);

    assert.equal(
      (await ensure(withMonitor({ intervalMs: null, lookbackMs: 20 * MIN })))[MONITOR_SCHEDULE_ID],
      'updated',
    );
    monitor = await describeSchedule(MONITOR_SCHEDULE_ID);
    assert.deepEqual([monitor.state.paused, monitor.state.note], [true, DISABLED_BY_CONFIG]);

    assert.equal((await ensure())[MONITOR_SCHEDULE_ID], 'updated');
    monitor = await describeSchedule(MONITOR_SCHEDULE_ID);
    assert.equal(monitor.state.paused, false);
    assert.deepEqual(await intervalsOf(MONITOR_SCHEDULE_ID), [{ every: 5 * MIN, offset: 0 }]);
  });

  it("keeps an operator's pause", async () => {
    await env.client.schedule.getHandle(MONITOR_SCHEDULE_ID).pause('paused by the NOC during maintenance');
    assert.equal((await ensure())[MONITOR_SCHEDULE_ID], 'unchanged');
    const monitor = await describeSchedule(MONITOR_SCHEDULE_ID);
    assert.deepEqual([monitor.state.paused, monitor.state.note], [true, 'paused by the NOC during maintenance']);
    await env.client.schedule.getHandle(MONITOR_SCHEDULE_ID).unpause();
  });

  it('a triggered monitor schedule stores the events and sends one summary through a real worker', async () => {
    // Six whole minutes ending at least two minutes ago: six per-minute samples.
    const start = Math.floor((Date.now() - 8 * MIN) / MIN) * MIN;
    fx.cf.traffic.addFlow({
      destination: '185.54.81.10',
      startMs: start,
      endMs: start + 6 * MIN,
      packetsPerSecond: 3000,
      outcome: 'drop',
      mitigationSystem: 'dosd',
      attackId: 'scheduled-attack-1',
      attackVector: 'SYN Flood',
      destinationPort: 443,
    });
    const deps: Dependencies = buildDependencies(fx.config, memoryLogger().logger);
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowBundle: await workflowBundle(),
      activities: deps.activities,
    });
    const running = worker.run();
    try {
      await env.client.schedule.getHandle(MONITOR_SCHEDULE_ID).trigger();
      const stored = await eventually(
        () => {
          const n = (
            deps.database.sqlite.prepare('SELECT COUNT(*) AS n FROM network_analytics_events').get() as {
              n: number;
            }
          ).n;
          return n > 0 && fx.tg.messages.some((m) => m.plainText.includes('scheduled-attack-1')) ? n : undefined;
        },
        { what: 'monitor run' },
      );
      assert.equal(stored, 6, 'one row per minute of the attack');
      const description = await describeSchedule(MONITOR_SCHEDULE_ID);
      assert.equal(description.info.recentActions.length, 1);
      assert.match(description.info.recentActions[0]!.action.workflow.workflowId, /^analytics-monitor-/);
      assert.equal(fx.tg.messages.filter((m) => m.plainText.includes('scheduled-attack-1')).length, 1);
    } finally {
      worker.shutdown();
      await running;
      deps.close();
    }
  });
});
