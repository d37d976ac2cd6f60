// `npm run demo` as a newcomer runs it: started, interrupted with Ctrl-C mid-incident (everything must stop, nothing
// left running), started again with --until-done (it must resume, play the incident to its end and pass every check).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DemoState } from '../../src/demo/state-file';
import { isPortFree } from '../../src/runtime/free-port';
import { eventually } from '../helpers/temporal';

const ROOT = resolve(__dirname, '..', '..');

interface Run {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** `npm run demo -- …` in its own process group, the way a terminal runs it (Ctrl-C goes to the whole group). */
function npmRunDemo(args: string[]): Run {
  const chunks: string[] = [];
  const child = spawn('npm', ['run', '--silent', 'demo', '--', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout?.on('data', (c: Buffer) => chunks.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => chunks.push(c.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, output: () => chunks.join(''), exited };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm run demo (dev server, simulators, worker; interrupted, then resumed to the end)', function () {
  this.timeout(480_000);
  const dir = mkdtempSync(join(tmpdir(), 'mtaw-demo-'));
  const runs: Run[] = [];
  const children: number[] = [];

  after(async () => {
    for (const r of runs) {
      if (r.child.exitCode === null && r.child.signalCode === null) {
        try {
          process.kill(-r.child.pid!, 'SIGKILL');
        } catch {
          // gone
        }
        await r.exited;
      }
    }
    for (const pid of children) if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const state = (): DemoState => JSON.parse(readFileSync(join(dir, 'scenario.json'), 'utf8')) as DemoState;

  it('Ctrl-C mid-incident stops the worker, the simulators and the Temporal server, keeping the state', async () => {
    const run = npmRunDemo(['--free-ports', '--data-dir', dir]);
    runs.push(run);
    await eventually(() => (/\[\+2s\] attack begins/.test(run.output()) ? true : undefined), {
      timeoutMs: 150_000,
      intervalMs: 500,
      what: `the incident to begin; output so far:\n${run.output()}`,
    });
    const { worker, temporal, ports } = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as {
      worker: number;
      temporal: number;
      ports: { temporalPort: number; uiPort: number; metricsPort: number };
    };
    children.push(worker, temporal);
    assert.ok(alive(worker) && alive(temporal));
    assert.match(run.output(), new RegExp(`Temporal Web UI  http://127\\.0\\.0\\.1:${ports.uiPort}/`));
    assert.match(run.output(), /MTCTL_ENV_FILE=\S+demo\.env npm run mtctl -- status/);

    process.kill(-run.child.pid!, 'SIGINT');
    await run.exited;
    assert.match(run.output(), /Everything is stopped\. State kept in/);
    assert.ok(!alive(worker), 'the worker is gone');
    assert.ok(!alive(temporal), 'the Temporal server is gone');
    for (const port of [ports.temporalPort, ports.uiPort, ports.metricsPort])
      assert.ok(await isPortFree('127.0.0.1', port), `port ${port} is free again`);
    assert.ok(!existsSync(join(dir, 'run.json')));
    const s = state();
    assert.ok(s.t0Ms !== null);
    assert.equal(s.sessions.length, 1);
    assert.ok(s.sessions[0]!.stoppedAtMs !== null);
    assert.ok(existsSync(join(dir, 'temporal.db')) && existsSync(join(dir, 'magic_transit.db')));
  });

  it('npm run demo -- --until-done resumes, plays the incident to its end and passes every check', async () => {
    const t0 = state().t0Ms;
    const run = npmRunDemo(['--until-done', '--free-ports', '--data-dir', dir]);
    runs.push(run);
    const code = await run.exited;
    const out = run.output();
    assert.equal(code, 0, out.slice(-6000));
    assert.match(out, /resuming the scenario saved/);
    assert.match(out, /All \d+ expected outcomes happened\./);
    assert.doesNotMatch(out, /✗/);
    for (const text of [
      /shop 203\.0\.113\.0\/24: withdrawn once at/,
      /api 2001:db8:a::\/48: withdrawn once at/,
      /mail 2001:db8:b::\/48: withdrawn once at/,
      /core 198\.51\.100\.0\/24 \(locked\): never PATCHed/,
      /nothing PATCHed while the analytics were dark/,
    ])
      assert.match(out, text);
    // Telegram messages were printed readably as they arrived.
    assert.match(out, /📨 .*\n {3}.*\n {3}.*PREFIX AUTO-WITHDRAWN/);
    const s = state();
    assert.equal(s.t0Ms, t0, 'the same scenario, not a new one');
    assert.equal(s.sessions.length, 2);
    assert.equal(s.patches.filter((p) => p.advertised === false && p.outcome === 'changed').length, 3);
  });
});
