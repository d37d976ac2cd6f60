// Workflow bundle cache: keyed by every source file, built once and reused, stored atomically, pruned, and never
// blocking a start when the cache directory cannot be written.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { bundleKey, cachedWorkflowBundle, type BundleKeyInputs } from '../../src/runtime/workflow-bundle';

const logger = pino({ level: 'silent' });
const workflowsPath = require.resolve('../../src/workflows');

describe('workflow bundle cache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtaw-bundle-'));
  const src = join(dir, 'src');
  mkdirSync(join(src, 'domain'), { recursive: true });
  writeFileSync(join(src, 'a.ts'), 'export const a = 1;\n');
  writeFileSync(join(src, 'domain', 'b.ts'), 'export const b = 2;\n');
  writeFileSync(join(dir, 'lock.json'), '{}');
  const inputs = (extra = 'sdk@1'): BundleKeyInputs => ({
    roots: [src],
    files: [join(dir, 'lock.json')],
    extra: [extra],
  });

  it('the key changes with any source file, a new file, the lockfile or the SDK version, and only then', () => {
    const k0 = bundleKey(inputs());
    assert.equal(bundleKey(inputs()), k0);
    const edits: Array<[string, () => void]> = [
      ['an edited file', () => writeFileSync(join(src, 'domain', 'b.ts'), 'export const b = 3;\n')],
      ['a new file', () => writeFileSync(join(src, 'domain', 'c.ts'), 'export const c = 4;\n')],
      ['the lockfile', () => writeFileSync(join(dir, 'lock.json'), '{"x":1}')],
    ];
    const keys = new Set([k0]);
    for (const [what, edit] of edits) {
      edit();
      const k = bundleKey(inputs());
      assert.ok(!keys.has(k), what);
      keys.add(k);
    }
    assert.ok(!keys.has(bundleKey(inputs('sdk@2'))), 'the SDK version');
  });

  it('builds once, then reads the same file; a new key builds a new bundle; old ones are pruned', async function () {
    this.timeout(180_000);
    const cacheDir = join(dir, 'cache');
    const first = await cachedWorkflowBundle({ workflowsPath, cacheDir, logger, keyInputs: inputs('v1') });
    assert.equal(first.hit, false);
    assert.equal(first.storeError, null);
    assert.ok('codePath' in first.bundle);
    const code = readFileSync(first.bundle.codePath, 'utf8');
    assert.match(code, /PrefixProtection/);
    assert.match(code, /ProtectionSupervisor/);

    const again = await cachedWorkflowBundle({ workflowsPath, cacheDir, logger, keyInputs: inputs('v1') });
    assert.deepEqual([again.hit, again.bundle], [true, first.bundle]);

    // Stand-ins for older bundles (building each would take seconds): only the newest are kept.
    for (const k of ['aa', 'bb', 'cc', 'dd']) writeFileSync(join(cacheDir, `workflows-${k.repeat(12)}.js`), 'x');
    const other = await cachedWorkflowBundle({ workflowsPath, cacheDir, logger, keyInputs: inputs('v2') });
    assert.equal(other.hit, false);
    assert.ok('codePath' in other.bundle && other.bundle.codePath !== first.bundle.codePath);
    const left = readdirSync(cacheDir);
    assert.equal(left.length, 3, left.join(', '));
    assert.ok(
      left.every((f) => /^workflows-[0-9a-f]{24}\.js$/.test(f)),
      'no temporary files left behind',
    );
  });

  it('a cache directory that cannot be created still yields the bundle (in memory) and says why', async function () {
    this.timeout(180_000);
    // A file where the directory should be: fails for every user, root included.
    writeFileSync(join(dir, 'not-a-dir'), '');
    const r = await cachedWorkflowBundle({
      workflowsPath,
      cacheDir: join(dir, 'not-a-dir', 'cache'),
      logger,
      keyInputs: inputs('v3'),
    });
    assert.equal(r.hit, false);
    assert.ok('code' in r.bundle && r.bundle.code.includes('PrefixProtection'));
    assert.match(r.storeError ?? '', /ENOTDIR|EEXIST/);
  });
});
