// `mtctl withdraw --all` end to end (dev server, worker process, loopback Cloudflare, SQLite): no confirmation, no
// withdraw; --yes withdraws every advertised unlocked prefix through its workflow, skips the locked ones and says so;
// nothing to send means no question; an unreadable state is an error, never "nothing to withdraw".
import assert from 'node:assert/strict';
import { eventually } from '../helpers/temporal';
import { expectExit, prefix, startCliWorld, type CliWorld } from './cli-world';
import { mtctl, mtctlProcess } from './harness';

const E1 = prefix('185.54.90.0/24', 'Edge one', 'e90');
const E2 = prefix('185.54.91.0/24', 'Edge two', 'e91');
const AT = prefix('185.54.92.0/24', 'Attacked', 'a92');
const LK = prefix('2a02:4460:9::/48', 'Locked v6', 'l9', { locked: true });
const SP = prefix('185.54.94.0/24', 'Spare', 's94', { advertised: false });
const ALL = [E1, E2, AT, LK, SP];

describe('mtctl withdraw --all (dev server, worker process, loopback Cloudflare, SQLite)', function () {
  this.timeout(120_000);
  let w: CliWorld;

  before(async () => {
    w = await startCliWorld({ prefixes: ALL, attacked: [AT], taskQueue: 'cli-withdraw-all' });
    await eventually(async () => ((await w.status(AT)).underAttack ? true : undefined), { what: 'AT under attack' });
  });
  after(async () => w?.close());

  const patched = (): Array<[string | null, boolean]> =>
    w.fx.cf.stats.patches().map((p) => [p.cidr, p.advertised] as [string | null, boolean]);
  async function unchanged(args: string[], run: () => Promise<void>): Promise<void> {
    const before = await w.footprint(ALL);
    await run();
    assert.deepEqual(await w.footprint(ALL), before, `${args.join(' ')} changed nothing`);
  }

  it('check (before anything is withdrawn): a locked or held prefix is never counted down to an auto-withdraw', async () => {
    expectExit(await mtctl(['hold', E2.cidr]), 0, 'hold E2');
    const run = await mtctl(['check', '--json']);
    expectExit(await mtctl(['resume', E2.cidr]), 0, 'resume E2');
    expectExit(run, 0, 'check');
    const verdicts = new Map(
      (JSON.parse(run.out) as { lines: Array<{ cidr: string; verdict: string; text: string }> }).lines.map((l) => [
        l.cidr,
        l,
      ]),
    );
    assert.equal(verdicts.get(E1.cidr)?.verdict, 'wait');
    assert.match(verdicts.get(E1.cidr)?.text ?? '', /would keep waiting; auto-withdraw after/);
    assert.equal(verdicts.get(LK.cidr)?.verdict, 'blocked:locked');
    assert.match(verdicts.get(LK.cidr)?.text ?? '', /→ locked: it is never auto-withdrawn$/);
    assert.equal(verdicts.get(E2.cidr)?.verdict, 'blocked:held');
    assert.equal(verdicts.get(AT.cidr)?.verdict, 'reset');
    assert.equal(verdicts.get(SP.cidr)?.verdict, 'nothing');
  });

  it('without a terminal and without --yes: refused (exit 2), nothing withdrawn', async () => {
    const args = ['withdraw', '--all'];
    await unchanged(args, async () => {
      const run = await mtctl(args);
      expectExit(run, 2, 'withdraw --all, stdin not a terminal');
      assert.match(
        run.err,
        /^mtctl: refusing to withdraw 3 prefix\(es\) without confirmation \(stdin is not a terminal\): add --yes\n$/,
      );
      assert.match(run.out, /^skipping 2a02:4460:9::\/48 \(Locked v6\): locked$/m);
      // The real executable, as from a cron job or a pipe.
      const real = await mtctlProcess(args, w.fx.env);
      expectExit(real, 2, 'bin/mtctl.js withdraw --all');
      assert.match(real.err, /without confirmation \(stdin is not a terminal\): add --yes/);
    });
  });

  it('at a terminal: asks, naming every prefix (under attack said so); anything but "yes" withdraws nothing', async () => {
    const args = ['withdraw', '--all'];
    await unchanged(args, async () => {
      const run = await mtctl(args, {}, { typed: 'y\n' });
      expectExit(run, 2, 'withdraw --all answered "y"');
      assert.match(
        run.err,
        /Withdraw 3 prefix\(es\): 185\.54\.90\.0\/24 \(Edge one\), 185\.54\.91\.0\/24 \(Edge two\), 185\.54\.92\.0\/24 \(Attacked, UNDER ATTACK\)\? Type "yes" to confirm: /,
      );
      assert.match(run.err, /mtctl: not confirmed: nothing was withdrawn\n$/);
    });
  });

  it('--yes: withdraws every advertised unlocked prefix, skips the locked one, reports the refused one (exit 3)', async () => {
    const run = await mtctl(['withdraw', '--all', '--yes', '--reason', 'incident closed']);
    expectExit(run, 3, 'withdraw --all --yes');
    assert.match(run.out, /^skipping 2a02:4460:9::\/48 \(Locked v6\): locked$/m);
    assert.match(run.out, /^185\.54\.90\.0\/24 \(Edge one\) withdrawn: event \d{14}-withdraw; advertise available at/m);
    assert.match(run.out, /^185\.54\.91\.0\/24 \(Edge two\) withdrawn: event \d{14}-withdraw; advertise available at/m);
    assert.match(run.err, /^mtctl: 185\.54\.92\.0\/24: 185\.54\.92\.0\/24 is under attack/m);
    assert.match(run.out, /^2 of 3 withdrawn, 1 refused, 1 skipped \(locked\)$/m);
    assert.doesNotMatch(run.err, /Type "yes"/, '--yes asks nothing');
    assert.deepEqual(patched().sort(), [
      [E1.cidr, false],
      [E2.cidr, false],
    ]);
    assert.deepEqual(
      w.rows("SELECT prefix, action_taken FROM attack_events WHERE event_type = 'WITHDRAW' ORDER BY prefix"),
      [
        { prefix: E1.cidr, action_taken: 'withdrawn_manual' },
        { prefix: E2.cidr, action_taken: 'withdrawn_manual' },
      ],
    );
  });

  it('nothing left that can be withdrawn: says so and asks nothing (exit 0)', async () => {
    // E1 and E2 end their cooldown (their workflows end); AT is locked at Cloudflare: only locked ones are advertised.
    for (const p of [E1, E2])
      await eventually(
        async () =>
          (await w.env.client.workflow.getHandle(`protect-${p.cidr}`).describe()).status.name === 'COMPLETED'
            ? true
            : undefined,
        { what: `${p.cidr} protection ended after its cooldown` },
      );
    w.fx.cf.state.set(AT.bgpPrefixId, { locked: true });
    await eventually(async () => ((await w.status(AT)).locked ? true : undefined), { what: 'AT seen locked' });
    const args = ['withdraw', '--all'];
    await unchanged(args, async () => {
      const run = await mtctl(args, {}, { typed: 'yes\n' });
      expectExit(run, 0, 'withdraw --all with nothing to withdraw');
      assert.match(run.out, /skipping 185\.54\.92\.0\/24 \(Attacked\): locked/);
      assert.match(run.out, /^no advertised, unlocked prefix: nothing to withdraw$/m);
      assert.equal(run.err, '', 'no question asked');
    });
  });

  it('worker down, then Cloudflare too: an error naming what could not be read (exit 1), never "nothing to withdraw"', async () => {
    w.fx.cf.state.set(AT.bgpPrefixId, { locked: false });
    await eventually(async () => ((await w.status(AT)).locked ? undefined : true), { what: 'AT unlocked' });
    await w.worker.kill('SIGTERM');
    const args = ['withdraw', '--all', '--yes'];
    await unchanged(args, async () => {
      // Cloudflare says AT is advertised and unlocked, but its workflow cannot be reached: nothing can be sent.
      const unreachable = await mtctl(args, {}, { typed: 'yes\n' });
      expectExit(unreachable, 1, 'withdraw --all, worker down');
      assert.match(unreachable.err, /^mtctl: 185\.54\.92\.0\/24: advertised, but its workflow cannot be reached: /m);
      assert.match(unreachable.err, /^mtctl: nothing was withdrawn: 1 of 5 prefix\(es\) could not be read or reached/m);
      assert.doesNotMatch(unreachable.out + unreachable.err, /nothing to withdraw|Type "yes"/);

      const fault = w.fx.cf.faults.add({ kind: 'http_5xx', match: { graphql: false }, forMs: 120_000 });
      try {
        const blind = await mtctl(['withdraw', '--all'], {}, { typed: 'yes\n' });
        expectExit(blind, 1, 'withdraw --all, worker and Cloudflare down');
        for (const p of ALL)
          assert.match(
            blind.err,
            new RegExp(`mtctl: ${p.cidr.replace(/\./g, '\\.')}: cannot tell whether it is advertised: `),
          );
        assert.match(blind.err, /^mtctl: nothing was withdrawn: 5 of 5 prefix\(es\) could not be read or reached/m);
        assert.doesNotMatch(blind.out + blind.err, /nothing to withdraw|Type "yes"/);
      } finally {
        w.fx.cf.faults.remove(fault);
      }
    });
  });
});
