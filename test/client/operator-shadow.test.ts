// `mtctl status` against a worker in shadow mode (dev server, loopback Cloudflare, SQLite): the table and --json say
// so, and show when each prefix would have been withdrawn; nothing is ever PATCHed.
import assert from 'node:assert/strict';
import { eventually } from '../helpers/temporal';
import { expectExit, prefix, startCliWorld, type CliWorld } from './cli-world';
import { mtctl } from './harness';

const X = prefix('185.54.81.0/24', 'DMZ', 'x81');
const Y = prefix('185.54.80.0/24', 'BGP', 'y80');

interface JsonRow {
  cidr: string;
  state: string;
  advertised: boolean;
  shadow: boolean | null;
  shadowWithdrawnAt: string | null;
  shadowWithdrawnAtMs: number | null;
  shadowNote: string | null;
}

describe('mtctl status in shadow mode (dev server, worker process with SHADOW_MODE=1, loopback Cloudflare)', function () {
  this.timeout(120_000);
  let w: CliWorld;
  let endX: () => void;

  before(async () => {
    w = await startCliWorld({
      prefixes: [X, Y],
      attacked: [Y],
      calmPeriod: '3s',
      workerEnv: { SHADOW_MODE: '1' },
      taskQueue: 'cli-shadow',
    });
    endX = w.attack(X);
    await eventually(
      async () => ((await w.status(X)).underAttack && (await w.status(Y)).underAttack ? true : undefined),
      { what: 'X and Y under attack' },
    );
  });
  after(async () => w?.close());

  const json = async (): Promise<{ shadowMode: boolean; prefixes: JsonRow[] }> => {
    const run = await mtctl(['status', '--json']);
    expectExit(run, 0, 'status --json');
    return JSON.parse(run.out) as { shadowMode: boolean; prefixes: JsonRow[] };
  };

  it('under attack: shadow mode is named in the table and in --json, with no shadow withdraw yet', async () => {
    const table = await mtctl(['status']);
    expectExit(table, 0, 'status');
    assert.match(table.out, /^185\.54\.80\.0\/24\s+BGP\s+yes\s+no\s+under_attack\s.*shadow: after attack/m);
    assert.match(
      table.out,
      /^NOTE: SHADOW MODE: the worker decides and records as usual but changes nothing at Cloudflare$/m,
    );
    assert.doesNotMatch(table.out, /SHADOW: would have withdrawn/);
    const doc = await json();
    assert.equal(doc.shadowMode, true);
    for (const p of doc.prefixes)
      assert.deepEqual([p.shadow, p.shadowWithdrawnAtMs, p.shadowNote], [true, null, null], p.cidr);
  });

  it('calm for the calm period: "SHADOW: would have withdrawn at …", and the prefix stays advertised', async () => {
    endX();
    const st = await eventually(
      async () => {
        const s = await w.status(X);
        return s.shadowWithdrawnAtMs !== null ? s : undefined;
      },
      { what: 'the shadow withdraw of X' },
    );
    const at = new Date(st.shadowWithdrawnAtMs!).toISOString().slice(11, 19);
    const table = await mtctl(['status']);
    expectExit(table, 0, 'status');
    assert.match(table.out, /^185\.54\.81\.0\/24\s+DMZ\s+yes\s+no\s+\S+\s.*shadow: done/m);
    assert.match(
      table.out,
      new RegExp(
        `^185\\.54\\.81\\.0/24: SHADOW: would have withdrawn at ${at} UTC, .*; nothing was changed at Cloudflare$`,
        'm',
      ),
    );
    const x = (await json()).prefixes.find((p) => p.cidr === X.cidr)!;
    assert.equal(x.shadowWithdrawnAtMs, st.shadowWithdrawnAtMs);
    assert.equal(x.shadowWithdrawnAt, new Date(st.shadowWithdrawnAtMs!).toISOString());
    assert.match(x.shadowNote ?? '', new RegExp(`^SHADOW: would have withdrawn at ${at} UTC`));
    assert.equal(x.advertised, true);
    assert.deepEqual(w.fx.cf.stats.patches(), [], 'nothing PATCHed in shadow mode');
    // Shadow decisions are recorded in withdrawal_history alone (attack_events keeps real withdraws only).
    const history = await eventually(
      () => {
        const r = w.rows('SELECT status, withdraw_method FROM withdrawal_history WHERE prefix = ?', X.cidr);
        return r.length > 0 ? r : undefined;
      },
      { what: 'the shadow withdraw record' },
    );
    assert.deepEqual(history, [{ status: 'shadow', withdraw_method: 'autowithdraw_daemon' }]);
  });

  it('a manual withdraw in shadow mode says what would have happened and changes nothing at Cloudflare', async () => {
    const run = await mtctl(['withdraw', X.cidr]);
    expectExit(run, 0, 'withdraw in shadow mode');
    assert.match(
      run.out,
      /^SHADOW MODE: 185\.54\.81\.0\/24 \(DMZ\) would have been withdrawn now \(\d{14}-withdraw\); nothing changed at Cloudflare\n$/,
    );
    assert.deepEqual(w.fx.cf.stats.patches(), []);
  });
});
