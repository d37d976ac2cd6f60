// Resident memory and CPU of a process and its descendants, read from /proc (Linux), sampled on an interval.
import { readFileSync, readdirSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on Linux.

function children(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // gone
  }
  return out;
}

function tree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...children(all[i]!));
  return all;
}

function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function cpuTicks(pid: number): number {
  try {
    // Fields after the command (which may hold spaces) start after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime
  } catch {
    return 0;
  }
}

export interface ProcSample {
  rssBytes: number;
  cpuSeconds: number;
}

/** RSS (summed over the process tree) and cumulative CPU seconds, or null once the process is gone. */
export function sampleProcess(pid: number): ProcSample | null {
  const pids = tree(pid);
  const rss = pids.map(rssBytes);
  if (rss[0] === 0) return null;
  return {
    rssBytes: rss.reduce((a, b) => a + b, 0),
    cpuSeconds: pids.map(cpuTicks).reduce((a, b) => a + b, 0) / CLOCK_TICKS,
  };
}

export interface ProcWatch {
  /** Largest RSS seen since the last mark. */
  maxRssBytes(): number;
  /** Starts a new measurement window (max RSS and CPU from now). */
  mark(): void;
  /** CPU use since the last mark, as a share of one core (1.0 = one core busy). */
  cpuCores(): number;
  lastRssBytes(): number;
  stop(): void;
}

export function watchProcess(pid: number, everyMs = 1000): ProcWatch {
  let max = 0;
  let last = 0;
  let markCpu = 0;
  let markAt = Date.now();
  let lastCpu = 0;
  let lastAt = Date.now();
  const tick = (): void => {
    const s = sampleProcess(pid);
    if (!s) return;
    last = s.rssBytes;
    max = Math.max(max, s.rssBytes);
    lastCpu = s.cpuSeconds;
    lastAt = Date.now();
  };
  tick();
  markCpu = lastCpu;
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return {
    maxRssBytes: () => max,
    lastRssBytes: () => last,
    mark() {
      tick();
      max = last;
      markCpu = lastCpu;
      markAt = lastAt;
    },
    cpuCores() {
      tick();
      return lastAt > markAt ? (lastCpu - markCpu) / ((lastAt - markAt) / 1000) : 0;
    },
    stop: () => clearInterval(timer),
  };
}
