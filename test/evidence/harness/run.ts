// Runs the evidence scenario once on real parts: the temporal CLI dev server (SQLite), worker.ts and the webhook
// receiver as processes, loopback Cloudflare and Telegram, a SQLite records file; chaos is plugged in by the caller.
// Every history the run produced is replayed with the current workflow code before teardown.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../../src/runtime/free-port';
import type { FlowSpec, GraphqlLogEntry } from '../../../src/simulators/cloudflare';
import { protectionWorkflowId } from '../../../src/workflows/ids';
import { statusQuery } from '../../../src/workflows/messages';
import type { ProtectionStatus } from '../../../src/workflows/types';
import { startFixture, type Fixture, type TestPrefix } from '../../helpers/fixture';
import { captureOutcome, describeMessage, type CapturedOutcome } from './outcome';
import { createWorkerPool, startReceiverProcess, type ReceiverProcess, type WorkerPool } from './processes';
import { startRestartableServer, type RestartableServer } from './dev-server';
import { replayEveryHistory } from './replay';
import { A, ATTACK, B, C, E, PREFIXES, SCENARIO_ENV, TEMPORAL_API_KEY, TIMELINE, WEBHOOK_SECRET } from './scenario';

export interface ChaosContext {
  t0: number;
  fx: Fixture;
  workers: WorkerPool;
  server: RestartableServer;
  /** Status of a prefix's workflow; null while it cannot be asked (server down, no worker). */
  status: (p: TestPrefix) => Promise<ProtectionStatus | null>;
  /** A line for the run's log (kills, restarts, what chaos saw). */
  note: (line: string) => void;
  /** True once the run has seen every outcome it waits for (chaos may stop early). */
  finished: () => boolean;
}

export interface RunOptions {
  name: string;
  /** Extra settings for the worker and the receiver. */
  env?: Record<string, string>;
  /** Analytics API dark (every GraphQL query fails) over [T0 + fromMs, T0 + fromMs + forMs). */
  dark?: { fromMs: number; forMs: number };
  /** Runs from T0 beside the scenario; the run waits for it before capturing. */
  chaos?: (ctx: ChaosContext) => Promise<void>;
  /** Before teardown, with everything still running (the secrets test exports histories and runs mtctl here). */
  inspect?: (ctx: InspectContext) => Promise<void>;
  timeoutMs?: number;
}

export interface InspectContext {
  fx: Fixture;
  client: Client;
  server: RestartableServer;
  env: Record<string, string>;
}

export interface Attack {
  cidr: string;
  startMs: number;
  endMs: number | null;
}

export interface RunResult extends CapturedOutcome {
  name: string;
  t0: number;
  /** Every attack's actual bounds (C's second end is set during the run). */
  attacks: Attack[];
  dark: { fromMs: number; untilMs: number } | null;
  /** From the first process start to the capture. */
  durationMs: number;
  /** From T0 to the capture. */
  scenarioMs: number;
  workerStarts: number;
  kills: number;
  serverStarts: number;
  notes: string[];
  workerOutput: string;
  receiverOutput: string;
  env: Record<string, string>;
  /** How each workflow ended (A and C: cooldown_elapsed), or its phase when still running. */
  endings: Record<string, string>;
  /** Every analytics query the simulator answered or refused. */
  graphqlLog: GraphqlLogEntry[];
  /** Workflow histories replayed with today's code at the end of the run (none may fail). */
  historiesReplayed: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const FIXTURES = resolve(__dirname, '..', '..', 'fixtures', 'webhooks');
/** After the last expected outcome: time for a duplicate PATCH, row or message to show itself. */
const SETTLE_MS = 3_000;

export async function runScenario(opts: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), `mtaw-evidence-${opts.name}-`));
  const notes: string[] = [];
  const note = (line: string) => notes.push(`+${((Date.now() - started) / 1000).toFixed(1)}s ${line}`);
  let server: RestartableServer | null = null;
  let fx: Fixture | null = null;
  let workers: WorkerPool | null = null;
  let receiver: ReceiverProcess | null = null;
  let connection: Connection | null = null;
  try {
    server = await startRestartableServer(dir);
    const webhookPort = await freePort();
    fx = await startFixture({
      prefixes: PREFIXES.map((p) => ({ ...p, advertisedModifiedAtMs: Date.now() - 7_200_000 })),
      cloudflare: { sampleIntervalMs: 1000 },
      env: {
        ...SCENARIO_ENV,
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_NAMESPACE: 'default',
        TEMPORAL_API_KEY,
        TEMPORAL_TLS: 'false',
        TEMPORAL_TASK_QUEUE: `evidence-${opts.name}`,
        WEBHOOK_SECRET,
        WEBHOOK_HOST: '127.0.0.1',
        WEBHOOK_PORT: String(webhookPort),
        ...opts.env,
      },
    });
    const sim = fx.cf;
    const setupAt = Date.now();
    for (const p of PREFIXES)
      sim.traffic.addBackground(p.cidr, { startMs: setupAt - 3_600_000, packetsPerSecond: 300 });
    const attackSpec = (p: TestPrefix, startMs: number, endMs?: number): FlowSpec => ({
      destination: p.cidr,
      spread: 16,
      startMs,
      ...(endMs !== undefined ? { endMs } : {}),
      ...ATTACK,
      mitigationSystem: 'dosd',
    });
    const flows = new Map<string, number>();
    const attacks: Attack[] = [];
    for (const p of PREFIXES) {
      flows.set(p.cidr, sim.traffic.addFlow(attackSpec(p, setupAt - 60_000)));
      attacks.push({ cidr: p.cidr, startMs: setupAt - 60_000, endMs: null });
    }
    /** Ends an open attack at endMs: same samples before it, none after (one synchronous swap). */
    const endAttack = (key: string, p: TestPrefix, attack: Attack, endMs: number) => {
      sim.traffic.removeFlow(flows.get(key)!);
      flows.set(key, sim.traffic.addFlow(attackSpec(p, attack.startMs, endMs)));
      attack.endMs = endMs;
    };

    workers = createWorkerPool(fx.env);
    workers.start();
    // Both migrate the records file at start (one IMMEDIATE transaction each): they may start together.
    [receiver] = await Promise.all([startReceiverProcess(fx.env), workers.ready()]);
    note('worker 1 and webhook receiver ready');

    connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: 'default' });
    const status = async (p: TestPrefix): Promise<ProtectionStatus | null> => {
      try {
        return await client.workflow.getHandle(protectionWorkflowId(p.cidr)).query(statusQuery);
      } catch {
        return null;
      }
    };
    const deadline = Date.now() + (opts.timeoutMs ?? 300_000);
    const failWith = async (what: string): Promise<never> => {
      const states = await Promise.all(PREFIXES.map(async (p) => [p.cidr, await status(p)] as const));
      throw new Error(
        `${opts.name}: ${what}\nnotes:\n${notes.join('\n')}\nstates:\n${states
          .map(([c, s]) => `${c}: ${s ? `${s.phase} ${s.state} calm=${s.calmAccumulatedMs}` : 'unavailable'}`)
          .join('\n')}\npatches: ${JSON.stringify(sim.stats.patches())}\nmessages: ${fx!.tg.messages
          .map(describeMessage)
          .join(', ')}\nworker output (tail):\n${workers!.output().slice(-4000)}`,
      );
    };

    // Every prefix must be seen under attack before the timeline starts.
    for (;;) {
      const states = await Promise.all(PREFIXES.map(status));
      if (states.every((s) => s?.underAttack === true)) break;
      if (Date.now() > deadline) await failWith('prefixes never all seen under attack');
      await sleep(200);
    }
    const t0 = Math.ceil(Date.now() / 1000) * 1000;
    const at = (p: TestPrefix) => attacks.find((x) => x.cidr === p.cidr && x.endMs === null)!;
    endAttack(A.cidr, A, at(A), t0 + TIMELINE.aEndMs);
    endAttack(B.cidr, B, at(B), t0 + TIMELINE.bEndMs);
    endAttack(C.cidr, C, at(C), t0 + TIMELINE.cFirstEndMs);
    const cSecond: Attack = { cidr: C.cidr, startMs: t0 + TIMELINE.cSecondStartMs, endMs: null };
    attacks.push(cSecond);
    flows.set('C2', sim.traffic.addFlow(attackSpec(C, cSecond.startMs)));
    const dark = opts.dark ? { fromMs: t0 + opts.dark.fromMs, untilMs: t0 + opts.dark.fromMs + opts.dark.forMs } : null;
    if (dark) sim.traffic.addDarkPeriod(dark);
    note(`T0 (worker ${workers.starts()})`);

    // The START webhook now, the END one when A's attack ends (the receiver stores both as attack events).
    const webhook = async (file: string) => {
      const res = await fetch(receiver!.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'cf-webhook-auth': WEBHOOK_SECRET },
        body: readFileSync(join(FIXTURES, file), 'utf8'),
      });
      if (res.status !== 200) throw new Error(`webhook ${file}: HTTP ${res.status} ${await res.text()}`);
    };
    await webhook('official-advanced_ddos_attack_l4_alert-start.json');
    let endWebhookSent = false;

    let outcomesSeen = false;
    const chaosCtx: ChaosContext = {
      t0,
      fx,
      workers,
      server,
      status,
      note,
      finished: () => outcomesSeen,
    };
    const chaosFailure: { error: Error | null } = { error: null };
    let chaosDone = !opts.chaos;
    const chaos = opts.chaos
      ? opts
          .chaos(chaosCtx)
          .catch((err: unknown) => void (chaosFailure.error = err instanceof Error ? err : new Error(String(err))))
          .finally(() => {
            chaosDone = true;
            note('chaos done');
          })
      : Promise.resolve();

    const applied = (p: TestPrefix) =>
      sim.stats.patches().filter((x) => x.bgpPrefixId === p.bgpPrefixId && x.outcome === 'changed');
    const messaged = (kind: string, p: TestPrefix) =>
      fx!.tg.messages.some((m) => describeMessage(m) === `${kind} ${p.cidr}`);
    const completed = async (p: TestPrefix): Promise<string | null> => {
      try {
        const d = await client.workflow.getHandle(protectionWorkflowId(p.cidr)).describe();
        if (d.status.name !== 'COMPLETED') return null;
        const r = (await client.workflow.getHandle(protectionWorkflowId(p.cidr)).result()) as { reason: string };
        return r.reason;
      } catch {
        return null;
      }
    };
    let readyAt: number | null = null;
    const endings: Record<string, string> = {};
    for (;;) {
      if (chaosFailure.error) throw chaosFailure.error;
      const now = Date.now();
      if (!endWebhookSent && now >= t0 + TIMELINE.aEndMs) {
        endWebhookSent = true;
        await webhook('official-advanced_ddos_attack_l4_alert-end.json');
      }
      const aPatched = applied(A)[0];
      if (cSecond.endMs === null && aPatched && now >= t0 + TIMELINE.cSecondEndNotBeforeMs) {
        endAttack('C2', C, cSecond, Math.ceil(now / 1000) * 1000 + 1000);
        note(`C's second attack ends at T0+${(cSecond.endMs! - t0) / 1000}s`);
      }
      if (!outcomesSeen) {
        const wanted =
          cSecond.endMs !== null &&
          applied(C).length > 0 &&
          messaged('prefix_withdrawn', A) &&
          messaged('prefix_withdrawn', C) &&
          messaged('withdraw_skipped_locked', B);
        if (wanted) {
          const [a, c] = await Promise.all([completed(A), completed(C)]);
          if (a && c) {
            endings[A.cidr] = a;
            endings[C.cidr] = c;
            outcomesSeen = true;
            note('all expected outcomes seen');
          }
        }
      }
      if (readyAt === null && outcomesSeen && chaosDone) {
        readyAt = Date.now();
        note('settling');
      } else if (readyAt !== null && now >= readyAt + SETTLE_MS) break;
      if (now > deadline) await failWith('timed out');
      await sleep(200);
    }
    await chaos;
    for (const p of [B, E]) endings[p.cidr] = (await status(p))?.phase ?? 'unavailable';
    const scenarioMs = Date.now() - t0;
    if (opts.inspect) await opts.inspect({ fx, client, server, env: fx.env });
    const replay = await replayEveryHistory(client);
    note(`replayed ${replay.replayed} histories`);
    if (replay.replayed === 0 || replay.failures.length > 0)
      await failWith(`histories that do not replay (${replay.replayed} replayed):\n${replay.failures.join('\n')}`);

    await workers.stop();
    await receiver.stop();
    const outcome = captureOutcome({
      databasePath: fx.databasePath,
      patchLog: sim.stats.patches(),
      messages: fx.tg.messages,
    });
    return {
      ...outcome,
      name: opts.name,
      t0,
      attacks,
      dark,
      durationMs: Date.now() - started,
      scenarioMs,
      workerStarts: workers.starts(),
      kills: workers.kills(),
      serverStarts: server.starts(),
      notes,
      workerOutput: workers.output(),
      receiverOutput: receiver.output(),
      env: fx.env,
      endings,
      graphqlLog: [...sim.stats.graphqlRequests()],
      historiesReplayed: replay.replayed,
    };
  } finally {
    await workers?.stop().catch(() => undefined);
    await receiver?.stop().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    await fx?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
