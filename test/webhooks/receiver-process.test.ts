// The receiver as operators run it (npm run webhook-receiver, a child process): refuses to start without a secret,
// stores a webhook while Temporal is unreachable, and stops cleanly on SIGTERM with the webhook on disk.
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { startFixture, type Fixture } from '../helpers/fixture';
import { eventually } from '../helpers/temporal';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';

const SECRET = 'whsec-process-7c1e9a3b5d';
const SCRIPT = 'src/webhooks/main.ts';

describe('webhook receiver process', function () {
  this.timeout(60_000);
  let fx: Fixture;
  const procs: WorkerProcess[] = [];

  before(async () => {
    fx = await startFixture({
      prefixes: [
        { cidr: '185.54.81.0/24', description: 'DMZ', parentPrefixId: 'p4', bgpPrefixId: 'b81', advertised: true },
      ],
    });
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    await fx?.close();
  });

  it('exits 2 with one clear line when WEBHOOK_SECRET is not set', async () => {
    const p = startWorkerProcess({ ...fx.env, WEBHOOK_PORT: '0' }, { script: SCRIPT });
    procs.push(p);
    assert.equal(await p.exited, 2);
    assert.match(p.output(), /cannot start: WEBHOOK_SECRET is not set/);
  });

  it('stores webhooks with Temporal down, logs no secret, and stops on SIGTERM with exit code 0', async () => {
    const p = startWorkerProcess(
      {
        ...fx.env,
        // The receiver needs no Cloudflare credentials.
        CLOUDFLARE_API_TOKEN: '',
        WEBHOOK_SECRET: SECRET,
        WEBHOOK_PORT: '0',
        TEMPORAL_ADDRESS: '127.0.0.1:1',
        LOG_LEVEL: 'info',
      },
      { script: SCRIPT },
    );
    procs.push(p);
    const url = await eventually(() => /"url":"(http:\/\/[^"]+)"/.exec(p.output())?.[1], { what: 'listening line' });
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'cf-webhook-auth': SECRET, 'content-type': 'application/json' },
      body: JSON.stringify({
        alert_type: 'advanced_ddos_attack_l4_alert',
        alert_event: 'ALERT_STATE_EVENT_START',
        data: { attack_id: 'process-attack', target_ip: '185.54.81.9', attack_vector: 'ACK Flood' },
      }),
    });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { stored: boolean }).stored, true);
    assert.equal(await p.kill('SIGTERM'), 0);
    assert.match(p.output(), /webhook receiver stopped/);
    assert.ok(!p.output().includes(SECRET));
    const db = new Database(fx.databasePath, { readonly: true });
    try {
      const row = db
        .prepare(`SELECT target_prefix, processed FROM webhook_events WHERE alert_id = 'process-attack'`)
        .get();
      assert.deepEqual(row, { target_prefix: '185.54.81.0/24', processed: 0 });
    } finally {
      db.close();
    }
  });
});
