// What a CLI suite runs against: a dev server (SQLite), the loopback Cloudflare and Telegram, a SQLite records file and
// a worker process, with 1 s cycles; plus the probes its tests use to prove what happened and what did not.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import Database from 'better-sqlite3';
import { protectionWorkflowId } from '../../src/workflows/ids';
import { statusQuery } from '../../src/workflows/messages';
import type { ProtectionStatus } from '../../src/workflows/types';
import { startFixture, type Fixture, type TestPrefix } from '../helpers/fixture';
import { createDevServerEnv, eventually, quietTemporalRuntime } from '../helpers/temporal';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import { useEnv, type CliRun } from './harness';

export const prefix = (
  cidr: string,
  description: string,
  bgpPrefixId: string,
  more: Partial<TestPrefix> = {},
): TestPrefix => ({
  cidr,
  description,
  parentPrefixId: cidr.includes(':') ? 'p6' : 'p4',
  bgpPrefixId,
  advertised: true,
  ...more,
});

export interface CliWorld {
  env: TestWorkflowEnvironment;
  fx: Fixture;
  worker: WorkerProcess;
  status(p: TestPrefix): Promise<ProtectionStatus>;
  /** Starts a dropped attack on the prefix; returns its end. */
  attack(p: TestPrefix): () => void;
  rows(sql: string, ...args: unknown[]): Array<Record<string, unknown>>;
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
    cloudflare: { sampleIntervalMs: 1000, readvertiseCooldownMs: 5_000, minAdvertisedMs: 0 },
    env: {
      CHECK_INTERVAL: '1s',
      CALM_PERIOD: opts.calmPeriod ?? '10m',
      ATTACK_LOOKBACK: '5s',
      READVERTISE_COOLDOWN: '5s',
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
  for (const p of opts.attacked ?? []) attack(p, now - 60_000);
  const restoreEnv = useEnv({ ...fx.env, MTCTL_ACTOR: 'alice@noc1', MTCTL_ENV_FILE: undefined });
  const worker = startWorkerProcess({ ...fx.env, ...opts.workerEnv });
  const handle = (p: TestPrefix) => env.client.workflow.getHandle(protectionWorkflowId(p.cidr));
  const status = (p: TestPrefix): Promise<ProtectionStatus> => handle(p).query(statusQuery);
  const rows = (sql: string, ...args: unknown[]): Array<Record<string, unknown>> => {
    const db = new Database(fx.databasePath, { readonly: true });
    try {
      return db.prepare(sql).all(...args) as Array<Record<string, unknown>>;
    } finally {
      db.close();
    }
  };
  const world: CliWorld = {
    env,
    fx,
    worker,
    status,
    attack: (p) => attack(p),
    rows,
    async footprint(prefixes) {
      const runs: string[] = [];
      for (const p of prefixes)
        runs.push(
          await handle(p)
            .describe()
            .then(
              (d) => `${p.cidr} ${d.runId} ${d.status.name}`,
              (err: unknown) => {
                if (err instanceof WorkflowNotFoundError) return `${p.cidr} none`;
                throw err;
              },
            ),
        );
      return {
        patches: fx.cf.stats.patches().length,
        records: ['attack_events', 'withdrawal_history', 'pending_withdrawals'].map(
          (t) => rows(`SELECT count(*) AS n FROM ${t}`)[0]!.n,
        ),
        runs,
      };
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
