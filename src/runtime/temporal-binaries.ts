// Locates the Temporal CLI and time-skipping test server installed by scripts/ensure-temporal.mjs (or given by env).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const TOOLS = join(ROOT, '.tools', 'temporal');

export type ServerExecutable = { type: 'existing-path'; path: string } | { type: 'cached-download' };

function firstExisting(candidates: Array<string | undefined>): string | null {
  return candidates.find((p): p is string => Boolean(p) && existsSync(p as string)) ?? null;
}

/** The `temporal` CLI (dev server); null when neither installed nor configured. */
export function temporalCliPath(): string | null {
  return firstExisting([
    process.env.TEMPORAL_CLI_PATH,
    join(TOOLS, 'py', 'bin', 'temporal'),
    join(TOOLS, 'go', 'bin', 'temporal'),
  ]);
}

/** The Java time-skipping test server; null when neither installed nor configured. */
export function testServerPath(): string | null {
  return firstExisting([process.env.TEMPORAL_TEST_SERVER_PATH, join(TOOLS, 'py', 'bin', 'temporal-test-server')]);
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
