// Configuration is validated once: a bad value stops start-up with a message naming the setting or file.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parsePrefixMapping, policyFor } from '../../src/config';
import { secretValues } from '../../src/config/secrets';

const dir = mkdtempSync(join(tmpdir(), 'mtaw-config-'));
function mappingFile(content: unknown): string {
  const path = join(dir, `mapping-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}
const goodMapping = {
  '185.54.81.0/24': { parent_prefix_id: 'p1', bgp_prefix_id: 'b1', description: 'DMZ' },
  '2A02:4460:0001:0000::/48': { parent_prefix_id: 'p2', bgp_prefix_id: 'b2', description: 'DMZv6', locked: true },
};
const baseEnv = (over: Record<string, string | undefined> = {}): Record<string, string | undefined> => ({
  CLOUDFLARE_ACCOUNT_ID: '9035f53656c247e895c5a6939ae8a0e0',
  CLOUDFLARE_API_TOKEN: 'cf-token-secret-value',
  PREFIX_MAPPING_FILE: mappingFile(goodMapping),
  ...over,
});

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('configuration', () => {
  it('loads defaults: 15m calm, 60s interval, 5m lookback, AND thresholds 5000 / 10000000', () => {
    const c = loadConfig(baseEnv());
    assert.deepEqual(
      [c.policy.calmPeriodMs, c.policy.checkIntervalMs, c.policy.lookbackMs, c.policy.readvertiseCooldownMs],
      [900_000, 60_000, 300_000, 900_000],
    );
    assert.deepEqual([c.policy.minDroppedPackets, c.policy.minDroppedBits], [5000, 10_000_000]);
    assert.equal(c.cloudflare.baseUrl, 'https://api.cloudflare.com/client/v4');
    assert.equal(c.databasePath, 'db/magic_transit.db');
    assert.equal(c.telegram, null);
    assert.deepEqual(c.cloudflare.auth, { kind: 'token', token: 'cf-token-secret-value' });
    assert.deepEqual(c.secrets, ['cf-token-secret-value']);
    assert.ok(Object.isFrozen(c.policy));
  });

  it('canonicalises prefixes and keeps the operator lock', () => {
    const c = loadConfig(baseEnv());
    assert.deepEqual(
      c.prefixes.map((p) => [p.cidr, p.locked]),
      [
        ['185.54.81.0/24', false],
        ['2a02:4460:1::/48', true],
      ],
    );
  });

  it('accepts the legacy email + global key pair and Telegram settings', () => {
    const c = loadConfig(
      baseEnv({
        CLOUDFLARE_API_TOKEN: undefined,
        CLOUDFLARE_EMAIL: 'noc@example.net',
        CLOUDFLARE_API_KEY: 'global-key-value',
        TELEGRAM_BOT_TOKEN: '123456:AAbbCC-dd_ee',
        TELEGRAM_CHAT_ID: '-1001234567890',
        CLOUDFLARE_API_BASE_URL: 'http://127.0.0.1:8787/client/v4/',
      }),
    );
    assert.deepEqual(c.cloudflare.auth, { kind: 'key', email: 'noc@example.net', key: 'global-key-value' });
    assert.equal(c.cloudflare.baseUrl, 'http://127.0.0.1:8787/client/v4');
    assert.equal(c.telegram?.chatId, '-1001234567890');
    // The bot token's secret half is redacted on its own too.
    assert.deepEqual(c.secrets, ['global-key-value', '123456:AAbbCC-dd_ee', 'AAbbCC-dd_ee']);
  });

  const badEnv: Array<[string, Record<string, string | undefined>, RegExp]> = [
    ['missing account', { CLOUDFLARE_ACCOUNT_ID: undefined }, /CLOUDFLARE_ACCOUNT_ID is not set/],
    ['missing credentials', { CLOUDFLARE_API_TOKEN: undefined }, /CLOUDFLARE_API_TOKEN is not set/],
    [
      'half a key pair',
      { CLOUDFLARE_API_TOKEN: undefined, CLOUDFLARE_EMAIL: 'a@b.c' },
      /CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY/,
    ],
    ['duration without unit', { CALM_PERIOD: '15' }, /CALM_PERIOD=15: .*no unit/],
    ['garbage duration', { CHECK_INTERVAL: 'soon' }, /CHECK_INTERVAL=soon/],
    ['negative threshold', { MIN_DROPPED_PACKETS: '-5' }, /MIN_DROPPED_PACKETS=-5/],
    ['bad URL', { CLOUDFLARE_API_BASE_URL: 'ftp://x' }, /CLOUDFLARE_API_BASE_URL/],
    ['bot token without chat', { TELEGRAM_BOT_TOKEN: '1:abc' }, /TELEGRAM_CHAT_ID is not set/],
    ['bad log level', { LOG_LEVEL: 'loud' }, /LOG_LEVEL=loud/],
    [
      'missing mapping file',
      { PREFIX_MAPPING_FILE: join(dir, 'nope.json') },
      /PREFIX_MAPPING_FILE: .*nope\.json does not exist/,
    ],
  ];
  for (const [name, over, re] of badEnv) {
    it(`rejects ${name}, naming the setting`, () => {
      const problems = problemsOf(() => loadConfig(baseEnv(over)));
      assert.ok(
        problems.some((p) => re.test(p)),
        problems.join('\n'),
      );
    });
  }

  it('reports every problem at once and never echoes a secret', () => {
    const problems = problemsOf(() =>
      loadConfig(baseEnv({ CALM_PERIOD: 'x', CHECK_INTERVAL: 'y', CLOUDFLARE_ACCOUNT_ID: undefined })),
    );
    assert.equal(problems.length, 3);
    assert.ok(!problems.join(' ').includes('cf-token-secret-value'));
  });
});

describe('prefix mapping file', () => {
  it('accepts the top-level "prefixes" form and per-prefix overrides', () => {
    const entries = parsePrefixMapping(
      {
        prefixes: {
          '185.54.80.0/24': {
            parent_prefix_id: 'p',
            bgp_prefix_id: 'b1',
            description: 'BGP',
            calm_period: '20m',
            min_dropped_bits: 1,
          },
        },
      },
      'x.json',
    );
    assert.deepEqual(entries[0]?.overrides, { calmPeriodMs: 1_200_000, minDroppedBits: 1 });
    const policy = policyFor(loadConfig(baseEnv()), entries[0]);
    assert.equal(policy.calmPeriodMs, 1_200_000);
    assert.equal(policy.minDroppedPackets, 5000);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['an array', [], /expected a JSON object/],
    ['an empty object', {}, /no prefixes configured/],
    [
      'host bits set',
      { '185.54.81.5/24': { parent_prefix_id: 'p', bgp_prefix_id: 'b' } },
      /"185\.54\.81\.5\/24" is not a valid prefix/,
    ],
    ['not a prefix', { dmz: { parent_prefix_id: 'p', bgp_prefix_id: 'b' } }, /"dmz" is not a valid prefix/],
    ['missing bgp id', { '185.54.81.0/24': { parent_prefix_id: 'p' } }, /"185\.54\.81\.0\/24": bgp_prefix_id must be/],
    [
      'an over-long id',
      { '185.54.81.0/24': { parent_prefix_id: 'p'.repeat(33), bgp_prefix_id: 'b' } },
      /parent_prefix_id must be/,
    ],
    [
      'a typo in a setting',
      { '185.54.81.0/24': { parent_prefix_id: 'p', bgp_prefix_id: 'b', lockd: true } },
      /unknown setting\(s\): lockd/,
    ],
    [
      'a non-boolean lock',
      { '185.54.81.0/24': { parent_prefix_id: 'p', bgp_prefix_id: 'b', locked: 'yes' } },
      /locked must be true or false/,
    ],
    [
      'a bad calm period',
      { '185.54.81.0/24': { parent_prefix_id: 'p', bgp_prefix_id: 'b', calm_period: '15' } },
      /calm_period .*no unit/,
    ],
    [
      'overlapping prefixes',
      {
        '185.54.80.0/22': { parent_prefix_id: 'p', bgp_prefix_id: 'b1' },
        '185.54.81.0/24': { parent_prefix_id: 'p', bgp_prefix_id: 'b2' },
      },
      /"185\.54\.80\.0\/22" overlaps "185\.54\.81\.0\/24"/,
    ],
    [
      'a shared BGP prefix id',
      {
        '185.54.80.0/24': { parent_prefix_id: 'p', bgp_prefix_id: 'b1' },
        '185.54.81.0/24': { parent_prefix_id: 'p', bgp_prefix_id: 'b1' },
      },
      /share bgp_prefix_id b1/,
    ],
  ];
  for (const [name, json, re] of bad) {
    it(`rejects ${name}`, () => {
      const problems = problemsOf(() => parsePrefixMapping(json, 'mapping.json'));
      assert.ok(
        problems.some((p) => re.test(p)),
        problems.join('\n'),
      );
    });
  }

  it('rejects a file that is not JSON, naming the file', () => {
    const problems = problemsOf(() =>
      loadConfig(baseEnv({ PREFIX_MAPPING_FILE: mappingFile('{ "185.54.81.0/24": ') })),
    );
    assert.ok(
      problems.some((p) => /PREFIX_MAPPING_FILE: .*mapping-.*\.json is not valid JSON/.test(p)),
      problems.join('\n'),
    );
  });

  it('the committed example mapping is valid', () => {
    assert.equal(loadConfig(baseEnv({ PREFIX_MAPPING_FILE: 'config/prefix_mapping.example.json' })).prefixes.length, 3);
  });
});

describe('secrets for redaction', () => {
  const PEM_BODY = [
    'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7',
    'q2VtrZ0Y1mXyT9b8c7d6e5f4g3h2i1j0kLmNoPqRsTuVwXyZ',
  ];
  const pem = `-----BEGIN PRIVATE KEY-----\n${PEM_BODY.join('\n')}\n-----END PRIVATE KEY-----`;

  it('include the Temporal API key, the TLS client key (whole and line by line), codec and gRPC credentials', () => {
    const c = loadConfig(
      baseEnv({
        TEMPORAL_API_KEY: 'tmprl-api-key-value',
        TEMPORAL_TLS_CLIENT_KEY_DATA: pem,
        TEMPORAL_TLS_CLIENT_CERT_DATA: '-----BEGIN CERTIFICATE-----\npublic-certificate-body-0123456789\n-----END',
        TEMPORAL_CODEC_AUTH: 'codec-auth-value',
        TEMPORAL_GRPC_META_AUTHORIZATION: 'Bearer grpc-meta-token',
        TEMPORAL_GRPC_META_X_TENANT: 'tenant-a',
        WEBHOOK_SECRET: 'whsec-value',
      }),
    );
    for (const s of ['tmprl-api-key-value', pem, ...PEM_BODY, 'codec-auth-value', 'Bearer grpc-meta-token'])
      assert.ok(c.secrets.includes(s), `${s} is a secret`);
    assert.ok(c.secrets.includes('whsec-value'));
    // A certificate is public, and so is a plain routing header.
    assert.ok(!c.secrets.some((s) => s.includes('public-certificate-body')));
    assert.ok(!c.secrets.includes('tenant-a'));
  });

  it('are known before validation, so a configuration error can be scrubbed too', () => {
    const env = { TEMPORAL_API_KEY: 'tmprl-api-key-value', TEMPORAL_TLS_CLIENT_KEY_DATA: pem.replace(/\n/g, '\\n') };
    assert.deepEqual(secretValues(env), ['tmprl-api-key-value', pem.replace(/\n/g, '\\n'), ...PEM_BODY]);
  });

  it('a URL with credentials is rejected without repeating them', () => {
    const problems = problemsOf(() =>
      loadConfig(baseEnv({ CLOUDFLARE_API_BASE_URL: 'https://user:hunter2-password@api.example/client/v4' })),
    );
    const text = problems.join('\n');
    assert.match(text, /CLOUDFLARE_API_BASE_URL=https:\/\/\[redacted\]@api\.example\/client\/v4: not a usable URL/);
    assert.ok(!text.includes('hunter2'), text);
  });
});
