// `npm run demo` flags: defaults, overrides, and one clear error for each wrong flag.
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { DemoUsageError, parseDemoOptions } from '../../src/demo/options';

describe('demo options', () => {
  it('defaults: data/demo, ports 7243/8243/9464, the full-screen view on a terminal', () => {
    assert.deepEqual(parseDemoOptions([], {}, true), {
      untilDone: false,
      dataDir: resolve('data/demo'),
      temporalPort: 7243,
      uiPort: 8243,
      metricsPort: 9464,
      reset: false,
      plain: false,
    });
  });

  it('plain lines when stdout is not a terminal; DEMO_DATA_DIR; --free-ports', () => {
    const o = parseDemoOptions(['--until-done', '--free-ports'], { DEMO_DATA_DIR: '/tmp/x' }, false);
    assert.ok(o !== 'help');
    assert.equal(o.plain, true);
    assert.equal(o.untilDone, true);
    assert.equal(o.dataDir, '/tmp/x');
    assert.deepEqual([o.temporalPort, o.uiPort, o.metricsPort], [null, null, null]);
  });

  it('takes ports and a data directory', () => {
    const o = parseDemoOptions(
      ['--data-dir', 'd', '--temporal-port', '7000', '--ui-port=7001', '--metrics-port', '7002', '--reset'],
      {},
      true,
    );
    assert.ok(o !== 'help');
    assert.deepEqual(
      [o.dataDir, o.temporalPort, o.uiPort, o.metricsPort, o.reset],
      [resolve('d'), 7000, 7001, 7002, true],
    );
  });

  it('--help', () => assert.equal(parseDemoOptions(['-h'], {}, true), 'help'));

  for (const [argv, message] of [
    [['--until-dnoe'], /Unknown option '--until-dnoe'/],
    [['--temporal-port', 'abc'], /--temporal-port abc: must be a port number/],
    [['--ui-port', '70000'], /--ui-port 70000/],
    [['--free-ports', '--ui-port', '9000'], /--free-ports and --ui-port cannot be used together/],
    [['--temporal-port', '9000', '--ui-port', '9000'], /must differ/],
    [['extra'], /positional/i],
  ] as const) {
    it(`rejects ${argv.join(' ')}`, () => {
      assert.throws(
        () => parseDemoOptions([...argv], {}, true),
        (err: unknown) => err instanceof DemoUsageError && message.test(err.message),
      );
    });
  }
});
