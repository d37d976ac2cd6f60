// The one pino logger: LOG_LEVEL honoured, JSON when piped and readable on a terminal, secrets redacted, SDK logs routed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { createLogger, temporalLoggerFor } from '../../src/logger';

const ROOT = resolve(__dirname, '..', '..');

function capture(opts: Parameters<typeof createLogger>[0] = {}) {
  const lines: string[] = [];
  const logger = createLogger({ ...opts, destination: { write: (l: string) => void lines.push(l) } });
  return { logger, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>), lines };
}

/** Runs a few log calls in a fresh process whose stdout claims (or not) to be a terminal. */
function logInChild(tty: boolean): string {
  const script = `
    process.stdout.isTTY = ${tty};
    const { createLogger } = require('./src/logger');
    createLogger({ level: 'info' }).info({ prefix: '192.0.2.0/24' }, 'hello from the worker');
    setTimeout(() => undefined, 200);`;
  const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe('logging', () => {
  it('LOG_LEVEL decides what is written', () => {
    const { logger, records } = capture({ level: 'warn' });
    logger.info('not shown');
    logger.debug('not shown either');
    logger.warn('shown');
    logger.error('shown too');
    assert.deepEqual(
      records().map((r) => [r.level, r.msg]),
      [
        [40, 'shown'],
        [50, 'shown too'],
      ],
    );
  });

  it('is JSON (one object a line) when stdout is not a terminal', () => {
    const out = logInChild(false).trim();
    const rec = JSON.parse(out) as Record<string, unknown>;
    assert.equal(rec.msg, 'hello from the worker');
    assert.equal(rec.prefix, '192.0.2.0/24');
    assert.equal(rec.level, 30);
  });

  it('is readable text on a terminal', () => {
    const out = logInChild(true);
    assert.match(out, /INFO/);
    assert.match(out, /hello from the worker/);
    assert.throws(() => JSON.parse(out.trim()), 'not JSON');
  });

  it('redacts secret values wherever they appear, and secret-named fields', () => {
    const token = 'cf-secret-token-0123456789';
    const { logger, lines } = capture({ secrets: [token] });
    logger.info(
      { headers: { authorization: `Bearer ${token}` }, url: `https://x/?t=${token}` },
      `failed with ${token}`,
    );
    logger.error(new Error(`request with ${token} failed`));
    logger.info({ botToken: 'anything', nested: { apiKey: 'anything' } }, 'fields');
    const text = lines.join('');
    assert.ok(!text.includes(token), text);
    assert.ok(!text.includes('anything'), text);
    assert.match(text, /\[redacted\]/);
  });

  it('SDK, workflow and activity logs land in the same logger with their metadata', () => {
    const { logger, records } = capture({ level: 'info' });
    const sdk = temporalLoggerFor(logger);
    sdk.info('workflow says hi', { sdkComponent: 'workflow', workflowId: 'protect-192.0.2.0/24' });
    sdk.warn('activity warns', { sdkComponent: 'activity' });
    sdk.debug('below the level');
    sdk.log('ERROR', 'core error', { sdkComponent: 'core' });
    assert.deepEqual(
      records().map((r) => [r.level, r.msg, r.sdkComponent]),
      [
        [30, 'workflow says hi', 'workflow'],
        [40, 'activity warns', 'activity'],
        [50, 'core error', 'core'],
      ],
    );
    assert.equal(records()[0]!.workflowId, 'protect-192.0.2.0/24');
  });
});
