// The one pino logger: LOG_LEVEL honoured, JSON when piped and readable on a terminal, secrets redacted, SDK logs routed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { createLogger, temporalLoggerFor } from '../../src/logger';
import { reportCannotStart, reportFatal } from '../../src/runtime/fatal';

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

describe('last words (cannot start / fatal)', () => {
  const secret = 'tmprl-api-key-0123456789';

  /** Runs fn with process.stderr.write captured. */
  function stderrOf(fn: () => void): string {
    const chunks: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = (c: string | Uint8Array): boolean => (chunks.push(String(c)), true);
    try {
      fn();
    } finally {
      process.stderr.write = original;
    }
    return chunks.join('');
  }

  it('before the logger exists: one stderr line, secrets scrubbed', () => {
    const ctx = { name: 'mt-autowithdraw', logger: null, secrets: [secret] };
    const early = stderrOf(() => reportCannotStart(new Error(`PREFIX_MAPPING_FILE=/x/${secret}: no such file`), ctx));
    assert.equal(early, 'mt-autowithdraw: cannot start: PREFIX_MAPPING_FILE=/x/[redacted]: no such file\n');
    const fatal = stderrOf(() => reportFatal(new Error(`connect failed with ${secret}`), ctx));
    assert.equal(fatal, 'mt-autowithdraw: fatal: connect failed with [redacted]\n');
  });

  it('once the logger exists: a fatal-level record (with the stack), secrets scrubbed, nothing on stderr', () => {
    const { logger, records, lines } = capture({ secrets: [secret] });
    const ctx = { name: 'mt-autowithdraw', logger, secrets: [secret] };
    const err = new Error(`TLS handshake with key ${secret} failed`);
    const stderr = stderrOf(() => {
      reportFatal(err, ctx);
      reportCannotStart(new Error(`METRICS_PORT=9464: 127.0.0.1:9464 is already in use`), ctx);
    });
    assert.equal(stderr, '');
    assert.deepEqual(
      records().map((r) => [r.level, r.msg]),
      [
        [60, 'fatal: TLS handshake with key [redacted] failed'],
        [60, 'cannot start: METRICS_PORT=9464: 127.0.0.1:9464 is already in use'],
      ],
    );
    assert.match(String((records()[0]!.err as { stack?: string }).stack), /logging\.test\.ts/);
    assert.ok(!lines.join('').includes(secret));
  });
});
