// The notifier against the loopback Telegram and a SQLite file: once per key, also when two deliveries of one key
// overlap, and a split message that fails part-way resumes at the part that failed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRecords, migrateDatabase, openDatabase, type DatabaseHandle, type Records } from '../../src/db';
import { createTelegramClient } from '../../src/integrations/telegram/client';
import { createNotifier, partKey, type Notifier } from '../../src/notifications/notifier';
import type { Notification } from '../../src/notifications/types';
import { startTelegramSimulator, type TelegramSimulator } from '../../src/simulators/telegram';

const TOKEN = '123456789:AAnotifierTestToken';
const CHAT = '-1001';
const AT = Date.UTC(2026, 0, 19, 14, 30, 0);
const note: Notification = {
  kind: 'withdraw_skipped_locked',
  prefix: { cidr: '185.54.81.0/24', description: 'DMZ' },
  atMs: AT,
};

describe('notifier (loopback Telegram, SQLite)', () => {
  let dir: string;
  let h: DatabaseHandle;
  let records: Records;
  let tg: TelegramSimulator;
  let onMessage: (() => void) | null = null;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mt-notifier-'));
    h = openDatabase(join(dir, 'db.sqlite'));
    migrateDatabase(h);
    records = createRecords(h);
    onMessage = null;
    tg = await startTelegramSimulator({ token: TOKEN, chats: [CHAT], onMessage: () => onMessage?.() });
  });
  afterEach(async () => {
    await tg.close();
    h.sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function notifier(render: (n: Notification) => string[] = () => ['<b>one</b> message']): Notifier {
    return createNotifier({
      records,
      telegram: { api: createTelegramClient({ botToken: TOKEN, baseUrl: tg.baseUrl, timeoutMs: 2_000 }), chatId: CHAT },
      render,
    });
  }

  it('sends once per key; a second delivery finds it sent', async () => {
    const n = notifier();
    assert.deepEqual(await n.deliver('k1', note), { state: 'sent' });
    assert.deepEqual(await n.deliver('k1', note), { state: 'already_sent' });
    assert.equal(tg.messages.length, 1);
    assert.equal(records.getNotification('k1')?.state, 'sent');
  });

  it('two overlapping deliveries of one key (a retry and a re-issue) send one message', async () => {
    const n = notifier();
    const results = await Promise.all([n.deliver('k2', note), n.deliver('k2', note), n.deliver('k2', note)]);
    assert.deepEqual(
      results.map((r) => r.state),
      ['sent', 'already_sent', 'already_sent'],
    );
    assert.equal(tg.messages.length, 1);
  });

  it('an overlapping delivery after a failed attempt tries again', async () => {
    const n = notifier();
    tg.faults.add({ kind: 'http_5xx', count: 1 });
    const [first, second] = await Promise.allSettled([n.deliver('k3', note), n.deliver('k3', note)]);
    assert.equal(first.status, 'rejected');
    assert.deepEqual(second.status === 'fulfilled' && second.value, { state: 'sent' });
    assert.equal(tg.messages.length, 1);
    assert.equal(records.getNotification('k3')?.attempts, 2);
  });

  it('a split message failing at part 2 resends from part 2 on retry, never part 1 again', async () => {
    const n = notifier(() => ['part one', 'part two', 'part three']);
    // The first message goes through; the request right after it fails.
    onMessage = () => {
      onMessage = null;
      tg.faults.add({ kind: 'http_5xx', count: 1 });
    };
    await assert.rejects(n.deliver('k4', note));
    assert.deepEqual(
      tg.messages.map((m) => m.text),
      ['part one'],
    );
    assert.equal(records.getNotification('k4')?.state, 'pending');
    assert.equal(records.getNotification(partKey('k4', 1))?.state, 'sent');
    assert.equal(records.getNotification(partKey('k4', 2))?.attempts, 1);

    assert.deepEqual(await n.deliver('k4', note), { state: 'sent' });
    assert.deepEqual(
      tg.messages.map((m) => m.text),
      ['part one', 'part two', 'part three'],
    );
    const main = records.getNotification('k4')!;
    assert.equal(main.state, 'sent');
    assert.equal(main.telegramMessageId, tg.messages[0]!.messageId, 'the first part stands for the message');
  });

  it('giving up marks the message and its unsent parts failed, keeping the parts that went out', async () => {
    const n = notifier(() => ['a', 'b']);
    onMessage = () => {
      onMessage = null;
      tg.faults.add({ kind: 'forbidden', count: 1 });
    };
    await assert.rejects(n.deliver('k5', note));
    n.giveUp('k5', 'TelegramForbiddenError: bot was blocked');
    assert.equal(records.getNotification('k5')?.state, 'failed');
    assert.equal(records.getNotification(partKey('k5', 1))?.state, 'sent');
    assert.equal(records.getNotification(partKey('k5', 2))?.state, 'failed');
  });
});
