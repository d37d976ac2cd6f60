// .env.example is the template of ./.env and of the systemd EnvironmentFile: it names every setting the code reads
// (ours, the embedded server's and the SDK's envconfig), names nothing the code does not read, and uses only lines
// that systemd and Node parse the same way.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { DEFAULTS, loadConfig } from '../../src/config';
import { WORKER_TUNING_DEFAULTS } from '../../src/config/worker-tuning';

const ROOT = resolve(__dirname, '..', '..');
const text = readFileSync(join(ROOT, '.env.example'), 'utf8');
const lines = text.split('\n');

/** NAME=value lines, active or commented out ("# NAME=value"). */
function assignments(): Array<{ name: string; value: string; active: boolean }> {
  return lines.flatMap((l) => {
    const m = /^(# )?([A-Z][A-Z0-9_]*)=(.*)$/.exec(l);
    return m ? [{ name: m[2]!, value: m[3]!, active: m[1] === undefined }] : [];
  });
}

/** Environment variable names read in these source files: env.NAME, env['NAME'] and port('NAME', …) calls. */
function namesReadIn(files: string[]): string[] {
  const out = new Set<string>();
  for (const f of files) {
    const src = readFileSync(join(ROOT, f), 'utf8');
    for (const m of src.matchAll(/\benv(?:\.|\[\s*')([A-Z][A-Z0-9_]+)|\bport\(\s*'([A-Z][A-Z0-9_]+)'/g))
      out.add(m[1] ?? m[2]!);
  }
  return [...out];
}

/** The variables @temporalio/envconfig reads (its own source is the list). */
function envconfigNames(): string[] {
  const dir = join(ROOT, 'node_modules', '@temporalio', 'envconfig', 'lib');
  const src = readdirSync(dir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
  return [...new Set([...src.matchAll(/'(TEMPORAL_[A-Z_]+)'/g)].map((m) => m[1]!))];
}

// Read by code, but not settings of a deployment: test tooling only.
const NOT_SETTINGS = new Set(['TEMPORAL_TEST_SERVER_PATH']);

describe('.env.example', () => {
  const named = new Set(assignments().map((a) => a.name));
  const configFiles = readdirSync(join(ROOT, 'src', 'config')).map((f) => join('src', 'config', f));
  const read = [
    ...Object.keys(DEFAULTS),
    ...Object.keys(WORKER_TUNING_DEFAULTS),
    ...namesReadIn([...configFiles, 'src/runtime/embedded-server.ts', 'src/runtime/temporal-binaries.ts']),
  ].filter((n) => !NOT_SETTINGS.has(n));

  it('names every setting the configuration, the embedded server and the binaries lookup read', () => {
    for (const n of ['SHADOW_MODE', 'METRICS_PORT', 'METRICS_HOST', 'TEMPORAL_DB_FILE', 'TEMPORAL_PORT'])
      assert.ok(read.includes(n), `the scan finds ${n}`);
    assert.deepEqual(
      [...new Set(read)].filter((n) => !named.has(n)),
      [],
      'settings missing from .env.example',
    );
  });

  it("names every variable of the SDK's envconfig (gRPC metadata by example)", () => {
    const missing = envconfigNames().filter((n) =>
      n.endsWith('_') ? ![...named].some((m) => m.startsWith(n)) : !named.has(n),
    );
    assert.ok(envconfigNames().includes('TEMPORAL_API_KEY'), 'the envconfig scan works');
    assert.deepEqual(missing, []);
  });

  it('names nothing the code does not read (no stale or misspelt settings), each once', () => {
    const known = new Set([...read, ...envconfigNames()]);
    const unknown = [...named].filter(
      (n) => !known.has(n) && !envconfigNames().some((p) => p.endsWith('_') && n.startsWith(p)),
    );
    assert.deepEqual(unknown, []);
    const names = assignments().map((a) => a.name);
    assert.deepEqual(
      names.filter((n, i) => names.indexOf(n) !== i),
      [],
      'a setting shown twice',
    );
  });

  it('only plain NAME=value lines: no quotes, backslashes or export, so systemd and Node agree', () => {
    for (const [i, l] of lines.entries()) {
      if (l === '' || l.startsWith('#')) continue;
      assert.match(l, /^[A-Z][A-Z0-9_]*=[^'"\\`$]*$/, `line ${i + 1}: ${l}`);
    }
    const node = parseEnv(text);
    const plain = Object.fromEntries(assignments().flatMap((a) => (a.active ? [[a.name, a.value]] : [])));
    assert.deepEqual(node, plain);
  });

  it('as it stands it is a valid configuration (only the placeholders to replace)', () => {
    const env = parseEnv(text);
    assert.deepEqual(Object.keys(env).sort(), ['CLOUDFLARE_ACCOUNT_ID', 'CLOUDFLARE_API_TOKEN']);
    const config = loadConfig({ ...env, PREFIX_MAPPING_FILE: join(ROOT, 'config', 'prefix_mapping.example.json') });
    assert.equal(config.shadow, false);
    assert.equal(config.metrics, null);
  });
});
