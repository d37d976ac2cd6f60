// worker.ts refusing to start: settings it cannot use end it with exit 2 (systemd does not restart it) and one message
// naming the setting and file; secrets never reach the output; a developer's ./.env stays out of the tests' workers.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorkerProcess } from '../helpers/worker-process';

const TOKEN = 'cf-token-0123456789abcdef';
const API_KEY = 'tmprl-api-key-9f8e7d6c5b4a';

describe('worker.ts start-up errors', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'mtaw-startup-'));
  const mapping = join(dir, 'prefix_mapping.json');
  writeFileSync(mapping, JSON.stringify({ '192.0.2.0/24': { parent_prefix_id: 'p1', bgp_prefix_id: 'b1' } }));
  const env = (over: Record<string, string> = {}): Record<string, string> => ({
    CLOUDFLARE_ACCOUNT_ID: 'abc123',
    CLOUDFLARE_API_TOKEN: TOKEN,
    PREFIX_MAPPING_FILE: mapping,
    DATABASE_PATH: join(dir, 'db', 'magic_transit.db'),
    // Never reached: each case stops before connecting. No temporal.toml of the developer either.
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    TEMPORAL_CONFIG_FILE: join(dir, 'none.toml'),
    TEMPORAL_API_KEY: API_KEY,
    LOG_LEVEL: 'info',
    ...over,
  });
  async function run(e: Record<string, string>, cwd?: string): Promise<{ code: number | null; out: string }> {
    const p = startWorkerProcess(e, { cwd });
    const code = await p.exited;
    return { code, out: p.output() };
  }

  let busy: Server;
  let busyPort: number;
  before(async () => {
    busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    busyPort = (busy.address() as { port: number }).port;
  });
  after(() => busy.close());

  it('METRICS_PORT in use: exit 2 (not a restart loop), naming METRICS_PORT', async () => {
    const { code, out } = await run(env({ METRICS_PORT: String(busyPort) }));
    assert.equal(code, 2, out);
    assert.match(
      out,
      new RegExp(`cannot start: METRICS_PORT=${busyPort}: 127\\.0\\.0\\.1:${busyPort} is already in use`),
    );
    assert.doesNotMatch(out, /fatal:/);
  });

  it('an unusable DATABASE_PATH: exit 2, naming the setting and the file', async () => {
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, 'a file where a directory should be');
    const path = join(blocker, 'magic_transit.db');
    const { code, out } = await run(env({ DATABASE_PATH: path }));
    assert.equal(code, 2, out);
    assert.ok(out.includes(`cannot start: DATABASE_PATH=${path}: cannot open the records database`), out);
  });

  it('a directory as DATABASE_PATH (SQLite: "unable to open database file"): exit 2, naming both', async () => {
    const path = join(dir, 'a-directory');
    mkdirSync(path);
    const { code, out } = await run(env({ DATABASE_PATH: path }));
    assert.equal(code, 2, out);
    assert.ok(
      out.includes(`DATABASE_PATH=${path}: cannot open the records database: unable to open database file`),
      out,
    );
  });

  it('secrets quoted by an error are redacted, before the logger exists and through it', async () => {
    // Before the logger: a configuration error quoting the Temporal API key (here as part of a file name).
    const early = await run(env({ PREFIX_MAPPING_FILE: join(dir, `${API_KEY}.json`) }));
    assert.equal(early.code, 2, early.out);
    assert.match(early.out, /^mt-autowithdraw: cannot start: .*\[redacted\]\.json/m);
    // Through the logger: the records database path quoting the Cloudflare token.
    writeFileSync(join(dir, 'blocker'), '');
    const late = await run(env({ DATABASE_PATH: join(dir, 'blocker', TOKEN, 'x.db') }));
    assert.equal(late.code, 2, late.out);
    assert.match(late.out, /"level":60.*cannot start: DATABASE_PATH=.*\[redacted\]/);
    for (const out of [early.out, late.out]) {
      assert.ok(!out.includes(API_KEY), out);
      assert.ok(!out.includes(TOKEN), out);
    }
  });

  it('the webhook receiver scrubs its cannot-start line the same way', async () => {
    const p = startWorkerProcess(
      env({ WEBHOOK_SECRET: 'whsec-0123456789', PREFIX_MAPPING_FILE: join(dir, 'whsec-0123456789.json') }),
      { script: 'src/webhooks/main.ts' },
    );
    assert.equal(await p.exited, 2, p.output());
    assert.match(p.output(), /^webhook-receiver: cannot start: .*\[redacted\]\.json/m);
    assert.ok(!p.output().includes('whsec-0123456789'), p.output());
  });

  it("ignores a ./.env in its working directory when the tests' helper starts it", async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mtaw-dotenv-'));
    writeFileSync(join(cwd, '.env'), 'LOG_LEVEL=loud\nCLOUDFLARE_ACCOUNT_ID=fromdotenv\n');
    const without = env();
    // Settings the environment gives win over the file's, so these two are left for .env to provide.
    delete without.CLOUDFLARE_ACCOUNT_ID;
    delete without.LOG_LEVEL;
    const helper = await run(without, cwd);
    assert.equal(helper.code, 2, helper.out);
    assert.match(helper.out, /CLOUDFLARE_ACCOUNT_ID is not set/);
    assert.doesNotMatch(helper.out, /LOG_LEVEL/);
    // The same start without the switch (a newcomer's `npm start`) does read it — so the switch is what protects.
    const newcomer = await run({ ...without, MT_AUTOWITHDRAW_NO_DOTENV: '' }, cwd);
    assert.equal(newcomer.code, 2, newcomer.out);
    assert.match(newcomer.out, /LOG_LEVEL=loud: must be one of/);
    assert.doesNotMatch(newcomer.out, /CLOUDFLARE_ACCOUNT_ID is not set/);
  });
});
