// worker.ts refuses a wrong flag or a missing env file with one clear line and exit code 2, before touching anything.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { NO_DOTENV } from '../../src/config/dotenv';

const ROOT = resolve(__dirname, '..', '..');

function worker(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'worker.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    // No ./.env of the developer's: the flags alone decide.
    env: { PATH: process.env.PATH ?? '', [NO_DOTENV]: '1' },
    timeout: 30_000,
  });
}

describe('worker.ts flags', () => {
  it('an unknown flag: exit 2, naming it, with the usage', () => {
    const r = worker(['--shadwo']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^mt-autowithdraw: cannot start: Unknown option '--shadwo'/);
    assert.match(r.stderr, /usage: worker\.ts \[--shadow\] \[--config <file>\] \[--embedded-temporal\]/);
  });

  it('--config naming a missing file: exit 2', () => {
    const r = worker(['--config', '/nonexistent/mt.env']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /cannot start: --config \/nonexistent\/mt\.env: no such file/);
  });

  it('--help prints the usage and exits 0', () => {
    const r = worker(['--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /--embedded-temporal/);
  });
});
