// mtctl reads MTCTL_ENV_FILE (e.g. the demo's data/demo/demo.env) instead of ./.env; a missing file is bad input;
// tests switch ./.env off.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

/** Builds a CLI context in a fresh process (loading an env file changes process.env for good). */
function inChild(env: Record<string, string>, cwd = ROOT): { status: number | null; stdout: string; stderr: string } {
  const script = `
    const { createCliContext, CliError } = require(${JSON.stringify(join(ROOT, 'src/client/context'))});
    const ctx = createCliContext({ out: process.stdout, err: process.stderr });
    try {
      const c = ctx.config();
      console.log(JSON.stringify({ account: c.cloudflare.accountId, queue: c.taskQueue, address: process.env.TEMPORAL_ADDRESS }));
    } catch (err) {
      console.error(err.name + ' ' + err.exitCode + ' ' + err.message);
      process.exit(err instanceof CliError ? err.exitCode : 1);
    }`;
  return spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), '-e', script], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
  });
}

describe('mtctl MTCTL_ENV_FILE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtaw-mtctl-env-'));
  const mapping = join(dir, 'prefix_mapping.json');
  writeFileSync(mapping, JSON.stringify({ '192.0.2.0/24': { parent_prefix_id: 'p', bgp_prefix_id: 'b' } }));
  const envFile = join(dir, 'demo.env');
  writeFileSync(
    envFile,
    [
      'CLOUDFLARE_ACCOUNT_ID=0de0de0de0de0de0de0de0de0de0de00',
      'CLOUDFLARE_API_TOKEN=demo-token-value',
      `PREFIX_MAPPING_FILE=${mapping}`,
      'TEMPORAL_ADDRESS=127.0.0.1:7243',
      'TEMPORAL_TASK_QUEUE=mt-autowithdraw-demo',
      '',
    ].join('\n'),
  );

  it('takes its settings from the file it names', () => {
    const r = inChild({ MTCTL_ENV_FILE: envFile });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      account: '0de0de0de0de0de0de0de0de0de0de00',
      queue: 'mt-autowithdraw-demo',
      address: '127.0.0.1:7243',
    });
  });

  it('variables already set in the shell win over the file', () => {
    const r = inChild({ MTCTL_ENV_FILE: envFile, TEMPORAL_TASK_QUEUE: 'from-shell' });
    assert.equal((JSON.parse(r.stdout) as { queue: string }).queue, 'from-shell');
  });

  it('reads ./.env without MTCTL_ENV_FILE, and not with MT_AUTOWITHDRAW_NO_DOTENV=1 (how tests run it)', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mtaw-mtctl-dotenv-'));
    copyFileSync(envFile, join(cwd, '.env'));
    const newcomer = inChild({}, cwd);
    assert.equal(newcomer.status, 0, newcomer.stderr);
    assert.equal((JSON.parse(newcomer.stdout) as { queue: string }).queue, 'mt-autowithdraw-demo');
    const test = inChild({ MT_AUTOWITHDRAW_NO_DOTENV: '1' }, cwd);
    assert.notEqual(test.status, 0, test.stdout);
    assert.match(test.stderr, /CLOUDFLARE_ACCOUNT_ID/);
  });

  it('a missing file is bad input (exit 2), named in the error', () => {
    const r = inChild({ MTCTL_ENV_FILE: join(dir, 'nope.env') });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /MTCTL_ENV_FILE=.*nope\.env: no such file/);
  });
});
