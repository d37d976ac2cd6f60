// End to end on the real dev server: worker process + supervisor + loopback Cloudflare and Telegram + SQLite file,
// with short periods; the worker is SIGKILLed mid-calm and continue-as-new is made to happen every few cycles.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import Database from 'better-sqlite3';
import { protectionWorkflowId, SUPERVISOR_WORKFLOW_ID } from '../../src/workflows/ids';
import { statusQuery, supervisorStatusQuery } from '../../src/workflows/messages';
import type { ProtectionStatus } from '../../src/workflows/types';
import { CF_TOKEN, startFixture, TG_TOKEN, type Fixture, type TestPrefix } from '../helpers/fixture';
import { createDevServerEnv, eventually, quietTemporalRuntime } from '../helpers/temporal';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';

const CALM_MS = 8_000;
const STICKY_TIMEOUT_MS = 10_000;
const LOOKBACK_MS = 10_000; // ATTACK_LOOKBACK below
const X: TestPrefix = {
  cidr: '185.54.81.0/24',
  description: 'DMZ',
  parentPrefixId: 'p4',
  bgpPrefixId: 'x81',
  advertised: true,
};
const Y: TestPrefix = {
  cidr: '185.54.80.0/24',
  description: 'BGP (not advertised)',
  parentPrefixId: 'p4',
  bgpPrefixId: 'y80',
  advertised: false,
};
const Z: TestPrefix = {
  cidr: '2a02:4460:1::/48',
  description: 'DMZv6 locked',
  parentPrefixId: 'p6',
  bgpPrefixId: 'z6',
  advertised: true,
  locked: true,
};
const W: TestPrefix = {
  cidr: '185.54.83.0/24',
  description: 'Withdrawn by hand',
  parentPrefixId: 'p4',
  bgpPrefixId: 'w83',
  advertised: true,
};

describe('engine end to end (dev server, worker process, 1 s cycles, 8 s calm)', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  let fx: Fixture;
  const workers: WorkerProcess[] = [];

  before(async () => {
    quietTemporalRuntime();
    const dir = mkdtempSync(join(tmpdir(), 'mtaw-e2e-'));
    env = await createDevServerEnv({
      dbFilename: join(dir, 'temporal.db'),
      // Continue-as-new suggested after 60 events: every few cycles, so carried state is exercised hard.
      extraArgs: ['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=60'],
    });
    fx = await startFixture({
      prefixes: [X, Y, Z, W],
      cloudflare: { sampleIntervalMs: 1000 },
      env: {
        CHECK_INTERVAL: '1s',
        CALM_PERIOD: '8s',
        ATTACK_LOOKBACK: '10s',
        READVERTISE_COOLDOWN: '4s',
        MIN_ADVERTISED_DURATION: '0s',
        TELEMETRY_MAX_AGE: '2m',
        TEMPORAL_ADDRESS: env.address,
        TEMPORAL_NAMESPACE: env.namespace ?? 'default',
        TEMPORAL_TASK_QUEUE: 'e2e-engine',
        LOG_LEVEL: 'info',
      },
    });
    const now = Date.now();
    for (const p of [X, Z, W]) fx.cf.traffic.addBackground(p.cidr, { startMs: now - 3_600_000, packetsPerSecond: 500 });
    // X: an attack that ends 6 s from now; W and Z: attacked throughout.
    fx.cf.traffic.addFlow({
      destination: X.cidr,
      spread: 256,
      startMs: now - 20_000,
      endMs: now + 6_000,
      packetsPerSecond: 40_000,
      bitsPerSecond: 3e8,
      outcome: 'drop',
      mitigationSystem: 'dosd',
    });
    fx.cf.traffic.addFlow({
      destination: W.cidr,
      startMs: now - 20_000,
      packetsPerSecond: 40_000,
      bitsPerSecond: 3e8,
      outcome: 'drop',
      mitigationSystem: 'flowtrackd',
    });
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.kill('SIGTERM')));
    await env?.teardown();
    await fx?.close();
  });

  const status = (p: TestPrefix): Promise<ProtectionStatus> =>
    env.client.workflow.getHandle(protectionWorkflowId(p.cidr)).query(statusQuery);
  const patchesOf = (p: TestPrefix) => fx.cf.stats.patches().filter((x) => x.bgpPrefixId === p.bgpPrefixId);

  it('advertised → attack → calm → one PATCH, records and one message, surviving a SIGKILL mid-calm', async () => {
    workers.push(startWorkerProcess(fx.env));
    const underAttack = await eventually(async () => ((await status(X)).underAttack ? true : undefined), {
      timeoutMs: 60_000,
      what: 'X under attack',
    });
    assert.ok(underAttack);

    // Mid-calm: kill the worker without any chance to clean up.
    const beforeKill = await eventually(
      async () => {
        const s = await status(X);
        return s.calmSinceMs !== null && s.calmAccumulatedMs >= 3_000 ? s : undefined;
      },
      { timeoutMs: 60_000, what: 'X calm for 3 s' },
    );
    await workers[0]!.kill('SIGKILL');
    assert.deepEqual(patchesOf(X), [], 'not withdrawn before the calm period');

    await new Promise((r) => setTimeout(r, 1_000));
    const restarted = startWorkerProcess(fx.env);
    workers.push(restarted);
    await eventually(() => (restarted.output().includes('worker starting') ? true : undefined), {
      timeoutMs: 60_000,
      what: 'worker restart',
    });
    const restartedAt = Date.now();

    const patch = await eventually(() => patchesOf(X)[0], { timeoutMs: 60_000, what: 'the withdraw PATCH' });
    const calmSince = beforeKill.calmSinceMs!;
    assert.ok(patch.atMs >= calmSince + CALM_MS, `withdrawn ${patch.atMs - calmSince} ms after calm began: too early`);
    // After a SIGKILL, workflow tasks wait on the dead worker's sticky queue until the SDK's 10 s sticky
    // schedule-to-start timeout sends them to the new worker. That gap is longer than the 10 s lookback, so the engine
    // then wants one lookback of fresh calm readings before withdrawing (re-confirmation after a dark gap): that,
    // plus a cycle, is the most a crash may cost.
    assert.ok(
      patch.atMs <= Math.max(calmSince + CALM_MS, restartedAt + STICKY_TIMEOUT_MS + LOOKBACK_MS) + 3_000,
      `withdrawn ${patch.atMs - calmSince} ms after calm began (restart at +${restartedAt - calmSince} ms): too late`,
    );
    // Let any retried activity or duplicate decision show itself before counting.
    await new Promise((r) => setTimeout(r, 3_000));
    assert.deepEqual(
      patchesOf(X).map((p) => [p.advertised, p.outcome]),
      [[false, 'changed']],
    );

    const db = new Database(fx.databasePath, { readonly: true });
    try {
      const rows = db
        .prepare(
          "SELECT event_type, alert_type, action_taken FROM attack_events WHERE prefix = ? AND event_type = 'WITHDRAW'",
        )
        .all(X.cidr);
      assert.deepEqual(rows, [
        { event_type: 'WITHDRAW', alert_type: 'autowithdraw_daemon', action_taken: 'withdrawn_auto' },
      ]);
      const history = db.prepare('SELECT withdraw_method, status FROM withdrawal_history WHERE prefix = ?').all(X.cidr);
      assert.deepEqual(history, [{ withdraw_method: 'autowithdraw_daemon', status: 'success' }]);
    } finally {
      db.close();
    }
    const withdrawMessages = fx.tg.messages.filter(
      (m) => m.plainText.includes(X.cidr) && /AUTO-WITHDRAWN/.test(m.plainText),
    );
    assert.equal(withdrawMessages.length, 1);
    assert.equal(fx.tg.messages.filter((m) => /WORKER STARTED/.test(m.plainText)).length, 2);
  });

  it('after the cooldown the workflow ends and the supervisor lets go of it', async () => {
    await eventually(
      async () => {
        const s = await env.client.workflow.getHandle(SUPERVISOR_WORKFLOW_ID).query(supervisorStatusQuery);
        return !s.protected.includes(X.cidr) ? s : undefined;
      },
      { timeoutMs: 30_000, what: 'supervisor forgets X' },
    );
    const result = (await env.client.workflow.getHandle(protectionWorkflowId(X.cidr)).result()) as { reason: string };
    assert.equal(result.reason, 'cooldown_elapsed');
  });

  it('never starts protection for a prefix that is not advertised', async () => {
    const sup = await env.client.workflow.getHandle(SUPERVISOR_WORKFLOW_ID).query(supervisorStatusQuery);
    assert.ok(!sup.protected.includes(Y.cidr));
    await assert.rejects(env.client.workflow.getHandle(protectionWorkflowId(Y.cidr)).describe());
  });

  it('a locked prefix is protected (measured) but never changed', async () => {
    const s = await status(Z);
    assert.equal(s.locked, true);
    assert.equal(s.phase, 'protecting');
    assert.deepEqual(patchesOf(Z), []);
  });

  it('a prefix withdrawn by someone else ends its workflow cleanly and is recorded', async () => {
    assert.equal((await status(W)).phase, 'protecting');
    fx.cf.state.set(W.bgpPrefixId, { advertised: false, advertisedModifiedAtMs: Date.now() });
    const result = (await env.client.workflow.getHandle(protectionWorkflowId(W.cidr)).result()) as { reason: string };
    assert.equal(result.reason, 'withdrawn_externally');
    assert.deepEqual(patchesOf(W), [], 'we did not PATCH it');
    const db = new Database(fx.databasePath, { readonly: true });
    try {
      const row = db
        .prepare("SELECT action_taken FROM attack_events WHERE prefix = ? AND event_type = 'WITHDRAW'")
        .get(W.cidr);
      assert.deepEqual(row, { action_taken: 'withdrawn_external' });
      const calm = db.prepare('SELECT advertised FROM prefix_calm_status WHERE prefix = ?').get(W.cidr);
      assert.deepEqual(calm, { advertised: 0 });
    } finally {
      db.close();
    }
  });

  it('continue-as-new carried the state: workflows ran several runs', async () => {
    assert.ok((await status(Z)).runs >= 2, 'the prefix workflow continued as new');
    const sup = await env.client.workflow.getHandle(SUPERVISOR_WORKFLOW_ID).query(supervisorStatusQuery);
    assert.ok(sup.runs >= 2, 'the supervisor continued as new');
    assert.ok(sup.protected.includes(Z.cidr), 'children survive the supervisor continuing as new');
  });

  it('no secret appears in worker logs or workflow histories', async () => {
    const logs = workers.map((w) => w.output()).join('\n');
    assert.ok(logs.length > 0);
    const histories: string[] = [];
    for await (const wf of env.client.workflow.list()) {
      const history = await env.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      histories.push(JSON.stringify(history));
    }
    assert.ok(histories.length >= 5, `read ${histories.length} histories`);
    for (const secret of [CF_TOKEN, TG_TOKEN, TG_TOKEN.split(':')[1]!]) {
      assert.ok(!logs.includes(secret), 'a secret is in the worker logs');
      assert.ok(!histories.some((h) => h.includes(secret)), 'a secret is in a workflow history');
    }
  });
});
