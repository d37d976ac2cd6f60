// The receiver, retention and monitor settings: defaults, off switches, the secret redacted, bad values named.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';

const dir = mkdtempSync(join(tmpdir(), 'mtaw-alert-settings-'));
const mapping = join(dir, 'mapping.json');
writeFileSync(
  mapping,
  JSON.stringify({ '185.54.81.0/24': { parent_prefix_id: 'p1', bgp_prefix_id: 'b1', description: 'DMZ' } }),
);
const env = (over: Record<string, string | undefined> = {}) => ({
  CLOUDFLARE_ACCOUNT_ID: '9035f53656c247e895c5a6939ae8a0e0',
  CLOUDFLARE_API_TOKEN: 'cf-token-secret-value',
  PREFIX_MAPPING_FILE: mapping,
  ...over,
});

function problems(over: Record<string, string>): string[] {
  try {
    loadConfig(env(over));
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  return assert.fail('expected a ConfigError');
}

describe('alert ingestion settings', () => {
  it('defaults: receiver on loopback :8080 /webhook/cloudflare 256 KiB, 30 d / 90 d retention, 5 min monitor over 15 min', () => {
    const c = loadConfig(env());
    assert.deepEqual(c.webhook, {
      secret: null,
      host: '127.0.0.1',
      port: 8080,
      path: '/webhook/cloudflare',
      maxBodyBytes: 262_144,
      trustProxy: [],
    });
    assert.deepEqual(c.retention, {
      webhooksMs: 30 * 86_400_000,
      attackEventsMs: 90 * 86_400_000,
      networkEventsMs: null,
    });
    assert.deepEqual(c.monitor, { intervalMs: 300_000, lookbackMs: 900_000 });
  });

  it('the webhook secret joins the redacted secrets; off disables the monitor and a retention', () => {
    const c = loadConfig(
      env({
        WEBHOOK_SECRET: 'whsec-value-123',
        WEBHOOK_MAX_BODY: '64kb',
        WEBHOOK_TRUST_PROXY: 'loopback, 10.0.0.0/8, 192.0.2.1',
        MONITOR_INTERVAL: 'off',
        RETENTION_WEBHOOKS: 'off',
        RETENTION_NETWORK_EVENTS: '180d',
      }),
    );
    assert.equal(c.webhook.secret, 'whsec-value-123');
    assert.ok(c.secrets.includes('whsec-value-123'));
    assert.equal(c.webhook.maxBodyBytes, 65_536);
    assert.deepEqual(c.webhook.trustProxy, ['loopback', '10.0.0.0/8', '192.0.2.1']);
    assert.equal(c.monitor.intervalMs, null);
    assert.equal(c.retention.webhooksMs, null);
    assert.equal(c.retention.networkEventsMs, 180 * 86_400_000);
  });

  it('names every bad value', () => {
    const p = problems({
      WEBHOOK_PORT: '70000',
      WEBHOOK_MAX_BODY: 'huge',
      WEBHOOK_PATH: 'webhook',
      WEBHOOK_TRUST_PROXY: 'my-proxy',
      RETENTION_ATTACK_EVENTS: '90',
      MONITOR_INTERVAL: '10s',
    });
    assert.equal(p.length, 6, p.join('\n'));
    for (const name of [
      'WEBHOOK_PORT',
      'WEBHOOK_MAX_BODY',
      'WEBHOOK_PATH',
      'WEBHOOK_TRUST_PROXY',
      'RETENTION_ATTACK_EVENTS',
      'MONITOR_INTERVAL',
    ])
      assert.ok(
        p.some((x) => x.includes(name)),
        name,
      );
  });
});
