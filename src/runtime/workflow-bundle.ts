// Workflow bundle cache: webpack runs once per change of the code, not at every worker start (a restart saves seconds).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { Logger } from '../logger';

const ROOT = resolve(__dirname, '..', '..');
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs|json)$/;
/** Bundles kept besides the current one: a rollback to the previous code starts without webpack too. */
const KEEP = 3;

export interface BundleKeyInputs {
  /** Every source file under these directories is part of the key (all of src/: more than the workflows import). */
  roots: string[];
  /** Single files, e.g. the lockfile: a changed dependency is a different bundle. */
  files: string[];
  /** Free text, e.g. the installed SDK versions. */
  extra: string[];
}

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (SOURCE.test(name)) out.push(path);
  }
}

/** A hash of every input: any edit of any source file, the lockfile or the SDK version gives a new key. */
export function bundleKey(inputs: BundleKeyInputs): string {
  const h = createHash('sha256');
  const files: string[] = [];
  for (const root of inputs.roots) walk(root, files);
  files.push(...inputs.files);
  for (const f of files) {
    h.update(`${relative(ROOT, f)}\0`);
    h.update(readFileSync(f));
    h.update('\0');
  }
  for (const e of inputs.extra) h.update(`${e}\0`);
  return h.digest('hex');
}

function sdkVersions(): string[] {
  return ['@temporalio/worker', '@temporalio/workflow', '@temporalio/common'].map((pkg) => {
    const { version } = JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string };
    return `${pkg}@${version}`;
  });
}

export function defaultKeyInputs(): BundleKeyInputs {
  return { roots: [join(ROOT, 'src')], files: [join(ROOT, 'package-lock.json')], extra: sdkVersions() };
}

export interface CachedBundle {
  /** For WorkerOptions.workflowBundle: the cached file, or the code itself when it could not be stored. */
  bundle: { codePath: string } | { code: string };
  /** true: read from the cache; false: built now. */
  hit: boolean;
  /** Why a freshly built bundle was not stored (e.g. a read-only directory); null when it was. */
  storeError: string | null;
  ms: number;
}

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/**
 * The bundle of workflowsPath from cacheDir when its key matches, else built and stored there (written to a
 * temporary file and renamed, so a crash or a second worker never leaves a half-written bundle under the key).
 */
export async function cachedWorkflowBundle(opts: {
  workflowsPath: string;
  cacheDir: string;
  logger: Logger;
  keyInputs?: BundleKeyInputs;
}): Promise<CachedBundle> {
  const started = Date.now();
  const key = bundleKey(opts.keyInputs ?? defaultKeyInputs());
  const codePath = resolve(opts.cacheDir, `workflows-${key.slice(0, 24)}.js`);
  try {
    if (statSync(codePath).size > 0)
      return { bundle: { codePath }, hit: true, storeError: null, ms: Date.now() - started };
  } catch {
    // not cached yet
  }
  const { code } = await bundleWorkflowCode({ workflowsPath: opts.workflowsPath, logger: quiet });
  const tmp = `${codePath}.${process.pid}.${Date.now()}.tmp`;
  try {
    mkdirSync(opts.cacheDir, { recursive: true });
    writeFileSync(tmp, code);
    renameSync(tmp, codePath);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // never written
    }
    return { bundle: { code }, hit: false, storeError: (err as Error).message, ms: Date.now() - started };
  }
  prune(opts.cacheDir, codePath, opts.logger);
  return { bundle: { codePath }, hit: false, storeError: null, ms: Date.now() - started };
}

/** Keeps the newest KEEP bundles; stale temporary files of crashed writers go too. */
function prune(dir: string, current: string, logger: Logger): void {
  try {
    const entries = readdirSync(dir)
      .filter((f) => /^workflows-[0-9a-f]+\.js(\.\d+\.\d+\.tmp)?$/.test(f))
      .map((f) => ({ path: join(dir, f), mtimeMs: statSync(join(dir, f)).mtimeMs, tmp: f.endsWith('.tmp') }));
    const old = Date.now() - 3_600_000;
    const bundles = entries.filter((e) => !e.tmp && e.path !== current).sort((a, b) => b.mtimeMs - a.mtimeMs);
    for (const e of [...bundles.slice(KEEP - 1), ...entries.filter((x) => x.tmp && x.mtimeMs < old)])
      unlinkSync(e.path);
  } catch (err) {
    logger.debug(`workflow bundle cache: could not prune ${dir}: ${(err as Error).message}`);
  }
}

/** The worker's workflow code option: the cached bundle, or (cache off, or it failed) the SDK bundling at start. */
export async function workflowCodeOption(
  cacheDir: string | null,
  workflowsPath: string,
  logger: Logger,
): Promise<{ workflowBundle: CachedBundle['bundle'] } | { workflowsPath: string }> {
  if (cacheDir === null) return { workflowsPath };
  try {
    const cached = await cachedWorkflowBundle({ workflowsPath, cacheDir, logger });
    if (cached.storeError) logger.warn(`workflow bundle not cached in ${cacheDir}: ${cached.storeError}`);
    logger.info(
      { ms: cached.ms, cached: cached.hit, path: 'codePath' in cached.bundle ? cached.bundle.codePath : null },
      cached.hit ? 'workflow bundle read from the cache' : 'workflow bundle built',
    );
    return { workflowBundle: cached.bundle };
  } catch (err) {
    logger.warn(`workflow bundle cache failed (${(err as Error).message}); bundling in the worker`);
    return { workflowsPath };
  }
}
