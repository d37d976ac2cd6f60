// The worker's start-up message goes through DeliverNotification (time-skipping server): retried like any
// notification, started once per worker start, and its fate (sent or failed) recorded in notification_log.
import assert from 'node:assert/strict';
import { announceWorkerStart, workerStartedKey } from '../../src/notifications/announce';
import type { Notification } from '../../src/notifications/types';
import { testPrefix } from '../helpers/fixture';
import { readRows } from '../helpers/records-file';
import { useTimeSkippingSystem } from '../helpers/time-skipping-system';

const P = testPrefix('192.0.2.0/24', 'any', 'b', { advertised: false });

describe('worker start-up message (time-skipping server)', function () {
  this.timeout(120_000);
  const sys = useTimeSkippingSystem({ taskQueue: 'worker-started', prefixes: [P] });
  afterEach(() => sys().fx.tg.faults.clear());

  const started = async (): Promise<Extract<Notification, { kind: 'worker_started' }>> => ({
    kind: 'worker_started',
    host: 'lg.example.net',
    calmPeriodMs: 900_000,
    checkIntervalMs: 60_000,
    prefixCount: 1,
    shadow: false,
    atMs: await sys().env.currentTimeMs(),
  });
  const logRow = (key: string) =>
    readRows<{ state: string; attempts: number; last_error: string | null }>(
      sys().fx.databasePath,
      'SELECT state, attempts, last_error FROM notification_log WHERE key = ?',
      key,
    )[0];
  const startupMessages = () => sys().fx.tg.messages.filter((m) => /AUTO-WITHDRAW WORKER STARTED/.test(m.plainText));

  it('a flaky Telegram: retried (flood control honoured) and sent once; starting it again sends nothing more', async () => {
    const { env, fx, taskQueue } = sys();
    fx.tg.faults.add({ kind: 'http_5xx', count: 1 });
    fx.tg.faults.add({ kind: 'http_429', retryAfterSec: 20, count: 1 });
    const n = await started();
    const handle = await announceWorkerStart(env.client, taskQueue, 'host-a', n);
    assert.deepEqual(await handle.result(), { state: 'sent' });
    assert.equal(startupMessages().length, 1);
    const row = logRow(workerStartedKey('host-a', n.atMs))!;
    assert.equal(row.state, 'sent');
    assert.equal(row.attempts, 3, 'two failed attempts, then the delivery');

    const again = await announceWorkerStart(env.client, taskQueue, 'host-a', n);
    assert.deepEqual(await again.result(), { state: 'already_sent' });
    assert.equal(startupMessages().length, 1, 'one message per worker start');
  });

  it('a Telegram that refuses for good: the failure is recorded, not left pending', async () => {
    const { env, fx, taskQueue } = sys();
    fx.tg.faults.add({ kind: 'forbidden', count: Infinity });
    const n = await started();
    const before = startupMessages().length;
    const result = await (await announceWorkerStart(env.client, taskQueue, 'host-b', n)).result();
    assert.equal(result.state, 'failed');
    assert.match(result.error ?? '', /TelegramForbiddenError/);
    const row = logRow(workerStartedKey('host-b', n.atMs))!;
    assert.equal(row.state, 'failed');
    assert.match(row.last_error ?? '', /Forbidden/);
    assert.equal(startupMessages().length, before);
  });
});
