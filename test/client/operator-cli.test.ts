// mtctl end to end: the dev server, a worker process, the loopback Cloudflare and Telegram and a SQLite file, with
// short periods (1 s cycles, 4 s calm, 5 s re-advertise cooldown). Every command, every refusal, the queued advertise,
// the hold that expires, the two withdraw races, the Web UI's view, and status with the worker down.
import assert from 'node:assert/strict';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { freePort } from '../../src/runtime/free-port';
import { protectionWorkflowId, SUPERVISOR_WORKFLOW_ID } from '../../src/workflows/ids';
import { MT_CALM_SINCE } from '../../src/workflows/search-attribute-keys';
import { supervisorStatusQuery } from '../../src/workflows/messages';
import type { ProtectionStatus } from '../../src/workflows/types';
import { CF_TOKEN, TG_TOKEN, type Fixture, type TestPrefix } from '../helpers/fixture';
import { eventually } from '../helpers/temporal';
import type { WorkerProcess } from '../helpers/worker-process';
import { COOLDOWN_MS, expectExit, prefix, startCliWorld, type CliWorld } from './cli-world';
import { allOutput, mtctl, mtctlProcess } from './harness';

const CALM_MS = 4_000;
const A = prefix('185.54.81.0/24', 'DMZ', 'a81'); // hold, manual withdraw, refused then queued advertise
const B = prefix('185.54.80.0/24', 'BGP', 'b80'); // under attack throughout
const L = prefix('2a02:4460:1::/48', 'DMZv6', 'l6', { locked: true });
const N = prefix('185.54.82.0/24', 'Spare', 'n82', { advertised: false });
const H = prefix('185.54.83.0/24', 'Hold', 'h83'); // hold --for that expires
const R = prefix('185.54.84.0/24', 'Race auto', 'r84'); // manual arrives while the automatic withdraw is in flight
const S = prefix('185.54.85.0/24', 'Race manual', 's85'); // auto-withdraw becomes possible while the manual one is in flight
const K = prefix('185.54.86.0/24', 'Locked spare', 'k86', { advertised: false, locked: true }); // never protected
const Q = prefix('185.54.87.0/24', 'Resume', 'q87'); // held, calm, resumed: auto-withdraw decides again
const ALL = [A, B, L, N, H, R, S, K, Q];

describe('mtctl (dev server, worker process, loopback Cloudflare + Telegram, SQLite)', function () {
  this.timeout(120_000);
  let w: CliWorld;
  let env: TestWorkflowEnvironment;
  let fx: Fixture;
  let worker: WorkerProcess;

  before(async () => {
    // Every prefix a test withdraws stays under attack until that test ends the attack.
    w = await startCliWorld({
      prefixes: ALL,
      attacked: [A, B, H, R, S, Q],
      calmPeriod: `${CALM_MS / 1000}s`,
      taskQueue: 'cli-e2e',
    });
    ({ env, fx, worker } = w);
  });
  after(async () => w?.close());

  const handle = (p: TestPrefix) => env.client.workflow.getHandle(protectionWorkflowId(p.cidr));
  const status = (p: TestPrefix): Promise<ProtectionStatus> => w.status(p);
  const patchesOf = (p: TestPrefix) => fx.cf.stats.patches().filter((x) => x.bgpPrefixId === p.bgpPrefixId);
  const endAttack = (p: TestPrefix): void => w.endAttack(p);
  const rows = (sql: string, ...args: unknown[]) => w.rows(sql, ...args);
  const events = (p: TestPrefix, type: string) =>
    rows(
      'SELECT alert_type, action_taken, raw_payload FROM attack_events WHERE prefix = ? AND event_type = ?',
      p.cidr,
      type,
    );
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** What a refused request must leave untouched: Cloudflare, the records, and the prefix's workflow runs. */
  async function footprint(p: TestPrefix): Promise<Record<string, unknown>> {
    const run = (await w.currentRun(p)) ?? 'no workflow';
    return {
      patches: fx.cf.stats.patches().length,
      records: w.recordCounts(),
      run,
      executions: (await executionsOf(p)).length,
    };
  }
  /** Every execution (open or closed) of the prefix's workflow ID, from the visibility store. */
  async function executionsOf(p: TestPrefix): Promise<string[]> {
    const out: string[] = [];
    for await (const wf of env.client.workflow.list({ query: `WorkflowId = '${protectionWorkflowId(p.cidr)}'` }))
      out.push(wf.runId);
    return out;
  }
  /** Refused requests: exit 3, one line naming why, nothing changed (no PATCH, no record, no new workflow run). */
  async function refused(p: TestPrefix, args: string[], why: RegExp): Promise<void> {
    const before = await footprint(p);
    const run = await mtctl(args);
    expectExit(run, 3, args.join(' '));
    assert.match(run.err, why);
    assert.equal(run.err.trim().split('\n').length, 1, `one line: ${run.err}`);
    assert.equal(run.out, '', `${args.join(' ')} reported no success`);
    assert.deepEqual(await footprint(p), before, `${args.join(' ')} changed nothing`);
  }

  it('help on every command; bad input gets one line and exit 2, and changes nothing', async () => {
    const help = await mtctl(['--help']);
    expectExit(help, 0, '--help');
    for (const cmd of ['status', 'withdraw', 'advertise', 'hold', 'resume', 'check', 'test']) {
      assert.match(help.out, new RegExp(`\\b${cmd}\\b`));
      const h = await mtctl([cmd, '--help']);
      expectExit(h, 0, `${cmd} --help`);
      assert.match(h.out, /Exit codes/);
    }
    const bad: Array<[string[], RegExp]> = [
      [['withdraw', '185.54.81.0/33'], /"185\.54\.81\.0\/33" is not a valid prefix/],
      [['withdraw', '10.9.9.0/24'], /10\.9\.9\.0\/24 is not in the prefix mapping/],
      [['advertise', 'dmz'], /"dmz" is not a valid prefix/],
      [['hold', A.cidr, '--for', '5x'], /--for 5x: .* is not a duration/],
      [['withdraw'], /which prefix\?/],
      [['withdraw', A.cidr, '--all'], /a prefix or --all, not both/],
      [['status', '2001:db8::/32'], /not in the prefix mapping/],
    ];
    for (const [args, re] of bad) {
      const run = await mtctl(args);
      expectExit(run, 2, args.join(' '));
      assert.match(run.err, re);
      assert.equal(run.err.trim().split('\n').length, 1, `one line: ${run.err}`);
    }
    // No override of "never withdraw under attack or with unknown traffic": --force is not an option.
    const withdrawHelp = await mtctl(['withdraw', '--help']);
    assert.doesNotMatch(withdrawHelp.out, /--force/);
    const forced = await mtctl(['withdraw', B.cidr, '--force']);
    expectExit(forced, 2, 'withdraw --force');
    assert.match(forced.err, /unknown option '--force'/);
    const real = await mtctlProcess(['withdraw', '10.9.9.0/24'], fx.env);
    expectExit(real, 2, 'bin/mtctl.js withdraw 10.9.9.0/24');
    assert.match(real.err, /^mtctl: 10\.9\.9\.0\/24 is not in the prefix mapping/);
    assert.deepEqual(fx.cf.stats.patches(), [], 'nothing was changed');
  });

  it('status: a table for people, and --json that parses back', async () => {
    const table = await mtctl(['status']);
    expectExit(table, 0, 'status');
    assert.match(
      table.out,
      /^PREFIX\s+DESCRIPTION\s+ADVERTISED\s+LOCKED\s+STATE\s+CALM SINCE\s+CALM FOR\s+AUTO-WITHDRAW\s+PEAK\s+COOLDOWN\s+HELD/,
    );
    assert.match(
      table.out,
      new RegExp(
        `${B.cidr.replace(/\./g, '\\.')}\\s+BGP\\s+yes\\s+no\\s+under_attack\\s+-\\s+-\\s+after attack\\s+\\d+ pkts`,
      ),
    );
    assert.doesNotMatch(table.out, /NOTE:/);

    const json = await mtctl(['status', '--json']);
    expectExit(json, 0, 'status --json');
    const doc = JSON.parse(json.out) as {
      source: string;
      note: string | null;
      prefixes: Array<Record<string, unknown>>;
    };
    assert.equal(doc.source, 'workflows');
    assert.deepEqual(
      doc.prefixes.map((p) => p.cidr),
      ALL.map((p) => p.cidr).sort(),
    );
    const byCidr = new Map(doc.prefixes.map((p) => [p.cidr, p]));
    assert.deepEqual(
      [byCidr.get(B.cidr)?.state, byCidr.get(B.cidr)?.underAttack, byCidr.get(B.cidr)?.source],
      ['under_attack', true, 'workflow'],
    );
    assert.ok((byCidr.get(B.cidr)?.peak as { packets: number }).packets > 5000);
    assert.deepEqual([byCidr.get(L.cidr)?.locked, byCidr.get(L.cidr)?.state], [true, 'locked']);
    assert.deepEqual(
      [byCidr.get(N.cidr)?.advertised, byCidr.get(N.cidr)?.state, byCidr.get(N.cidr)?.source],
      [false, 'not_advertised', 'cloudflare+database'],
    );
    const one = await mtctl(['status', L.cidr, '--json']);
    const l = (JSON.parse(one.out) as { prefixes: Array<{ calmSince: string; calmSinceMs: number }> }).prefixes;
    assert.equal(l.length, 1);
    assert.equal(l[0]!.calmSince, new Date(l[0]!.calmSinceMs).toISOString());
  });

  it('check: one dry-run cycle per advertised prefix, changing nothing', async () => {
    await eventually(async () => ((await status(L)).calmAccumulatedMs >= CALM_MS ? true : undefined), {
      what: 'L calm for the calm period',
    });
    const before = { patches: fx.cf.stats.patches().length, events: rows('SELECT id FROM attack_events').length };
    const text = await mtctl(['check']);
    expectExit(text, 0, 'check');
    assert.match(text.out, /dry run of one cycle/);
    assert.match(
      text.out,
      /185\.54\.80\.0\/24 \(BGP\)\s+under attack: \d+ pkts, [\d.]+ Mbps dropped \(dosd\) → calm timer would reset/,
    );
    assert.match(text.out, /2a02:4460:1::\/48 \(DMZv6\)\s+calm .* withdraw blocked: locked/);
    assert.match(text.out, /185\.54\.82\.0\/24 \(Spare\)\s+not advertised/);
    const json = await mtctl(['check', '--json']);
    const lines = new Map(
      (JSON.parse(json.out) as { lines: Array<{ cidr: string; verdict: string; stateFrom: string }> }).lines.map(
        (l) => [l.cidr, l],
      ),
    );
    assert.equal(lines.get(B.cidr)?.verdict, 'reset');
    assert.equal(lines.get(L.cidr)?.verdict, 'blocked:locked');
    assert.equal(lines.get(L.cidr)?.stateFrom, 'workflow');
    assert.equal(lines.get(N.cidr)?.verdict, 'nothing');
    assert.deepEqual(
      { patches: fx.cf.stats.patches().length, events: rows('SELECT id FROM attack_events').length },
      before,
      'check changed nothing',
    );
  });

  it('test: one line per dependency with a verdict; exit 1 when one fails', async () => {
    const run = await mtctl(['test']);
    expectExit(run, 0, 'test');
    for (const name of [
      'config',
      'cloudflare token',
      'cloudflare account',
      'cloudflare analytics',
      'telegram',
      'temporal',
      'temporal worker',
      'search attributes',
      'database',
    ])
      assert.match(run.out, new RegExp(`^OK\\s+${name}\\s+\\S`, 'm'), `${name} OK in:\n${run.out}`);
    assert.match(run.out, /most dropped: 185\.54\.\d+\.0\/24 \d+ pkts \(dosd\)/);
    assert.match(run.out, /bot @\w+/);

    const noTelegram = await mtctl(['test'], { TELEGRAM_BOT_TOKEN: undefined, TELEGRAM_CHAT_ID: undefined });
    expectExit(noTelegram, 0, 'test without Telegram');
    assert.match(noTelegram.out, /^SKIP\s+telegram\s+not configured/m);

    const badToken = await mtctl(['test'], { CLOUDFLARE_API_TOKEN: 'wrong-token-0000' });
    expectExit(badToken, 1, 'test with a bad token');
    assert.match(badToken.out, /^FAIL\s+cloudflare token\s+\S/m);
    assert.match(badToken.out, /^OK\s+database/m);
  });

  it('refusals: locked, not advertised, under attack, already advertised, not held (exit 3, nothing changed)', async () => {
    await refused(L, ['withdraw', L.cidr], /2a02:4460:1::\/48 is locked: it is never changed/);
    await refused(L, ['advertise', L.cidr], /is locked/);
    await refused(B, ['withdraw', B.cidr], /185\.54\.80\.0\/24 is under attack/);
    await refused(B, ['advertise', B.cidr], /already advertised/);
    await refused(B, ['resume', B.cidr], /is not held/);
    assert.deepEqual(rows('SELECT id FROM attack_events'), [], 'no record written');
  });

  it('refusals for a prefix no workflow protects start nothing: Cloudflare decides, the CLI refuses', async () => {
    for (const p of [N, K]) assert.deepEqual(await executionsOf(p), [], `${p.cidr} has never had a workflow`);
    await refused(N, ['withdraw', N.cidr], /^mtctl: 185\.54\.82\.0\/24 is not advertised: nothing to withdraw$/m);
    await refused(N, ['hold', N.cidr, '--for', '1h'], /185\.54\.82\.0\/24 is not advertised: nothing to hold/);
    await refused(N, ['resume', N.cidr], /185\.54\.82\.0\/24 is not held \(no workflow protects it right now\)/);
    await refused(K, ['withdraw', K.cidr], /185\.54\.86\.0\/24 is locked: it is never changed/);
    await refused(K, ['advertise', K.cidr], /185\.54\.86\.0\/24 is locked: it is never changed/);
    await refused(K, ['advertise', K.cidr, '--when-allowed'], /is locked/);
    // Withdrawn at Cloudflare a moment ago (by someone else): inside the re-advertise cooldown, with its end time.
    fx.cf.state.set(N.bgpPrefixId, { advertisedModifiedAtMs: Date.now() });
    try {
      await refused(
        N,
        ['advertise', N.cidr],
        /cannot advertise 185\.54\.82\.0\/24 yet: .*advertise available at \d\d:\d\d:\d\d UTC, in \d+s \(add --when-allowed to queue it\)/,
      );
    } finally {
      fx.cf.state.set(N.bgpPrefixId, { advertisedModifiedAtMs: Date.now() - 86_400_000 });
    }
    // Cloudflare cannot be read: nothing is sent, and that is a failure (exit 1), not a refusal.
    const closedPort = `http://127.0.0.1:${await freePort()}/client/v4`;
    const before = await footprint(N);
    const blind = await mtctl(['withdraw', N.cidr], { CLOUDFLARE_API_BASE_URL: closedPort });
    expectExit(blind, 1, 'withdraw with Cloudflare unreachable');
    assert.match(blind.err, /^mtctl: cannot read 185\.54\.82\.0\/24 at Cloudflare: .*; nothing was sent\n$/);
    assert.deepEqual(await footprint(N), before);
    // Visibility is eventually consistent: a run started by mistake would be listed by now.
    await sleep(1_000);
    for (const p of [N, K]) assert.deepEqual(await executionsOf(p), [], `no workflow was started for ${p.cidr}`);
  });

  it('manual withdraw: recorded as manual, notified as manual, then the cooldown', async () => {
    const held = await mtctl(['hold', A.cidr, '--reason', 'I will withdraw it myself']);
    expectExit(held, 0, 'hold A');
    assert.match(held.out, /auto-withdraw of 185\.54\.81\.0\/24 \(DMZ\) held until `mtctl resume`/);
    endAttack(A);
    await eventually(
      async () => {
        const s = await status(A);
        return !s.underAttack && s.telemetry === 'ok' ? s : undefined;
      },
      { what: 'A calm' },
    );
    const run = await mtctl(['withdraw', A.cidr, '--reason', 'attack over, checked by hand']);
    expectExit(run, 0, 'withdraw A');
    assert.match(
      run.out,
      /185\.54\.81\.0\/24 \(DMZ\) withdrawn: event \d{14}-withdraw; advertise available at \d\d:\d\d:\d\d UTC, in \d+s/,
    );
    assert.deepEqual(
      patchesOf(A).map((p) => [p.advertised, p.outcome]),
      [[false, 'changed']],
    );
    const ev = events(A, 'WITHDRAW');
    assert.equal(ev.length, 1);
    assert.deepEqual([ev[0]!.alert_type, ev[0]!.action_taken], ['manual', 'withdrawn_manual']);
    assert.match(String(ev[0]!.raw_payload), /alice@noc1/);
    assert.deepEqual(rows('SELECT withdraw_method, status FROM withdrawal_history WHERE prefix = ?', A.cidr), [
      { withdraw_method: 'manual', status: 'success' },
    ]);
    const msg = await eventually(
      () => fx.tg.messages.find((m) => m.plainText.includes(A.cidr) && /MANUAL PREFIX WITHDRAWAL/.test(m.plainText)),
      {
        what: 'manual withdrawal message',
      },
    );
    assert.match(msg.plainText, /alice@noc1: attack over, checked by hand/);
    const after = await status(A);
    assert.equal(after.phase, 'cooldown');
    assert.equal(after.held, false, 'the withdraw ended the hold');
  });

  it('advertise inside the cooldown: refused with the time it becomes possible, or queued and done when it ends', async () => {
    await refused(
      A,
      ['advertise', A.cidr],
      /cannot advertise 185\.54\.81\.0\/24 yet: .*advertise available at \d\d:\d\d:\d\d UTC, in \d+s \(add --when-allowed to queue it\)/,
    );
    const queued = await mtctl(['advertise', A.cidr, '--when-allowed', '--reason', 'attack is back']);
    expectExit(queued, 0, 'advertise --when-allowed');
    assert.match(
      queued.out,
      /advertise of 185\.54\.81\.0\/24 \(DMZ\) queued: it will be advertised at \d\d:\d\d:\d\d UTC, in \d+s/,
    );
    const js = JSON.parse((await mtctl(['status', A.cidr, '--json'])).out) as {
      prefixes: Array<Record<string, unknown>>;
    };
    assert.equal(js.prefixes[0]!.state, 'advertise_queued');
    assert.equal((js.prefixes[0]!.queuedAdvertise as { actor: string }).actor, 'alice@noc1');
    const withdrawnAt = patchesOf(A)[0]!.atMs;
    const readvertised = await eventually(() => patchesOf(A)[1], { timeoutMs: 30_000, what: 'the queued advertise' });
    assert.deepEqual(
      [readvertised.advertised, readvertised.outcome],
      [true, 'changed'],
      'Cloudflare accepted it: the cooldown had ended',
    );
    assert.ok(readvertised.atMs >= withdrawnAt + COOLDOWN_MS);
    assert.ok(
      readvertised.atMs <= withdrawnAt + COOLDOWN_MS + 3_000,
      `advertised ${readvertised.atMs - withdrawnAt} ms after the withdraw`,
    );
    await eventually(() => (events(A, 'ADVERTISE').length > 0 ? true : undefined), { what: 'the advertise record' });
    assert.deepEqual(
      events(A, 'ADVERTISE').map((e) => [e.alert_type, e.action_taken]),
      [['manual', 'advertised_manual']],
    );
    await eventually(
      () =>
        fx.tg.messages.find(
          (m) => m.plainText.includes(A.cidr) && /QUEUED PREFIX ADVERTISEMENT DONE/.test(m.plainText),
        ),
      {
        what: 'queued advertise message',
      },
    );
    await eventually(async () => ((await status(A)).phase === 'protecting' ? true : undefined), {
      what: 'A protected again',
    });
  });

  it('advertise a prefix nobody protects: through its own workflow, then protected and adopted by the supervisor', async () => {
    const run = await mtctl(['advertise', N.cidr]);
    expectExit(run, 0, 'advertise N');
    assert.match(
      run.out,
      /185\.54\.82\.0\/24 \(Spare\) advertised: event \d{14}-advertise; it is protected from now on/,
    );
    assert.deepEqual(
      patchesOf(N).map((p) => [p.advertised, p.outcome]),
      [[true, 'changed']],
    );
    assert.equal((await status(N)).phase, 'protecting');
    assert.equal(
      await handle(N)
        .describe()
        .then((d) => d.staticSummary()),
      `Protecting ${N.cidr} (Spare)`,
    );
    await eventually(
      async () =>
        (await env.client.workflow.getHandle(SUPERVISOR_WORKFLOW_ID).query(supervisorStatusQuery)).protected.includes(
          N.cidr,
        )
          ? true
          : undefined,
      { what: 'supervisor adopts N' },
    );
  });

  it('hold --for: no auto-withdraw while held (still measured, shown in the Web UI), then it resumes by itself', async () => {
    const run = await mtctl(['hold', H.cidr, '--for', '10s', '--reason', 'maintenance']);
    expectExit(run, 0, 'hold --for 10s');
    assert.match(run.out, /held for 10s, until \d\d:\d\d:\d\d UTC; it resumes by itself/);
    const hold = (await status(H)).hold!;
    endAttack(H);
    const blocked = await eventually(
      async () => {
        const s = await status(H);
        return s.calmAccumulatedMs >= CALM_MS ? s : undefined;
      },
      { what: 'H calm for the calm period' },
    );
    assert.equal(blocked.withdrawBlockedBy, 'held');
    assert.ok(blocked.cycles > 0 && blocked.telemetry === 'ok', 'still measured');
    assert.deepEqual(patchesOf(H), [], 'not withdrawn while held');
    const table = await mtctl(['status', H.cidr]);
    assert.match(table.out, /185\.54\.83\.0\/24: held by alice@noc1 since .* until \d\d:\d\d:\d\d UTC: maintenance/);

    // The Web UI: search attributes (no query needed) and the current details.
    const listed = await eventually(
      async () => {
        for await (const wf of env.client.workflow.list({ query: `MtState = 'held' AND MtPrefix = '${H.cidr}'` }))
          return wf;
        return undefined;
      },
      { what: 'H listed as held' },
    );
    assert.equal(listed.workflowId, protectionWorkflowId(H.cidr));
    const metadata = await handle(H).query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    assert.match(metadata.currentDetails ?? '', /\| Held \| by alice@noc1 until/);

    const patch = await eventually(() => patchesOf(H)[0], { timeoutMs: 30_000, what: 'withdraw after the hold' });
    assert.ok(patch.atMs >= hold.untilMs!, 'not before the hold ended');
    assert.ok(patch.atMs <= hold.untilMs! + 3_000, `withdrawn ${patch.atMs - hold.untilMs!} ms after the hold ended`);
    await eventually(() => (events(H, 'WITHDRAW').length > 0 ? true : undefined), { what: 'the withdraw record' });
    assert.deepEqual(
      events(H, 'WITHDRAW').map((e) => e.action_taken),
      ['withdrawn_auto'],
    );
  });

  it('resume: lifts the hold at once, and auto-withdraw decides again from the next cycle', async () => {
    expectExit(await mtctl(['hold', Q.cidr, '--reason', 'watching it']), 0, 'hold Q');
    endAttack(Q);
    await eventually(
      async () => {
        const s = await status(Q);
        return s.calmAccumulatedMs >= CALM_MS && s.withdrawBlockedBy === 'held' ? s : undefined;
      },
      { what: 'Q calm for the calm period, withdraw blocked by the hold' },
    );
    assert.deepEqual(patchesOf(Q), [], 'not withdrawn while held');
    const run = await mtctl(['resume', Q.cidr, '--reason', 'looks fine']);
    expectExit(run, 0, 'resume Q');
    assert.match(
      run.out,
      /^auto-withdraw of 185\.54\.87\.0\/24 \(Resume\) resumed \(it was held by alice@noc1 since \d\d:\d\d:\d\d UTC\)\n$/,
    );
    const resumedAt = Date.now();
    const after = await status(Q);
    assert.deepEqual([after.held, after.hold], [false, null], 'the hold is gone at once');
    const patch = await eventually(() => patchesOf(Q)[0], { timeoutMs: 30_000, what: 'auto-withdraw after resume' });
    assert.deepEqual([patch.advertised, patch.outcome], [false, 'changed']);
    assert.ok(patch.atMs - resumedAt <= 3_000, `withdrawn ${patch.atMs - resumedAt} ms after the resume`);
    await eventually(() => (events(Q, 'WITHDRAW').length > 0 ? true : undefined), { what: 'the withdraw record' });
    assert.deepEqual(
      events(Q, 'WITHDRAW').map((e) => e.action_taken),
      ['withdrawn_auto'],
      'an automatic withdraw, not a manual one',
    );
    await refused(Q, ['resume', Q.cidr], /185\.54\.87\.0\/24 is not held/);
  });

  it('the Web UI without a query: every search attribute filters, and supervisor-started runs carry the summary', async () => {
    const list = async (query: string): Promise<Array<{ id: string; calmSince: Date | undefined }>> => {
      const out: Array<{ id: string; calmSince: Date | undefined }> = [];
      for await (const wf of env.client.workflow.list({ query }))
        out.push({ id: wf.workflowId, calmSince: wf.typedSearchAttributes.get(MT_CALM_SINCE) });
      return out;
    };
    const ids = (xs: Array<{ id: string }>): string[] => xs.map((x) => x.id).sort();
    const calmL = (await status(L)).calmSinceMs;
    assert.ok(calmL !== null, 'L is calm');
    await eventually(
      async () => {
        const attacked = ids(await list(`MtUnderAttack = true AND ExecutionStatus = 'Running'`));
        return attacked.includes(protectionWorkflowId(B.cidr)) && !attacked.includes(protectionWorkflowId(L.cidr))
          ? true
          : undefined;
      },
      { what: 'B listed under attack, L not' },
    );
    assert.deepEqual(ids(await list(`MtUnderAttack = false AND MtPrefix = '${L.cidr}'`)), [
      protectionWorkflowId(L.cidr),
    ]);
    // MtCalmSince is a datetime: range queries work, and a prefix under attack has none.
    const calmBefore = await list(`MtCalmSince <= '${new Date().toISOString()}' AND MtPrefix = '${L.cidr}'`);
    assert.deepEqual(ids(calmBefore), [protectionWorkflowId(L.cidr)]);
    assert.equal(calmBefore[0]!.calmSince?.getTime(), calmL, 'MtCalmSince is the calm start of the status');
    assert.deepEqual(await list(`MtCalmSince <= '${new Date().toISOString()}' AND MtPrefix = '${B.cidr}'`), []);
    assert.deepEqual(
      await list(`MtCalmSince > '${new Date(calmL + 1000).toISOString()}' AND MtPrefix = '${L.cidr}'`),
      [],
    );
    assert.deepEqual(ids(await list(`MtState = 'locked'`)), [protectionWorkflowId(L.cidr)]);
    // L and B were started by the supervisor, not by mtctl: the static summary is there too.
    for (const [p, text] of [
      [L, `Protecting ${L.cidr} (DMZv6)`],
      [B, `Protecting ${B.cidr} (BGP)`],
    ] as const)
      assert.equal(
        await handle(p)
          .describe()
          .then((d) => d.staticSummary()),
        text,
      );
  });

  it('a manual withdraw arriving while the automatic one is in flight is refused: exactly one PATCH', async () => {
    fx.cf.faults.add({ kind: 'slow', delayMs: 2_500, match: { method: 'PATCH', path: R.bgpPrefixId } });
    endAttack(R);
    await eventually(async () => ((await status(R)).phase === 'withdrawing' ? true : undefined), {
      intervalMs: 50,
      what: 'the automatic withdraw in flight',
    });
    await refused(R, ['withdraw', R.cidr], /an automatic withdraw of 185\.54\.84\.0\/24 is already in progress/);
    await eventually(async () => ((await status(R)).phase === 'cooldown' ? true : undefined), { what: 'R withdrawn' });
    await sleep(2_000); // a second withdraw, if any, would show within two cycles
    assert.deepEqual(
      patchesOf(R).map((p) => [p.advertised, p.outcome]),
      [[false, 'changed']],
    );
    assert.deepEqual(
      events(R, 'WITHDRAW').map((e) => e.action_taken),
      ['withdrawn_auto'],
    );
  });

  it('auto-withdraw becoming possible while a manual withdraw is in flight does not PATCH again', async () => {
    expectExit(await mtctl(['hold', S.cidr]), 0, 'hold S');
    endAttack(S);
    await eventually(async () => ((await status(S)).calmAccumulatedMs >= CALM_MS ? true : undefined), {
      what: 'S calm',
    });
    fx.cf.faults.add({ kind: 'slow', delayMs: 2_500, match: { method: 'PATCH', path: S.bgpPrefixId } });
    const manual = mtctl(['withdraw', S.cidr]);
    await eventually(async () => ((await status(S)).phase === 'withdrawing' ? true : undefined), {
      intervalMs: 50,
      what: 'the manual withdraw in flight',
    });
    // Lifting the hold now makes the automatic withdraw due at the next cycle, while the manual one is in flight.
    expectExit(await mtctl(['resume', S.cidr]), 0, 'resume S');
    expectExit(await manual, 0, 'withdraw S');
    await sleep(2_000);
    assert.deepEqual(
      patchesOf(S).map((p) => [p.advertised, p.outcome]),
      [[false, 'changed']],
    );
    assert.deepEqual(
      events(S, 'WITHDRAW').map((e) => e.action_taken),
      ['withdrawn_manual'],
    );
  });

  it('the event history reads well: activity and timer summaries', async () => {
    const history = await handle(A).fetchHistory();
    const summaries = (history.events ?? [])
      .map((e) => e.userMetadata?.summary)
      .filter((p) => p)
      .map((p) => defaultPayloadConverter.fromPayload<string>(p!));
    const seen = [...new Set(summaries)].join(' | ');
    for (const want of [
      `withdraw ${A.cidr} at Cloudflare`,
      `advertise ${A.cidr} at Cloudflare`,
      `read live state ${A.cidr}`,
    ])
      assert.ok(summaries.includes(want), `${want} in: ${seen}`);
    assert.ok(
      summaries.some((s) => /^wait \d+(ms|s)$/.test(s)),
      `a cycle timer in: ${seen}`,
    );
    assert.ok(
      summaries.some((s) => s === `measure dropped traffic ${A.cidr}`),
      `a measurement in: ${seen}`,
    );
  });

  it('worker down: status falls back to Cloudflare and the database and says so; changes are refused unsent', async () => {
    const peakBefore = (await status(B)).peak!;
    await worker.kill('SIGTERM');
    const patches = fx.cf.stats.patches().length;
    // Each waits for the workflows' answer until its deadline: run them together.
    const [json, table, hold] = await Promise.all([
      mtctl(['status', '--json']),
      mtctl(['status']),
      mtctl(['hold', B.cidr]),
    ]);
    expectExit(json, 0, 'status --json without a worker');
    const doc = JSON.parse(json.out) as { source: string; note: string; prefixes: Array<Record<string, unknown>> };
    assert.equal(doc.source, 'fallback');
    // Depending on timing, the deadline or the server's own "no poller" answer comes first: both say why.
    assert.match(
      doc.note,
      /live workflow state unavailable \((no answer within 5s \(is the worker running\?\)|.*no poller seen .*worker may be down)\)/,
    );
    const byCidr = new Map(doc.prefixes.map((p) => [p.cidr, p]));
    assert.deepEqual(
      [byCidr.get(B.cidr)?.source, byCidr.get(B.cidr)?.advertised, byCidr.get(B.cidr)?.underAttack],
      ['cloudflare+database', true, true],
      'B as the worker last recorded it',
    );
    assert.equal(byCidr.get(R.cidr)?.advertised, false);
    assert.ok(byCidr.get(R.cidr)?.lastWithdraw, 'the last withdraw comes from the database');
    // Only the workflow knows about holds: unknown, not "no". The peak is the one the worker last recorded.
    assert.equal(byCidr.get(B.cidr)?.held, null);
    const peak = byCidr.get(B.cidr)?.peak as { packets: number; mbps: number; systems: string[]; bits: unknown };
    const recorded = rows(
      'SELECT last_attack_packets AS packets, last_attack_mbps AS mbps FROM prefix_calm_status WHERE prefix = ?',
      B.cidr,
    )[0]!;
    assert.deepEqual(
      [peak.packets, peak.mbps, peak.systems, peak.bits],
      [recorded.packets, recorded.mbps, ['dosd'], null],
    );
    assert.ok(peak.packets >= peakBefore.packets, `peak ${peak.packets} vs ${peakBefore.packets} before the kill`);
    assert.equal(byCidr.get(N.cidr)?.peak, null, 'no peak for a prefix that is not advertised');
    expectExit(table, 0, 'status without a worker');
    assert.match(table.out, /NOTE: live workflow state unavailable/);
    assert.match(
      table.out,
      new RegExp(
        `^${B.cidr.replace(/\./g, '\\.')}\\s+BGP\\s+yes\\s+no\\s+under_attack\\s.*\\s${peak.packets} pkts [\\d.]+ Mbps\\s+-\\s+\\?$`,
        'm',
      ),
      'peak shown, HELD unknown',
    );

    expectExit(hold, 1, 'hold without a worker');
    assert.match(hold.err, /cannot reach the workflow of 185\.54\.80\.0\/24: .*nothing was sent/);
    assert.equal(fx.cf.stats.patches().length, patches);
  });

  it('worker down and Cloudflare failing: status and check say they could not do their job (exit 1)', async () => {
    // Cloudflare's REST API down too: nothing can tell what is advertised.
    let fault = fx.cf.faults.add({ kind: 'http_5xx', match: { graphql: false }, forMs: 120_000 });
    const [blind, blindCheck] = await Promise.all([mtctl(['status', '--json']), mtctl(['check'])]);
    fx.cf.faults.remove(fault);
    expectExit(blind, 1, 'status with neither workflows nor Cloudflare');
    assert.match(blind.err, /^mtctl: could not read the state of 9 of 9 prefix\(es\) \(.*\)\n$/);
    const doc = JSON.parse(blind.out) as { prefixes: Array<{ state: string; advertised: unknown; locked: unknown }> };
    // Nothing is claimed that nobody could read: not advertised or not, not locked or not.
    assert.deepEqual(
      new Set(doc.prefixes.map((p) => JSON.stringify([p.state, p.advertised, p.locked]))),
      new Set(['["unknown",null,null]']),
    );
    expectExit(blindCheck, 1, 'check with Cloudflare down');
    assert.match(blindCheck.err, /^mtctl: check incomplete: Cloudflare could not be read for 9 of 9 prefix\(es\)\n$/);

    // Only the dropped-traffic query fails: every verdict would be "unknown", which is no verdict.
    fault = fx.cf.faults.add({ kind: 'graphql_error', match: { graphql: true }, forMs: 120_000 });
    const noTraffic = await mtctl(['check', '--json']);
    fx.cf.faults.remove(fault);
    expectExit(noTraffic, 1, 'check with the GraphQL query failing');
    assert.match(
      noTraffic.err,
      /^mtctl: check incomplete: the dropped-traffic query failed \(.+\): the \d+ advertised/,
    );
    const report = JSON.parse(noTraffic.out) as { failed: boolean; problem: string; lines: Array<{ verdict: string }> };
    assert.equal(report.failed, true);
    assert.deepEqual(new Set(report.lines.map((l) => l.verdict)), new Set(['freeze', 'nothing']));

    // One parent prefix unreadable: the others are checked, and the command still fails.
    fault = fx.cf.faults.add({ kind: 'http_5xx', match: { path: '/prefixes/p6/bgp/prefixes' }, forMs: 120_000 });
    const partial = await mtctl(['check']);
    fx.cf.faults.remove(fault);
    expectExit(partial, 1, 'check with one parent unreadable');
    assert.match(partial.out, /2a02:4460:1::\/48 \(DMZv6\)\s+cannot read it at Cloudflare/);
    assert.match(partial.out, /185\.54\.80\.0\/24 \(BGP\)\s+under attack/);
    assert.match(partial.err, /^mtctl: check incomplete: Cloudflare could not be read for 1 of 9 prefix\(es\)\n$/);
  });

  it('no secret in anything mtctl printed', () => {
    const printed = allOutput.join('\n');
    assert.ok(printed.length > 1000);
    for (const secret of [CF_TOKEN, TG_TOKEN, TG_TOKEN.split(':')[1]!])
      assert.ok(!printed.includes(secret), 'a secret was printed');
  });
});
