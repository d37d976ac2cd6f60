// What an operator (or an attacker) can read after a run: every workflow history as `temporal workflow show --output
// json` prints it and as the client's fetchHistory returns it (payload bytes decoded), and mtctl's output.
import { execFile } from 'node:child_process';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { runMtctl } from '../../../src/client/mtctl';
import { NO_DOTENV } from '../../../src/config/dotenv';
import { temporalCliPath } from '../../../src/runtime/temporal-binaries';

const run = promisify(execFile);

export interface Artifacts {
  /** One entry per execution (every run of every workflow). */
  histories: Array<{ workflowId: string; runId: string; cli: string; decoded: string }>;
  mtctl: Array<{ args: string[]; code: number; out: string; err: string }>;
}

/** Replaces every byte array (payload data) by its UTF-8 text and every base64 `data` string by its decoding. */
export function decodePayloads(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (Array.isArray(value)) return value.map(decodePayloads);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if ((k === 'data' || k === 'encoding') && typeof v === 'string' && /^[A-Za-z0-9+/]+=*$/.test(v)) {
        out[k] = Buffer.from(v, 'base64').toString('utf8');
      } else out[k] = decodePayloads(v);
    }
    return out;
  }
  return value;
}

export async function exportHistories(client: Client, address: string): Promise<Artifacts['histories']> {
  const cli = temporalCliPath();
  if (!cli) throw new Error('the temporal CLI is not installed (npm run setup)');
  const out: Artifacts['histories'] = [];
  for await (const wf of client.workflow.list()) {
    const { stdout } = await run(
      cli,
      [
        'workflow',
        'show',
        '--workflow-id',
        wf.workflowId,
        '--run-id',
        wf.runId,
        '--output',
        'json',
        '--address',
        address,
      ],
      // The CLI must not pick up the worker's TEMPORAL_* settings (API key, TLS) from this process.
      { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' }, maxBuffer: 64 * 1024 * 1024 },
    );
    const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    out.push({
      workflowId: wf.workflowId,
      runId: wf.runId,
      cli: `${stdout}\n${JSON.stringify(decodePayloads(JSON.parse(stdout)))}`,
      decoded: JSON.stringify(decodePayloads(history)),
    });
  }
  return out;
}

function sink(chunks: string[]): Writable {
  return new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
}

/** mtctl in this process with the run's settings (process.env is set for the call and put back afterwards). */
export async function mtctlOutputs(env: Record<string, string>, commands: string[][]): Promise<Artifacts['mtctl']> {
  const saved = { ...process.env };
  Object.assign(process.env, env, { [NO_DOTENV]: '1' });
  const results: Artifacts['mtctl'] = [];
  try {
    for (const args of commands) {
      const out: string[] = [];
      const err: string[] = [];
      const io = { out: sink(out), err: sink(err) } as unknown as Parameters<typeof runMtctl>[1];
      const code = await runMtctl(args, io);
      results.push({ args, code, out: out.join(''), err: err.join('') });
    }
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
  return results;
}
