// A Temporal dev server (the temporal CLI, SQLite file) that a test can SIGKILL and start again on the same file and port.
import { join } from 'node:path';
import { freePort } from '../../../src/runtime/free-port';
import { startEmbeddedServer, type EmbeddedServer } from '../../../src/runtime/embedded-server';

export interface RestartableServer {
  address: string;
  dbFile: string;
  /** Starts so far (1 after start). */
  starts: () => number;
  /** SIGKILLs the server's process group: no shutdown, whatever SQLite has committed is all that survives. */
  kill: () => Promise<void>;
  /** Starts it again on the same SQLite file and port; resolves once the namespace answers. */
  start: () => Promise<void>;
  stop: () => Promise<void>;
}

export async function startRestartableServer(dir: string): Promise<RestartableServer> {
  const port = await freePort();
  const dbFile = join(dir, 'temporal.db');
  const logFile = join(dir, 'temporal.log');
  let current: EmbeddedServer | null = null;
  let starts = 0;
  const start = async () => {
    current = await startEmbeddedServer({ dbFile, port, uiPort: null, logFile, readyTimeoutMs: 60_000 });
    starts++;
  };
  await start();
  return {
    address: `127.0.0.1:${port}`,
    dbFile,
    starts: () => starts,
    async kill() {
      const s = current;
      if (!s) return;
      current = null;
      try {
        process.kill(-s.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await s.exited;
    },
    start,
    async stop() {
      const s = current;
      current = null;
      await s?.stop();
    },
  };
}
