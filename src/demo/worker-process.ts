// The demo's worker: the real worker.ts as a child process, reading the demo's env file, logging to a file.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

export interface DemoWorker {
  pid: number;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  running(): boolean;
  stop(timeoutMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
let hooked = false;

export function startDemoWorker(opts: { envFile: string; logFile: string }): DemoWorker {
  const fd = openSync(opts.logFile, 'a');
  // Its own process group: a terminal's Ctrl-C reaches the demo, which stops the worker first and the server last.
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker.ts', '--config', opts.envFile], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  live.add(child);
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    });
  }
  let done = false;
  const exited = new Promise<number | null>((r) =>
    child.once('exit', (code) => {
      done = true;
      live.delete(child);
      r(code);
    }),
  );
  return {
    pid: child.pid ?? -1,
    exited,
    running: () => !done,
    async stop(timeoutMs = 20_000) {
      if (done) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The last lines of a log file, for error messages. */
export function tailOf(file: string, lines = 15): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
