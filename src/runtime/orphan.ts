// Finds and stops an embedded Temporal server a SIGKILLed parent left behind, and never touches any other process.
import { spawnSync } from 'node:child_process';
import { readFileSync, unlinkSync } from 'node:fs';

/** The command line of a running process, as argv; null when it is gone or cannot be read. */
export function processArgs(pid: number): string[] | null {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((a) => a !== '');
  } catch {
    // No /proc (macOS): ps shows the arguments joined by spaces, which is enough for the comparison below.
    if (process.platform === 'linux') return null;
    const r = spawnSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' });
    const line = r.status === 0 ? r.stdout.trim() : '';
    return line ? line.split(/\s+/) : null;
  }
}

/** True only for `temporal server start-dev … --db-filename <dbFile> …`: the server that owns this very file. */
export function isOurDevServer(args: readonly string[], dbFile: string): boolean {
  const i = args.indexOf('start-dev');
  if (i < 1 || args[i - 1] !== 'server') return false;
  const f = args.indexOf('--db-filename', i);
  return f > 0 && args[f + 1] === dbFile;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, but another user's, so certainly not a server we started.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Alive and not a zombie (an exited process its new parent has not reaped yet has an empty command line). */
export function isRunning(pid: number): boolean {
  return alive(pid) && (processArgs(pid)?.length ?? 0) > 0;
}

function forget(pidFile: string): void {
  try {
    unlinkSync(pidFile);
  } catch {
    // already gone
  }
}

/**
 * Reads the pid file; when that pid is still our dev server for dbFile, stops it (its process group: it was started
 * detached) and returns its pid. A dead pid, a reused pid or an unreadable file only drops the stale pid file.
 */
export async function stopOrphanedServer(pidFile: string, dbFile: string, graceMs = 10_000): Promise<number | null> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid || !alive(pid)) {
    forget(pidFile);
    return null;
  }
  const args = processArgs(pid);
  if (!args || !isOurDevServer(args, dbFile)) {
    forget(pidFile);
    return null;
  }
  const signal = (s: NodeJS.Signals): void => {
    try {
      process.kill(-pid, s);
    } catch {
      try {
        process.kill(pid, s);
      } catch {
        // gone meanwhile
      }
    }
  };
  const waitGone = async (ms: number): Promise<boolean> => {
    const deadline = Date.now() + ms;
    while (isRunning(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    return !isRunning(pid);
  };
  signal('SIGTERM');
  if (!(await waitGone(graceMs))) {
    signal('SIGKILL');
    await waitGone(5_000);
  }
  forget(pidFile);
  return pid;
}
