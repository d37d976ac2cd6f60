// The demo's own persistent state under its data directory: scenario start, sessions, Cloudflare's prefix state,
// the PATCH log and the Telegram messages, so a second `npm run demo` resumes exactly where the first stopped.
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PatchLogEntry } from '../simulators/cloudflare';
import type { Interval } from './expectations';

export interface SavedPrefix {
  bgpPrefixId: string;
  advertised: boolean;
  locked: boolean;
  advertisedModifiedAtMs: number | null;
}

export interface DemoSession {
  startedAtMs: number;
  /** When the worker and supervisor were up. */
  readyAtMs: number | null;
  /** Last time this session was known alive (updated while it runs; a crash leaves the last value). */
  aliveAtMs: number;
  stoppedAtMs: number | null;
}

export interface DemoState {
  version: 1;
  /** Scenario start; null until the worker first protects the advertised prefixes. */
  t0Ms: number | null;
  sessions: DemoSession[];
  prefixes: SavedPrefix[];
  patches: PatchLogEntry[];
}

export interface SavedMessage {
  atMs: number;
  text: string;
}

export const STATE_FILE = 'scenario.json';
export const MESSAGES_FILE = 'telegram.jsonl';

export class DemoStateError extends Error {
  override readonly name = 'DemoStateError';
}

export function loadState(dir: string): DemoState | null {
  const file = join(dir, STATE_FILE);
  if (!existsSync(file)) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DemoStateError(`${file} is damaged (${(err as Error).message}); run with --reset to start over`);
  }
  const s = json as Partial<DemoState>;
  if (s.version !== 1 || !Array.isArray(s.sessions) || !Array.isArray(s.prefixes) || !Array.isArray(s.patches)) {
    throw new DemoStateError(
      `${file} is not a demo state file this version understands; run with --reset to start over`,
    );
  }
  return s as DemoState;
}

/** Written whole to a temporary file and renamed: a crash never leaves half a file. */
export function saveState(dir: string, state: DemoState): void {
  const file = join(dir, STATE_FILE);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 1)}\n`);
  renameSync(`${file}.tmp`, file);
}

export function appendMessage(dir: string, m: SavedMessage): void {
  appendFileSync(join(dir, MESSAGES_FILE), `${JSON.stringify(m)}\n`);
}

export function loadMessages(dir: string): SavedMessage[] {
  const file = join(dir, MESSAGES_FILE);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as SavedMessage];
      } catch {
        return []; // a line cut short by a crash
      }
    });
}

/** Stretches when no worker measured: from a session's end (or last sign of life) to the next one being ready. */
export function downtime(state: DemoState): Interval[] {
  const out: Interval[] = [];
  for (let i = 1; i < state.sessions.length; i++) {
    const prev = state.sessions[i - 1]!;
    const next = state.sessions[i]!;
    const fromMs = prev.stoppedAtMs ?? prev.aliveAtMs;
    const untilMs = next.readyAtMs ?? next.aliveAtMs;
    if (untilMs > fromMs) out.push({ fromMs, untilMs });
  }
  return out;
}
