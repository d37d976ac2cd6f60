// The scenario's own processes: worker.ts (restartable, killable) and the webhook receiver, their output kept.
import { startWorkerProcess, type WorkerProcess } from '../../helpers/worker-process';

export interface WorkerPool {
  /** Spawns a new worker.ts process (the previous one must be gone). */
  start(): WorkerProcess;
  current(): WorkerProcess | null;
  /** SIGKILL (default) or SIGTERM the current worker and wait for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Resolves once the current worker logged that it is polling. */
  ready(timeoutMs?: number): Promise<void>;
  /** Every worker's output, in start order. */
  output(): string;
  starts(): number;
  kills(): number;
  stop(): Promise<void>;
}

const READY_LINE = 'worker starting';

export function createWorkerPool(env: Record<string, string>): WorkerPool {
  const all: WorkerProcess[] = [];
  let current: WorkerProcess | null = null;
  let kills = 0;
  return {
    start() {
      current = startWorkerProcess(env);
      all.push(current);
      return current;
    },
    current: () => current,
    async kill(signal = 'SIGKILL') {
      const w = current;
      current = null;
      if (!w) return;
      if (signal === 'SIGKILL') kills++;
      await w.kill(signal);
    },
    async ready(timeoutMs = 60_000) {
      const w = current;
      if (!w) throw new Error('no worker running');
      const deadline = Date.now() + timeoutMs;
      while (!w.output().includes(READY_LINE)) {
        if (w.proc.exitCode !== null)
          throw new Error(`worker exited (${w.proc.exitCode}):\n${w.output().slice(-3000)}`);
        if (Date.now() > deadline) throw new Error(`worker not ready in ${timeoutMs} ms:\n${w.output().slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    output: () => all.map((w, i) => `--- worker ${i + 1} ---\n${w.output()}`).join('\n'),
    starts: () => all.length,
    kills: () => kills,
    async stop() {
      await Promise.all(all.map((w) => w.kill('SIGTERM')));
      current = null;
    },
  };
}

export interface ReceiverProcess {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** `npm run webhook-receiver` as a process: its port comes from WEBHOOK_PORT in env. */
export async function startReceiverProcess(env: Record<string, string>): Promise<ReceiverProcess> {
  const proc = startWorkerProcess(env, { script: 'src/webhooks/main.ts' });
  const deadline = Date.now() + 60_000;
  while (!proc.output().includes('webhook receiver listening')) {
    if (proc.proc.exitCode !== null) throw new Error(`webhook receiver exited:\n${proc.output()}`);
    if (Date.now() > deadline) throw new Error(`webhook receiver did not start:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `http://${env.WEBHOOK_HOST ?? '127.0.0.1'}:${env.WEBHOOK_PORT}${env.WEBHOOK_PATH ?? '/webhook/cloudflare'}`,
    output: () => proc.output(),
    async stop() {
      await proc.kill('SIGTERM');
    },
  };
}
