// The supervisor on the time-skipping server: one protection per advertised prefix, one list call per parent
// prefix per cycle, and one shared GraphQL query per cycle however many prefixes are protected. With its caps
// lowered (starts per run, starts and signals in flight, snapshot page size) it works the way it does for 10,000+
// prefixes: paged reads, bounded batches, continue-as-new in the middle of a reconcile, state carried exactly.
import assert from 'node:assert/strict';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { ensureSupervisor } from '../../src/runtime/temporal';
import { protectionWorkflowId, SUPERVISOR_WORKFLOW_ID } from '../../src/workflows/ids';
import { statusQuery, supervisorStatusQuery } from '../../src/workflows/messages';
import type { ProtectionSupervisor } from '../../src/workflows/supervisor';
import type { SupervisorInput, SupervisorState } from '../../src/workflows/types';
import type { TestPrefix } from '../helpers/fixture';
import { workflowBundle } from '../helpers/temporal';
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

    // After the first, every reconcile is read half-way between two cycles of the prefixes (one cohort: +30 s).
    const history = await env.client.workflow.getHandle(SUPERVISOR_WORKFLOW_ID).fetchHistory();
    const reads = (history.events ?? []).filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'readPrefixStatePage',
    );
    assert.ok(reads.length >= 9, `${reads.length} reconciles`);
    for (const e of reads.slice(1)) {
      const atMs = Number(e.eventTime!.seconds) * 1000 + Math.floor(e.eventTime!.nanos! / 1e6);
      assert.ok(Math.abs((atMs % MIN) - 30_000) < 2_000, `reconcile at +${atMs % MIN} ms in the minute`);
    }
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

const E = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Every run of the supervisor, oldest first (followed back through continuedExecutionRunId). */
async function supervisorRuns(client: Client): Promise<Array<{ runId: string; events: HistoryEvent[] }>> {
  const runs: Array<{ runId: string; events: HistoryEvent[] }> = [];
  let runId: string | undefined = (await client.workflow.getHandle(SUPERVISOR_WORKFLOW_ID).describe()).runId;
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await client.workflow
      .getHandle(SUPERVISOR_WORKFLOW_ID, runId)
      .fetchHistory();
    const events: HistoryEvent[] = history.events ?? [];
    runs.unshift({ runId, events });
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return runs;
}

function decoded<T>(payloads: temporal.api.common.v1.IPayloads | null | undefined): T {
  return JSON.parse(Buffer.from(payloads!.payloads![0]!.data!).toString('utf8')) as T;
}

/** Starts and signals initiated and not yet answered, at most, over one run's history. */
function mostInFlight(events: HistoryEvent[]): number {
  let now = 0;
  let most = 0;
  for (const e of events) {
    const t = e.eventType;
    if (t === E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED) now++;
    if (t === E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED) now++;
    if (t === E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED) now--;
    if (t === E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED) now--;
    if (t === E.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED) now--;
    if (t === E.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED) now--;
    most = Math.max(most, now);
  }
  return most;
}

describe('ProtectionSupervisor with lowered caps (time-skipping server): how it scales past 2,000 prefixes', function () {
  this.timeout(180_000);
  const PARENTS = ['pa', 'pb', 'pc'];
  // 12 advertised and 2 not, under 3 parents: 4 pages of 4 prefixes.
  const PREFIXES: TestPrefix[] = Array.from({ length: 14 }, (_, i) => ({
    cidr: `192.0.${i}.0/24`,
    description: `customer ${i}`,
    parentPrefixId: PARENTS[i % 3]!,
    bgpPrefixId: `s${i}`,
    advertised: i !== 4 && i !== 9,
  }));
  const ADVERTISED_CIDRS = PREFIXES.filter((p) => p.advertised)
    .map((p) => p.cidr)
    .sort();
  const LIMITS: SupervisorInput = {
    maxChildStartsPerRun: 5,
    maxInFlight: 2,
    snapshotPageSize: 4,
    maxHistoryEvents: 200,
  };
  const sys = useTimeSkippingSystem({
    taskQueue: 'supervisor-caps',
    prefixes: PREFIXES,
    advertisedAgoMs: 3_600_000,
    terminateAtEnd: [SUPERVISOR_WORKFLOW_ID],
  });

  it('protects every advertised prefix exactly once across runs, paged, in bounded batches, state carried exactly', async () => {
    const { env, fx, taskQueue } = sys();
    await env.client.workflow.start<typeof ProtectionSupervisor>('ProtectionSupervisor', {
      workflowId: SUPERVISOR_WORKFLOW_ID,
      taskQueue,
      args: [LIMITS],
    });
    await env.sleep(8 * MIN);
    const sup = await env.client.workflow.getHandle(SUPERVISOR_WORKFLOW_ID).query(supervisorStatusQuery);
    assert.deepEqual(sup.protected, ADVERTISED_CIDRS);
    assert.equal(sup.lastError, null);
    assert.equal(sup.reconcile, null, 'between two reconciles');
    for (const cidr of ADVERTISED_CIDRS) {
      const st = await env.client.workflow.getHandle(protectionWorkflowId(cidr)).query(statusQuery);
      assert.equal(st.phase, 'protecting', cidr);
    }

    const runs = await supervisorRuns(env.client);
    assert.equal(runs.length, sup.runs);
    // 12 starts at 5 per run: the first reconcile alone needs three runs; the history cap adds more later.
    assert.ok(runs.length >= 4, `${runs.length} runs`);
    const startsPerRun = runs.map(
      (r) => r.events.filter((e) => e.eventType === E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED).length,
    );
    assert.ok(
      startsPerRun.every((n) => n <= LIMITS.maxChildStartsPerRun!),
      `starts per run ${startsPerRun.join(',')}`,
    );
    assert.deepEqual(startsPerRun.slice(0, 3), [5, 5, 2], 'the first reconcile, cut by the start cap twice');
    const inFlight = runs.map((r) => mostInFlight(r.events));
    assert.ok(
      inFlight.every((n) => n <= LIMITS.maxInFlight!),
      `most in flight per run ${inFlight.join(',')}`,
    );
    assert.equal(Math.max(...inFlight), LIMITS.maxInFlight, 'the batches are used in full');

    // Each child started once in all the runs, and never a second start attempt after that.
    const started = runs.flatMap((r) =>
      r.events.flatMap((e) =>
        e.eventType === E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED
          ? [e.childWorkflowExecutionStartedEventAttributes!.workflowExecution!.workflowId!]
          : [],
      ),
    );
    assert.deepEqual(started.sort(), ADVERTISED_CIDRS.map((c) => protectionWorkflowId(c)).sort());
    const attempts = runs.flatMap((r) =>
      r.events.filter((e) => e.eventType === E.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED),
    );
    assert.equal(attempts.length, ADVERTISED_CIDRS.length, 'no start attempt for a prefix already protected');

    // Continue-as-new carried the children exactly (compact: CIDR → digest), and any reconcile cut in the middle.
    const carried = runs.slice(0, -1).map((r) => {
      const last = r.events.at(-1)!;
      assert.equal(last.eventType, E.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
      const input = decoded<SupervisorInput>(last.workflowExecutionContinuedAsNewEventAttributes!.input);
      assert.equal(input.maxChildStartsPerRun, LIMITS.maxChildStartsPerRun, 'the caps travel too');
      return input.carried as SupervisorState;
    });
    const startedBefore = (i: number) =>
      runs
        .slice(0, i + 1)
        .flatMap((r) => r.events)
        .filter((e) => e.eventType === E.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED).length;
    carried.forEach((c, i) => {
      assert.equal(Object.keys(c.children).length, startedBefore(i), `run ${i + 1} carried every child it knew`);
      assert.ok(Object.values(c.children).every((d) => typeof d === 'string' && d.length === 8));
    });
    assert.deepEqual(
      carried.slice(0, 2).map((c) => c.reconcile && [c.reconcile.cycle, c.reconcile.page]),
      [
        [1, 1],
        [1, 2],
      ],
      'the first reconcile resumed in the next run at the page the start cap cut',
    );

    // Pages: every reconcile read pages 0..3 (a page cut by the start cap once more, in the next run), and no
    // answer grows with the fleet.
    const reads = runs.flatMap((r) =>
      r.events.flatMap((e, i) => {
        if (e.activityTaskScheduledEventAttributes?.activityType?.name !== 'readPrefixStatePage') return [];
        const req = decoded<{ reconcileId: string; page: number; pageSize: number }>(
          e.activityTaskScheduledEventAttributes.input,
        );
        const done = r.events
          .slice(i)
          .find((x) => x.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === e.eventId?.toString());
        const result = done?.activityTaskCompletedEventAttributes?.result;
        return [
          {
            ...req,
            pages: result ? decoded<{ pages: number }>(result).pages : null,
            bytes: result?.payloads?.[0]?.data?.length ?? 0,
          },
        ];
      }),
    );
    const byReconcile = new Map<string, Set<number>>();
    for (const r of reads) byReconcile.set(r.reconcileId, (byReconcile.get(r.reconcileId) ?? new Set()).add(r.page));
    for (const pages of byReconcile.values()) assert.deepEqual([...pages].sort(), [0, 1, 2, 3]);
    assert.ok(reads.every((r) => r.pages === 4 && r.pageSize === 4));
    assert.ok(
      reads.every((r) => r.bytes < 4 * 250),
      `largest page answer ${Math.max(...reads.map((r) => r.bytes))} bytes`,
    );
    assert.equal(byReconcile.size, sup.cycles);

    // REST: still one list per parent prefix per reconcile, however many pages and runs it took.
    assert.equal(fx.cf.stats.requests('listBgpPrefixes'), sup.cycles * PARENTS.length);
    assert.equal(fx.cf.stats.requests('getBgpPrefix'), 0);

    // And every run replays with today's code (the bounded batches are deterministic).
    for (const r of runs)
      await Worker.runReplayHistory(
        { workflowBundle: await workflowBundle() },
        temporal.api.history.v1.History.create({ events: r.events }),
        SUPERVISOR_WORKFLOW_ID,
      );
  });
});
