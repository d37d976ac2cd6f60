// Runs worker.ts as a real child process (as systemd would), captures its output and can SIGKILL it.
// The child never reads a developer's ./.env (MT_AUTOWITHDRAW_NO_DOTENV=1): tests see only the settings they give.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { NO_DOTENV } from '../../src/config/dotenv';

const ROOT = resolve(__dirname, '..', '..');
/** tsx's loader by absolute path, so the child may run in any working directory. */
const TSX = require.resolve('tsx');

export interface WorkerProcess {
  proc: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** The environment of a test's child process: PATH, HOME, the no-.env switch, then the test's own settings. */
export function childEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', [NO_DOTENV]: '1', ...env };
}

/** node arguments that run a repository script (worker.ts by default) from any working directory. */
export function scriptArgs(script = 'worker.ts', args: string[] = []): string[] {
  return ['--import', TSX, resolve(ROOT, script), ...args];
}

export function startWorkerProcess(
  env: Record<string, string>,
  opts: { script?: string; args?: string[]; cwd?: string } = {},
): WorkerProcess {
  const chunks: string[] = [];
  const proc = spawn(process.execPath, scriptArgs(opts.script, opts.args), {
    cwd: opts.cwd ?? ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.on('data', (c: Buffer) => chunks.push(c.toString()));
  proc.stderr?.on('data', (c: Buffer) => chunks.push(c.toString()));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return {
    proc,
    output: () => chunks.join(''),
    exited,
    async kill(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}
