// Locates the Temporal CLI and time-skipping test server installed by scripts/ensure-temporal.mjs (or given by env).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const TOOLS = join(ROOT, '.tools', 'temporal');

/** The path ensure-temporal.mjs settled on for a tool (e.g. a `temporal` found on PATH), if it wrote one. */
function recorded(tool: 'cli' | 'testServer'): string | undefined {
  try {
    const state = JSON.parse(readFileSync(join(TOOLS, 'state.json'), 'utf8')) as Record<string, { path?: string }>;
    return state[tool]?.path;
  } catch {
    return undefined;
  }
}

export type ServerExecutable = { type: 'existing-path'; path: string } | { type: 'cached-download' };

function firstExisting(candidates: Array<string | undefined>): string | null {
  return candidates.find((p): p is string => Boolean(p) && existsSync(p as string)) ?? null;
}

/** The `temporal` CLI (dev server); null when neither installed nor configured. */
export function temporalCliPath(): string | null {
  return firstExisting([
    process.env.TEMPORAL_CLI_PATH,
    recorded('cli'),
    join(TOOLS, 'py', 'bin', 'temporal'),
    join(TOOLS, 'go', 'bin', 'temporal'),
  ]);
}

/** The Java time-skipping test server; null when neither installed nor configured. */
export function testServerPath(): string | null {
  return firstExisting([
    process.env.TEMPORAL_TEST_SERVER_PATH,
    recorded('testServer'),
    join(TOOLS, 'py', 'bin', 'temporal-test-server'),
  ]);
}

/** For TestWorkflowEnvironment: our binary when present, else the SDK's own download (needs internet). */
export function devServerExecutable(): ServerExecutable {
  const path = temporalCliPath();
  return path ? { type: 'existing-path', path } : { type: 'cached-download' };
}

export function timeSkippingExecutable(): ServerExecutable {
  const path = testServerPath();
  return path ? { type: 'existing-path', path } : { type: 'cached-download' };
}
