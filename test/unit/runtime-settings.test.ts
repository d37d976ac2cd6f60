// Deployment settings read at the edge: METRICS_PORT / METRICS_HOST and the embedded Temporal server's variables.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';
import { DEFAULT_EMBEDDED_DB_FILE, embeddedServerSettings, SEARCH_ATTRIBUTES } from '../../src/runtime/embedded-server';

describe('deployment settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtaw-settings-'));
  const mapping = join(dir, 'prefix_mapping.json');
  writeFileSync(mapping, JSON.stringify({ '192.0.2.0/24': { parent_prefix_id: 'p', bgp_prefix_id: 'b' } }));
  const base = { CLOUDFLARE_ACCOUNT_ID: 'abc123', CLOUDFLARE_API_TOKEN: 'token-value', PREFIX_MAPPING_FILE: mapping };

  describe('METRICS_PORT / METRICS_HOST', () => {
    it('metrics are off unless METRICS_PORT is set', () => {
      assert.equal(loadConfig(base).metrics, null);
      assert.equal(loadConfig({ ...base, METRICS_PORT: ' ' }).metrics, null);
    });

    it('listens on loopback by default, on METRICS_HOST when given', () => {
      assert.deepEqual(loadConfig({ ...base, METRICS_PORT: '9464' }).metrics, { host: '127.0.0.1', port: 9464 });
      assert.deepEqual(loadConfig({ ...base, METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' }).metrics, {
        host: '0.0.0.0',
        port: 9464,
      });
    });

    for (const bad of ['0', '00', '65536', 'abc', '-1', '9464x']) {
      it(`rejects METRICS_PORT=${bad}, naming the setting`, () => {
        assert.throws(
          () => loadConfig({ ...base, METRICS_PORT: bad }),
          (err: unknown) => err instanceof ConfigError && /METRICS_PORT=/.test(err.message),
        );
      });
    }
  });

  describe('embedded Temporal server', () => {
    it('defaults: data/temporal.db, namespace default, loopback, 7233 and the Web UI on 8233', () => {
      const { options, problems } = embeddedServerSettings({}, { dbFile: DEFAULT_EMBEDDED_DB_FILE });
      assert.deepEqual(problems, []);
      assert.deepEqual(options, {
        dbFile: 'data/temporal.db',
        namespace: 'default',
        ip: '127.0.0.1',
        port: 7233,
        uiPort: 8233,
        logFile: join('data', 'temporal-server.log'),
        pidFile: join('data', 'temporal-server.pid'),
      });
    });

    it("creates the worker's namespace: envconfig's (a profile may name it), else TEMPORAL_NAMESPACE", () => {
      assert.equal(embeddedServerSettings({ TEMPORAL_NAMESPACE: ' mt ' }, { dbFile: 'x' }).options.namespace, 'mt');
      const fromProfile = embeddedServerSettings({ TEMPORAL_NAMESPACE: 'mt' }, { dbFile: 'x', namespace: 'prod' });
      assert.equal(fromProfile.options.namespace, 'prod');
    });

    it('keeps its log and pid file next to TEMPORAL_DB_FILE (the state directory under systemd)', () => {
      const { options } = embeddedServerSettings(
        { TEMPORAL_DB_FILE: '/var/lib/mt-autowithdraw/temporal/temporal.db' },
        { dbFile: DEFAULT_EMBEDDED_DB_FILE },
      );
      assert.equal(options.logFile, '/var/lib/mt-autowithdraw/temporal/temporal-server.log');
      assert.equal(options.pidFile, '/var/lib/mt-autowithdraw/temporal/temporal-server.pid');
    });

    it('reads TEMPORAL_DB_FILE, TEMPORAL_PORT and TEMPORAL_UI_PORT (off: headless)', () => {
      const { options } = embeddedServerSettings(
        { TEMPORAL_DB_FILE: '/var/lib/mt/t.db', TEMPORAL_PORT: '7300', TEMPORAL_UI_PORT: 'off' },
        { dbFile: 'x' },
      );
      assert.equal(options.dbFile, '/var/lib/mt/t.db');
      assert.equal(options.port, 7300);
      assert.equal(options.uiPort, null);
      assert.equal(embeddedServerSettings({ TEMPORAL_PORT: '7300' }, { dbFile: 'x' }).options.uiPort, 8300);
    });

    it('names each bad port', () => {
      const { problems } = embeddedServerSettings({ TEMPORAL_PORT: 'x', TEMPORAL_UI_PORT: '99999' }, { dbFile: 'x' });
      assert.equal(problems.length, 2);
      assert.match(problems[0]!, /^TEMPORAL_PORT=x:/);
      assert.match(problems[1]!, /^TEMPORAL_UI_PORT=99999:/);
    });

    it('registers the search attributes the workflows use, spelled as the CLI wants them', () => {
      assert.deepEqual(SEARCH_ATTRIBUTES, {
        MtPrefix: 'Keyword',
        MtState: 'Keyword',
        MtUnderAttack: 'Bool',
        MtCalmSince: 'Datetime',
      });
    });
  });
});
