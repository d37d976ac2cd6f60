// One N: start the world and the worker process, ramp, steady phase, attack phase, histories, restart; every step
// bounded by the N's time budget, and stopped early (with the reason) once the worker falls behind.
import Database from 'better-sqlite3';
import { toSqliteTimestamp } from '../../src/db/schema';
import { protectionWorkflowId, SUPERVISOR_WORKFLOW_ID } from '../../src/workflows/ids';
import { supervisorStatusQuery } from '../../src/workflows/messages';
import { cyclesOf, percentile, type Cycle } from './cycles';
import { runFacts, runsOf, type RunFacts } from './histories';
import { budgetFor, rampAllowanceMs, type ScaleOptions } from './options';
import { watchProcess, type ProcWatch } from './proc';
import { quantileBetween, scrape, total } from './prom';
import { startWorld, type World, type WorkerProc } from './world';

export interface PhaseFigures {
  seconds: number;
  /** Measurements per second over every prefix (worker metrics), and the share of the expected N / interval. */
  cyclesPerSecond: number;
  ofExpected: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /** Sampled cycles, and the grid points they jumped over. */
  sampledCycles: number;
  skipped: number;
  /** p99 of the lag's parts: timer fired late (server), workflow task, activity queue. */
  timerLateP99Ms: number;
  workflowTaskP99Ms: number;
  activityQueueP99Ms: number;
  cutOffReadings: number;
  attackReadings: number;
  workerRssMB: number;
  serverRssMB: number;
  workerCpuCores: number;
  serverCpuCores: number;
  rest: { list: number; get: number; patch: number; perSupervisorCycle: number; perCycle: number };
  graphqlPerCycle: number;
  supervisorCycles: number;
  eventsPerPrefixHour: number;
  supervisorEventsPerHour: number;
  wftScheduleToStartP99s: number;
  activityScheduleToStartP99s: number;
  cacheSize: number;
  cacheEvictions: number;
  cacheMisses: number;
  wftFailures: number;
  errorLines: number;
  warnLines: number;
}

export interface SizeResult {
  n: number;
  intervalMs: number;
  held: boolean;
  reasons: string[];
  diagnosis: string[];
  startupMs: number | null;
  rampMs: number | null;
  rampCpu: { worker: number; server: number } | null;
  steady: PhaseFigures | null;
  attack: (PhaseFigures & { withdrawn: number; cohort: number; delayP50Ms: number; delayMaxMs: number }) | null;
  runs: {
    continueAsNew: number;
    perPrefixHour: number;
    longestRunEvents: number | null;
    longestRunSeconds: number | null;
    openRunEventsMax: number;
    supervisorRuns: number;
    supervisorLongestRunEvents: number;
    supervisorInputKB: number;
  } | null;
  restart: {
    stopMs: number;
    startupMs: number | null;
    recovered50Ms: number | null;
    recovered90Ms: number | null;
    recoveredMs: number | null;
  } | null;
  problems: string[];
  dir: string | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const MB = 1_048_576;
const ATTACK_PPS = 2000;

class Aborted extends Error {}

export async function runSize(n: number, o: ScaleOptions, say: (line: string) => void): Promise<SizeResult> {
  const startedAt = Date.now();
  const deadline = startedAt + budgetFor(o, n);
  const cohort = o.attack ? Math.max(1, Math.round(n * o.attackFraction)) : 0;
  // Attacked cohort alone stays under the limit; with the surge the answer is cut off.
  const rowLimit = o.attack ? cohort + Math.max(1, Math.floor(cohort / 2)) : null;
  const result: SizeResult = {
    n,
    intervalMs: o.intervalMs,
    held: false,
    reasons: [],
    diagnosis: [],
    startupMs: null,
    rampMs: null,
    rampCpu: null,
    steady: null,
    attack: null,
    runs: null,
    restart: null,
    problems: [],
    dir: null,
  };
  const world = await startWorld({
    n,
    cohortSize: cohort,
    attackCalmPeriod: `${o.attackCalmMs}ms`,
    cloudflareRateLimits: o.cloudflareRateLimits,
    liftServerLimits: o.liftServerLimits,
    parentDir: o.parentDir,
    sqlitePragmas: o.sqlitePragmas,
    workerEnv: {
      CHECK_INTERVAL: `${o.intervalMs}ms`,
      ATTACK_LOOKBACK: `${o.lookbackMs}ms`,
      TELEMETRY_MAX_AGE: '3m',
      ...(rowLimit !== null ? { GRAPHQL_ROW_LIMIT: String(rowLimit) } : {}),
      ...o.tuning,
    },
  });
  if (o.keep) result.dir = world.dir;
  const db = () => new Database(world.databasePath, { readonly: true, fileMustExist: true });
  let worker: WorkerProc | null = null;
  let workerWatch: ProcWatch | null = null;
  const serverWatch = watchProcess(world.server.pid);
  const attackFlows = new Map<string, number>();
  try {
    const t = Date.now();
    for (const p of world.prefixes.filter((x) => x.role === 'attacked'))
      attackFlows.set(
        p.cidr,
        world.cf.traffic.addFlow({
          destination: p.cidr,
          startMs: t - 600_000,
          packetsPerSecond: ATTACK_PPS,
          outcome: 'drop',
        }),
      );

    // ---- start-up and ramp ----
    say(`N=${n}: world ready in ${((Date.now() - startedAt) / 1000).toFixed(1)}s; starting worker.ts`);
    worker = world.startWorker();
    workerWatch = watchProcess(worker.pid);
    result.startupMs = await untilSupervisorAnswers(world, worker, Math.min(deadline, Date.now() + 180_000));
    if (result.startupMs === null) throw new Aborted('start-up: the supervisor never answered (worker not polling)');
    say(`N=${n}: worker answering after ${(result.startupMs / 1000).toFixed(1)}s; ramping`);
    const rampStart = Date.now();
    const rampDeadline = Math.min(deadline - o.steadyMs, rampStart + rampAllowanceMs(n));
    workerWatch.mark();
    for (;;) {
      const measured = countRows(db);
      if (measured >= n) break;
      await checkWorker(worker);
      if (Date.now() > rampDeadline) {
        const started = await protectedCount(world);
        const seconds = (Date.now() - rampStart) / 1000;
        throw new Aborted(
          `ramp: ${Number.isNaN(started) ? 'the supervisor does not answer' : `${started}/${n} protections started`}, ${measured}/${n} prefixes measured after ${Math.round(seconds)}s (${(measured / seconds).toFixed(1)}/s, worker CPU ${workerWatch.cpuCores().toFixed(2)} cores, server ${serverWatch.cpuCores().toFixed(2)})`,
        );
      }
      await sleep(1000);
    }
    result.rampMs = Date.now() - rampStart;
    result.rampCpu = { worker: workerWatch.cpuCores(), server: serverWatch.cpuCores() };
    say(`N=${n}: all ${n} prefixes measured after ${(result.rampMs / 1000).toFixed(1)}s; steady phase`);
    await sleep(Math.max(5000, 2 * Math.min(o.intervalMs, 5000)));

    // ---- steady phase ----
    const steady = await phase(world, worker, workerWatch, serverWatch, db, o, n, o.steadyMs, deadline, null);
    result.steady = steady.figures;
    // A phase that broke is still read (its histories say how late it got); later phases are skipped.
    let broken = steady.aborted;

    // ---- attack phase ----
    let attackWindow: { from: number; to: number } | null = null;
    if (o.attack && broken === null) {
      const tA = Date.now();
      const surgeEnd = tA + o.surgeMs;
      const attackEnd = tA + Math.floor(o.surgeMs / 2);
      for (const p of world.prefixes) {
        if (p.role === 'surge')
          world.cf.traffic.addFlow({
            destination: p.cidr,
            startMs: tA,
            endMs: surgeEnd,
            packetsPerSecond: ATTACK_PPS,
            outcome: 'drop',
          });
        const id = attackFlows.get(p.cidr);
        if (id !== undefined) {
          // The same attack, now with an end: past samples stay as they were.
          world.cf.traffic.removeFlow(id);
          world.cf.traffic.addFlow({
            destination: p.cidr,
            startMs: t - 600_000,
            endMs: attackEnd,
            packetsPerSecond: ATTACK_PPS,
            outcome: 'drop',
          });
        }
      }
      // Calm accrues once the attack has left the lookback window; the surge alone stays under the row limit.
      const expectedWithdrawAt = attackEnd + o.lookbackMs + o.attackCalmMs;
      const attackedIds = new Set(world.prefixes.filter((p) => p.role === 'attacked').map((p) => p.bgpPrefixId));
      const withdrawals = (): number[] =>
        world.cf.stats
          .patches()
          .filter((e) => e.advertised === false && e.outcome === 'changed' && attackedIds.has(e.bgpPrefixId))
          .map((e) => e.atMs);
      say(
        `N=${n}: attack phase: surge on ${cohort} prefixes for ${o.surgeMs / 1000}s (row limit ${rowLimit}), ${cohort} attacked prefixes calm from ${(attackEnd - tA) / 1000}s, withdraws due from ~${Math.round((expectedWithdrawAt - tA) / 1000)}s`,
      );
      const phaseMs = Math.min(
        deadline - Date.now() - 60_000,
        expectedWithdrawAt - tA + Math.max(3 * o.intervalMs, 30_000),
      );
      const a = await phase(world, worker, workerWatch, serverWatch, db, o, n, phaseMs, deadline, () =>
        withdrawals().length >= cohort ? true : false,
      );
      attackWindow = { from: tA, to: tA + a.figures.seconds * 1000 };
      const delays = withdrawals().map((at) => at - expectedWithdrawAt);
      result.attack = {
        ...a.figures,
        withdrawn: delays.length,
        cohort,
        delayP50Ms: percentile(delays, 0.5),
        delayMaxMs: delays.length ? Math.max(...delays) : NaN,
      };
      broken = a.aborted;
      if (delays.length < cohort) result.reasons.push(`attack: only ${delays.length}/${cohort} withdrawn in time`);
    }

    // ---- histories of the sample, runs and continue-as-new ----
    const steadyWindow = { from: steady.from, to: steady.to };
    await readHistories(world, o, n, result, steadyWindow, attackWindow, say);
    if (broken !== null) throw new Aborted(broken);

    // ---- restart ----
    if (o.restart && Date.now() < deadline - 30_000) {
      const stopAt = Date.now();
      await worker.stop('SIGTERM');
      const stopMs = Date.now() - stopAt;
      workerWatch.stop();
      const restartAt = Date.now();
      worker = world.startWorker();
      workerWatch = watchProcess(worker.pid);
      const up = await untilSupervisorAnswers(world, worker, Math.min(deadline, restartAt + 180_000));
      // When half, 90 % and 99 % of the advertised prefixes had been measured again (the tail shows stuck workflows).
      const marks: Record<'p50' | 'p90' | 'p99', number | null> = { p50: null, p90: null, p99: null };
      const since = toSqliteTimestamp(restartAt + 1000);
      while (up !== null && Date.now() < Math.min(deadline, restartAt + 300_000)) {
        const { advertised, fresh } = freshSince(db, since);
        for (const [k, share] of [
          ['p50', 0.5],
          ['p90', 0.9],
          ['p99', 0.99],
        ] as const)
          if (marks[k] === null && fresh >= advertised * share) marks[k] = Date.now() - restartAt;
        if (marks.p99 !== null) break;
        await sleep(500);
      }
      result.restart = {
        stopMs,
        startupMs: up,
        recovered50Ms: marks.p50,
        recovered90Ms: marks.p90,
        recoveredMs: marks.p99,
      };
      const s1 = (v: number | null) => (v === null ? '—' : `${(v / 1000).toFixed(1)}s`);
      say(
        `N=${n}: restart: stopped in ${s1(stopMs)}, answering after ${s1(up)}, measured again: 50% after ${s1(marks.p50)}, 90% ${s1(marks.p90)}, 99% ${s1(marks.p99)}`,
      );
    }
  } catch (err) {
    if (err instanceof Aborted) result.reasons.push(err.message);
    else result.reasons.push(`bench error: ${(err as Error).message}`);
  } finally {
    if (worker) {
      result.problems = worker.problems().samples;
      await worker.stop('SIGTERM');
    }
    workerWatch?.stop();
    serverWatch.stop();
    if (o.keep) say(`N=${n}: kept ${world.dir}`);
    await (o.keep ? keepWorld(world) : world.close());
  }
  judge(result, o);
  return result;
}

/** --keep: stop the processes but leave the directory. */
async function keepWorld(world: World): Promise<void> {
  await world.server.stop();
  await world.cf.close();
  await world.tg.close();
}

async function untilSupervisorAnswers(world: World, worker: WorkerProc, until: number): Promise<number | null> {
  const handle = world.client.workflow.getHandle(SUPERVISOR_WORKFLOW_ID);
  while (Date.now() < until) {
    await checkWorker(worker);
    try {
      await handle.query(supervisorStatusQuery);
      return Date.now() - worker.startedAtMs;
    } catch {
      await sleep(250);
    }
  }
  return null;
}

/** The supervisor's status, or null when it does not answer within 10 s (a busy or failing workflow task). */
async function supervisorStatus(world: World): Promise<{ protected: string[]; cycles: number } | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      world.client.workflow.getHandle(SUPERVISOR_WORKFLOW_ID).query(supervisorStatusQuery),
      new Promise<null>((r) => (timer = setTimeout(() => r(null), 10_000))),
    ]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

async function protectedCount(world: World): Promise<number> {
  return (await supervisorStatus(world))?.protected.length ?? NaN;
}

async function supervisorCycles(world: World): Promise<number> {
  return (await supervisorStatus(world))?.cycles ?? NaN;
}

async function checkWorker(worker: WorkerProc): Promise<void> {
  const code = worker.proc.exitCode ?? (worker.proc.signalCode ? `signal ${worker.proc.signalCode}` : null);
  if (code !== null) throw new Aborted(`worker exited (${code}): ${worker.problems().samples.slice(-2).join(' | ')}`);
  await Promise.resolve();
}

function countRows(db: () => Database.Database): number {
  try {
    const d = db();
    try {
      return (d.prepare('SELECT COUNT(*) AS n FROM prefix_calm_status').get() as { n: number }).n;
    } finally {
      d.close();
    }
  } catch {
    return 0; // not created yet
  }
}

/** Advertised prefixes, those not measured since `before`, and those measured since `since`. */
function freshSince(db: () => Database.Database, since: string): { advertised: number; fresh: number } {
  const d = db();
  try {
    const r = d
      .prepare(
        'SELECT COUNT(*) AS advertised, SUM(CASE WHEN last_updated >= ? THEN 1 ELSE 0 END) AS fresh FROM prefix_calm_status WHERE advertised = 1',
      )
      .get(since) as { advertised: number; fresh: number | null };
    return { advertised: r.advertised, fresh: r.fresh ?? 0 };
  } finally {
    d.close();
  }
}

interface PhaseOutcome {
  figures: PhaseFigures;
  from: number;
  to: number;
  aborted: string | null;
}

/** Runs one measured phase of up to ms (or until done() says so), watching for the worker falling behind. */
async function phase(
  world: World,
  worker: WorkerProc,
  workerWatch: ProcWatch,
  serverWatch: ProcWatch,
  db: () => Database.Database,
  o: ScaleOptions,
  n: number,
  ms: number,
  deadline: number,
  done: (() => boolean) | null,
): Promise<PhaseOutcome> {
  // Long intervals come in bursts at the grid points: a window of whole intervals starting half-way between two
  // bursts counts each burst completely, or not at all.
  const aligned = o.intervalMs >= 10_000 && done === null;
  if (aligned) {
    const next = Math.ceil(Date.now() / o.intervalMs) * o.intervalMs + o.intervalMs / 2;
    await sleep(next - o.intervalMs >= Date.now() ? next - o.intervalMs - Date.now() : next - Date.now());
  }
  const s0 = await scrape(world.metricsUrl);
  const from = Date.now();
  const sup0 = await supervisorCycles(world);
  const logs0 = worker.problems();
  world.cf.stats.reset();
  workerWatch.mark();
  serverWatch.mark();
  let aborted: string | null = null;
  const staleAfterMs = Math.max(3 * o.intervalMs, 10_000);
  let behind = 0;
  const until = Math.min(from + (aligned ? Math.ceil(ms / o.intervalMs) * o.intervalMs : ms), deadline - 30_000);
  while (Date.now() < until) {
    await sleep(Math.min(5000, until - Date.now()));
    try {
      await checkWorker(worker);
    } catch (err) {
      aborted = (err as Error).message;
      break;
    }
    if (Date.now() - from > staleAfterMs) {
      const { advertised, fresh } = freshSince(db, toSqliteTimestamp(Date.now() - staleAfterMs));
      const stale = advertised - fresh;
      behind = stale > Math.max(1, 0.05 * n) ? behind + 1 : 0;
      if (behind >= 2) {
        aborted = `falling behind: ${stale}/${advertised} prefixes not measured for ${staleAfterMs / 1000}s (after ${Math.round((Date.now() - from) / 1000)}s)`;
        break;
      }
    }
    if (workerWatch.lastRssBytes() > 16 * 1024 * MB) {
      aborted = `worker RSS above 16 GiB (${Math.round(workerWatch.lastRssBytes() / MB)} MB)`;
      break;
    }
    if (done?.()) break;
  }
  const to = Date.now();
  const stats = world.cf.stats.snapshot().byRoute;
  const sup1 = await supervisorCycles(world);
  const s1 = await scrape(world.metricsUrl);
  const logs1 = worker.problems();
  const seconds = (to - from) / 1000;
  const gridCycles = (to - from) / o.intervalMs;
  const measured =
    total(s1, 'temporal_activity_execution_latency_seconds_count', { activity_type: 'measureDroppedTraffic' }) -
    total(s0, 'temporal_activity_execution_latency_seconds_count', { activity_type: 'measureDroppedTraffic' });
  const delta = (name: string): number => total(s1, name) - total(s0, name);
  const list = stats.listBgpPrefixes ?? 0;
  const get = stats.getBgpPrefix ?? 0;
  const patch = stats.patchBgpPrefix ?? 0;
  const supCycles = sup1 - sup0;
  const figures: PhaseFigures = {
    seconds,
    cyclesPerSecond: measured / seconds,
    ofExpected: measured / (n * gridCycles),
    lagP50Ms: NaN,
    lagP99Ms: NaN,
    lagMaxMs: NaN,
    sampledCycles: 0,
    skipped: 0,
    timerLateP99Ms: NaN,
    workflowTaskP99Ms: NaN,
    activityQueueP99Ms: NaN,
    cutOffReadings: 0,
    attackReadings: 0,
    workerRssMB: workerWatch.maxRssBytes() / MB,
    serverRssMB: serverWatch.maxRssBytes() / MB,
    workerCpuCores: workerWatch.cpuCores(),
    serverCpuCores: serverWatch.cpuCores(),
    rest: {
      list,
      get,
      patch,
      perSupervisorCycle: (list + get + patch) / Math.max(1, supCycles),
      perCycle: (list + get + patch) / gridCycles,
    },
    graphqlPerCycle: (stats.graphql ?? 0) / gridCycles,
    supervisorCycles: supCycles,
    eventsPerPrefixHour: NaN,
    supervisorEventsPerHour: NaN,
    wftScheduleToStartP99s: quantileBetween(s0, s1, 'temporal_workflow_task_schedule_to_start_latency_seconds', 0.99),
    activityScheduleToStartP99s: quantileBetween(s0, s1, 'temporal_activity_schedule_to_start_latency_seconds', 0.99),
    cacheSize: total(s1, 'temporal_sticky_cache_size'),
    cacheEvictions: delta('temporal_sticky_cache_total_forced_eviction_total'),
    cacheMisses: delta('temporal_sticky_cache_miss_total'),
    wftFailures: delta('temporal_workflow_task_execution_failed_total'),
    errorLines: logs1.error - logs0.error,
    warnLines: logs1.warn - logs0.warn,
  };
  return { figures, from, to, aborted };
}

/** Lag, skipped cycles and events from the sampled prefixes' histories; runs and continue-as-new from the server. */
async function readHistories(
  world: World,
  o: ScaleOptions,
  n: number,
  result: SizeResult,
  steady: { from: number; to: number },
  attack: { from: number; to: number } | null,
  say: (line: string) => void,
): Promise<void> {
  const readStart = Date.now();
  const k = Math.min(n, o.sample);
  const sample = Array.from({ length: k }, (_, i) => world.prefixes[Math.floor((i * n) / k)]!);
  const until = attack?.to ?? steady.to;
  const runs: RunFacts[] = [];
  const cycles: Cycle[] = [];
  const queue = [...sample];
  const reader = async (): Promise<void> => {
    for (let p = queue.shift(); p; p = queue.shift()) {
      const readAt = Date.now();
      const facts = await runFacts(world.client, protectionWorkflowId(p.cidr), steady.from, until);
      for (const r of facts) {
        runs.push(r);
        cycles.push(...cyclesOf(r, o.intervalMs, readAt, r.closeMs === null));
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, reader));
  const within = (w: { from: number; to: number }) => cycles.filter((c) => c.dueAtMs >= w.from && c.dueAtMs < w.to);
  const fill = (f: PhaseFigures | null, w: { from: number; to: number } | null): void => {
    if (!f || !w) return;
    const cs = within(w);
    const lags = cs.map((c) => c.lagMs);
    f.sampledCycles = cs.length;
    f.skipped = cs.reduce((a, c) => a + c.skipped, 0);
    f.lagP50Ms = percentile(lags, 0.5);
    f.lagP99Ms = percentile(lags, 0.99);
    f.lagMaxMs = lags.length ? Math.max(...lags) : NaN;
    f.timerLateP99Ms = percentile(
      cs.flatMap((c) => (c.timerLateMs === null ? [] : [c.timerLateMs])),
      0.99,
    );
    f.workflowTaskP99Ms = percentile(
      cs.flatMap((c) => (c.workflowTaskMs === null ? [] : [c.workflowTaskMs])),
      0.99,
    );
    f.activityQueueP99Ms = percentile(
      cs.flatMap((c) => (c.activityQueueMs === null ? [] : [c.activityQueueMs])),
      0.99,
    );
    f.cutOffReadings = cs.filter((c) => c.cutOff).length;
    f.attackReadings = cs.filter((c) => c.dropped).length;
    const events = runs.reduce((a, r) => a + r.eventTimesMs.filter((t) => t >= w.from && t < w.to).length, 0);
    f.eventsPerPrefixHour = events / k / ((w.to - w.from) / 3_600_000);
  };
  fill(result.steady, steady);
  fill(result.attack, attack);

  const supervisor = await runFacts(world.client, SUPERVISOR_WORKFLOW_ID, 0, Infinity);
  const supEvents = (w: { from: number; to: number }) =>
    supervisor.reduce((a, r) => a + r.eventTimesMs.filter((t) => t >= w.from && t < w.to).length, 0) /
    ((w.to - w.from) / 3_600_000);
  if (result.steady) result.steady.supervisorEventsPerHour = supEvents(steady);
  if (result.attack && attack) result.attack.supervisorEventsPerHour = supEvents(attack);

  const canCount = await world.client.workflow
    .count(`WorkflowType = 'PrefixProtection' AND ExecutionStatus = 'ContinuedAsNew'`)
    .then((c) => c.count)
    .catch(() => NaN);
  const protectedHours = (n * (until - (steady.from - (result.rampMs ?? 0)))) / 3_600_000;
  const ended = runs.filter((r) => r.status === 'CONTINUED_AS_NEW' && r.closeMs !== null);
  const supRuns = await runsOf(world.client, SUPERVISOR_WORKFLOW_ID);
  result.runs = {
    continueAsNew: canCount,
    perPrefixHour: canCount / protectedHours,
    longestRunEvents: ended.length ? Math.max(...ended.map((r) => r.historyLength)) : null,
    longestRunSeconds: ended.length ? Math.max(...ended.map((r) => (r.closeMs! - r.startMs) / 1000)) : null,
    openRunEventsMax: Math.max(0, ...runs.filter((r) => r.closeMs === null).map((r) => r.historyLength)),
    supervisorRuns: supRuns.length,
    supervisorLongestRunEvents: Math.max(0, ...supervisor.map((r) => r.historyLength)),
    supervisorInputKB: Math.max(0, ...supervisor.map((r) => r.inputBytes)) / 1024,
  };
  const wftFailures = runs.reduce((a, r) => a + r.workflowTaskFailures, 0);
  const measureFailures = runs.reduce((a, r) => a + r.measureFailures, 0);
  if (wftFailures) result.reasons.push(`${wftFailures} failed/timed-out workflow tasks in the sampled histories`);
  if (measureFailures) result.reasons.push(`${measureFailures} failed/timed-out measurements in the sampled histories`);
  say(`N=${n}: read ${runs.length} runs of ${k} sampled prefixes in ${((Date.now() - readStart) / 1000).toFixed(1)}s`);
}

/** Held or broke, and the likeliest why, from the figures. */
function judge(r: SizeResult, o: ScaleOptions): void {
  const s = r.steady;
  if (s) {
    if (!(s.ofExpected >= 0.95)) r.reasons.push(`only ${(100 * s.ofExpected).toFixed(0)}% of the expected cycles`);
    if (!(s.lagP99Ms < o.lagLimitMs)) r.reasons.push(`p99 lag ${Math.round(s.lagP99Ms)} ms ≥ ${o.lagLimitMs} ms`);
    if (s.skipped > 0) r.reasons.push(`${s.skipped} skipped cycles in the sample`);
    if (s.errorLines > 0) r.reasons.push(`${s.errorLines} error log lines`);
    if (s.wftFailures > 0) r.reasons.push(`${s.wftFailures} failed workflow tasks`);
    const parts: Array<[string, number]> = [
      ['server timers fire late', s.timerLateP99Ms],
      ['workflow tasks wait for the worker', s.workflowTaskP99Ms],
      ['activities wait for a slot', s.activityQueueP99Ms],
    ];
    const worst = parts.filter((p) => Number.isFinite(p[1])).sort((a, b) => b[1] - a[1])[0];
    if (worst && worst[1] > o.lagLimitMs / 4)
      r.diagnosis.push(`largest part of the lag: ${worst[0]} (p99 ${Math.round(worst[1])} ms)`);
    if (s.workerCpuCores > 0.85)
      r.diagnosis.push(`worker CPU ${s.workerCpuCores.toFixed(2)} cores (its main thread saturates near 1)`);
    if (s.serverCpuCores > 0.85) r.diagnosis.push(`dev server CPU ${s.serverCpuCores.toFixed(2)} cores`);
    if (s.cacheEvictions > 0 || s.cacheMisses > 0)
      r.diagnosis.push(`workflow cache: ${s.cacheEvictions} evictions, ${s.cacheMisses} misses (full replays)`);
    if (s.wftScheduleToStartP99s > 1)
      r.diagnosis.push(`workflow task backlog: schedule-to-start p99 ≤ ${s.wftScheduleToStartP99s}s`);
    if (s.activityScheduleToStartP99s > 1)
      r.diagnosis.push(`activity backlog: schedule-to-start p99 ≤ ${s.activityScheduleToStartP99s}s`);
  } else if (r.reasons.length === 0) r.reasons.push('no steady phase');
  if (r.runs && r.runs.supervisorInputKB > 512)
    r.diagnosis.push(
      `supervisor carries ${Math.round(r.runs.supervisorInputKB)} KB into continue-as-new (payload limit 2 MB)`,
    );
  r.held = r.reasons.length === 0;
}
