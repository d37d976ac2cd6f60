// Runs mtctl in-process (same code path as bin/mtctl.js) with a given environment, capturing output and exit code.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { runMtctl } from '../../src/client/mtctl';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

function sink(chunks: string[]): Writable {
  return new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
}

/** Every output mtctl produced in this process (to check that no secret is ever printed). */
export const allOutput: string[] = [];

/** Sets process.env (what mtctl reads: config, Temporal envconfig) for a suite; returns the undo. */
export function useEnv(env: Record<string, string | undefined>): () => void {
  const saved = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return () => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  };
}

/** A terminal the operator types `text` into (what a confirmation prompt reads). */
function terminal(text: string): Readable & { isTTY: boolean } {
  return Object.assign(Readable.from([text]), { isTTY: true });
}

/**
 * Runs mtctl in this process. Overrides apply to this call only: calls that overlap (a race) must not use them.
 * Standard input is not a terminal unless `typed` is given: then it is one, and that is what the operator types.
 */
export async function mtctl(
  args: string[],
  overrides: Record<string, string | undefined> = {},
  opts: { typed?: string } = {},
): Promise<CliRun> {
  const undo = Object.keys(overrides).length > 0 ? useEnv(overrides) : () => undefined;
  const out: string[] = [];
  const err: string[] = [];
  try {
    const io = {
      out: sink(out),
      err: sink(err),
      in: opts.typed === undefined ? Object.assign(Readable.from([]), { isTTY: false }) : terminal(opts.typed),
    };
    const code = await runMtctl(args, io);
    const run = { code, out: out.join(''), err: err.join('') };
    allOutput.push(run.out, run.err);
    return run;
  } finally {
    undo();
  }
}

/** The real executable, as an operator runs it. */
export function mtctlProcess(args: string[], env: Record<string, string>): Promise<CliRun> {
  const root = resolve(__dirname, '..', '..');
  const proc = spawn(process.execPath, [resolve(root, 'bin', 'mtctl.js'), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  const err: string[] = [];
  proc.stdout.on('data', (c: Buffer) => out.push(c.toString()));
  proc.stderr.on('data', (c: Buffer) => err.push(c.toString()));
  return new Promise((done) =>
    proc.on('exit', (code) => {
      const run = { code: code ?? -1, out: out.join(''), err: err.join('') };
      allOutput.push(run.out, run.err);
      done(run);
    }),
  );
}
