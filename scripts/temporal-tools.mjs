// Where the Temporal binaries live and which one each tool resolved to: shared by ensure-temporal.mjs (which
// writes the record) and temporal-dev.mjs; src/runtime/temporal-binaries.ts reads the same record.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** TEMPORAL_TOOLS_DIR moves it (the installer's own tests use a scratch directory). */
export const toolsDir = process.env.TEMPORAL_TOOLS_DIR
  ? resolve(process.env.TEMPORAL_TOOLS_DIR)
  : join(root, '.tools', 'temporal');
export const pyDir = join(toolsDir, 'py');
export const goBin = join(toolsDir, 'go', 'bin');
/** { pins, cli: { path, route }, testServer: { path, route }, failed: { pypi?, go? } } */
export const stateFile = join(toolsDir, 'state.json');

export function readToolState() {
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8'));
  } catch {
    return {};
  }
}

/** The CLI to run: the environment's, then what the installer recorded, then the usual install places. */
export function cliPath() {
  const recorded = readToolState().cli?.path;
  return (
    [process.env.TEMPORAL_CLI_PATH, recorded, join(pyDir, 'bin', 'temporal'), join(goBin, 'temporal')].find(
      (p) => p && existsSync(p),
    ) ?? null
  );
}
