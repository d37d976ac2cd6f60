// What a CLI suite runs against: a dev server (SQLite), the loopback Cloudflare and Telegram, a SQLite records file and
// a worker process, with 1 s cycles; plus the probes its tests use to prove what happened and what did not.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { protectionWorkflowId } from '../../src/workflows/ids';
import { statusQuery } from '../../src/workflows/messages';
import type { ProtectionStatus } from '../../src/workflows/types';
import { startFixture, testPrefix, type Fixture, type TestPrefix } from '../helpers/fixture';
import { readRows } from '../helpers/records-file';
import { createDevServerEnv, eventually, quietTemporalRuntime } from '../helpers/temporal';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import { useEnv, type CliRun } from './harness';

/** The re-advertise cooldown of the worker and of the loopback Cloudflare. */
export const COOLDOWN_MS = 5_000;

/** An advertised prefix under parent p4 (IPv4) or p6 (IPv6). */
export const prefix = (
  cidr: string,
  description: string,
  bgpPrefixId: string,
  more: Partial<TestPrefix> = {},
): TestPrefix =>
  testPrefix(cidr, description, bgpPrefixId, { parentPrefixId: cidr.includes(':') ? 'p6' : 'p4', ...more });

export interface CliWorld {
  env: TestWorkflowEnvironment;
  fx: Fixture;
  worker: WorkerProcess;
  status(p: TestPrefix): Promise<ProtectionStatus>;
  /** Starts a dropped attack on the prefix; returns its end. */
  attack(p: TestPrefix): () => void;
  /** Ends the attack a prefix in `attacked` has been under from the start. */
  endAttack(p: TestPrefix): void;
  rows(sql: string, ...args: unknown[]): Array<Record<string, unknown>>;
  /** The prefix's current workflow run as "<runId> <STATUS>", or null when no workflow has its ID. */
  currentRun(p: TestPrefix): Promise<string | null>;
  /** Row counts of what a withdraw or an advertise writes: attack_events, withdrawal_history, pending_withdrawals. */
  recordCounts(): unknown[];
  /** Everything a refused or failed command must leave as it was: PATCHes, records, workflow runs. */
  footprint(prefixes: readonly TestPrefix[]): Promise<unknown>;
  close(): Promise<void>;
}

export async function startCliWorld(opts: {
  prefixes: TestPrefix[];
  /** Prefixes under attack from the start. */
  attacked?: TestPrefix[];
  calmPeriod?: string;
  /** Worker-only settings (e.g. SHADOW_MODE). */
  workerEnv?: Record<string, string>;
  taskQueue: string;
}): Promise<CliWorld> {
  quietTemporalRuntime();
  const dir = mkdtempSync(join(tmpdir(), 'mtaw-cli-'));
  const env = await createDevServerEnv({ dbFilename: join(dir, 'temporal.db') });
  const fx = await startFixture({
    prefixes: opts.prefixes,
    cloudflare: { sampleIntervalMs: 1000, readvertiseCooldownMs: COOLDOWN_MS, minAdvertisedMs: 0 },
    env: {
      CHECK_INTERVAL: '1s',
      CALM_PERIOD: opts.calmPeriod ?? '10m',
      ATTACK_LOOKBACK: '5s',
      READVERTISE_COOLDOWN: `${COOLDOWN_MS / 1000}s`,
      MIN_ADVERTISED_DURATION: '0s',
      TELEMETRY_MAX_AGE: '2m',
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace ?? 'default',
      TEMPORAL_TASK_QUEUE: opts.taskQueue,
      LOG_LEVEL: 'info',
    },
  });
  const now = Date.now();
  for (const p of opts.prefixes)
    fx.cf.traffic.addBackground(p.cidr, { startMs: now - 3_600_000, packetsPerSecond: 500 });
  const attack = (p: TestPrefix, startMs = Date.now()): (() => void) => {
    const id = fx.cf.traffic.addFlow({
      destination: p.cidr,
      startMs,
      packetsPerSecond: 40_000,
      bitsPerSecond: 3e8,
      outcome: 'drop',
      mitigationSystem: 'dosd',
    });
    return () => void fx.cf.traffic.removeFlow(id);
  };
  const attacks = new Map((opts.attacked ?? []).map((p) => [p.cidr, attack(p, now - 60_000)]));
  const restoreEnv = useEnv({ ...fx.env, MTCTL_ACTOR: 'alice@noc1', MTCTL_ENV_FILE: undefined });
  const worker = startWorkerProcess({ ...fx.env, ...opts.workerEnv });
  const handle = (p: TestPrefix) => env.client.workflow.getHandle(protectionWorkflowId(p.cidr));
  const status = (p: TestPrefix): Promise<ProtectionStatus> => handle(p).query(statusQuery);
  const rows = (sql: string, ...args: unknown[]) => readRows(fx.databasePath, sql, ...args);
  const world: CliWorld = {
    env,
    fx,
    worker,
    status,
    attack: (p) => attack(p),
    endAttack(p) {
      const end = attacks.get(p.cidr);
      if (!end) throw new Error(`${p.cidr} was not under attack from the start`);
      end();
    },
    rows,
    currentRun: (p) =>
      handle(p)
        .describe()
        .then(
          (d) => `${d.runId} ${d.status.name}`,
          (err: unknown) => {
            if (err instanceof WorkflowNotFoundError) return null;
            throw err;
          },
        ),
    recordCounts: () =>
      ['attack_events', 'withdrawal_history', 'pending_withdrawals'].map(
        (t) => rows(`SELECT count(*) AS n FROM ${t}`)[0]!.n,
      ),
    async footprint(prefixes) {
      const runs: string[] = [];
      for (const p of prefixes) runs.push(`${p.cidr} ${(await world.currentRun(p)) ?? 'none'}`);
      return { patches: fx.cf.stats.patches().length, records: world.recordCounts(), runs };
    },
    async close() {
      restoreEnv();
      await worker.kill('SIGTERM');
      await env.teardown();
      await fx.close();
    },
  };
  try {
    await eventually(() => (worker.output().includes('worker starting') ? true : undefined), {
      timeoutMs: 60_000,
      what: 'worker start',
    });
    // The supervisor protects every advertised prefix, and each has measured.
    await eventually(
      async () => {
        for (const p of opts.prefixes.filter((x) => x.advertised))
          if ((await status(p).catch(() => null))?.telemetry !== 'ok') return undefined;
        return true;
      },
      { timeoutMs: 60_000, what: 'all advertised prefixes protected and measured' },
    );
  } catch (err) {
    await world.close();
    throw err;
  }
  return world;
}

export function expectExit(run: CliRun, code: number, what: string): void {
  assert.equal(run.code, code, `${what}: exit ${run.code}\nstdout: ${run.out}\nstderr: ${run.err}`);
}
