// Telegram client against the loopback Bot API simulator: success paths, every error kind, and no token leaks.
import assert from 'node:assert/strict';
import net from 'node:net';
import { inspect } from 'node:util';
import { createTelegramClient } from '../../src/integrations/telegram';
import { TelegramError, type TelegramApi, type TelegramErrorKind } from '../../src/integrations/telegram/types';
import { startTelegramSimulator, type TelegramSimulator } from '../../src/simulators/telegram';

const TOKEN = '987654321:AAHsecret-Token_ThatMustNeverLeak42';
const CHAT = '-1001234567890';
const OTHER_CHAT = '424242';

/** Runs fn, asserts it rejects with a TelegramError of the given kind, and returns the error. */
async function expectTelegramError(fn: () => Promise<unknown>, kind: TelegramErrorKind): Promise<TelegramError> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof TelegramError, `expected TelegramError, got ${inspect(e)}`);
    assert.equal(e.kind, kind, `kind (message: ${e.message})`);
    return e;
  }
  assert.fail(`expected a ${kind} TelegramError, but the call succeeded`);
}

/** The token (and its secret half) must appear nowhere a log line or a serialiser could pick it up. */
function assertNoToken(err: unknown, token: string): void {
  const secret = token.slice(token.indexOf(':') + 1);
  const e = err as Error;
  const renderings = {
    'String(err)': String(err),
    'err.stack': String(e.stack),
    'JSON.stringify(err)': JSON.stringify(err),
    'util.inspect(err)': inspect(err, { depth: 10, showHidden: true }),
    'err.message': e.message,
  };
  for (const [what, text] of Object.entries(renderings)) {
    assert.ok(!text.includes(token), `${what} contains the token: ${text}`);
    assert.ok(!text.includes(secret), `${what} contains the token secret: ${text}`);
  }
}

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

describe('Telegram client against the Bot API simulator', function () {
  this.timeout(10_000);
  let sim: TelegramSimulator;
  let client: TelegramApi;

  before(async () => {
    sim = await startTelegramSimulator({ token: TOKEN, chats: [CHAT, OTHER_CHAT] });
    client = createTelegramClient({ botToken: TOKEN, baseUrl: sim.baseUrl, timeoutMs: 2_000 });
  });
  after(async () => {
    await sim.close();
  });
  beforeEach(() => sim.reset());

  describe('success', () => {
    it('sends an HTML message and the simulator records it with its plain text', async () => {
      const seen: string[] = [];
      const local = await startTelegramSimulator({ token: TOKEN, chats: [CHAT], onMessage: (m) => seen.push(m.text) });
      try {
        const c = createTelegramClient({ botToken: TOKEN, baseUrl: `${local.baseUrl}/` });
        const text = '<b>PREFIX AUTO-WITHDRAWN</b>\nDescription: R&amp;D &lt;lab&gt;';
        const first = await c.sendMessage({ chatId: CHAT, text, parseMode: 'HTML' });
        const second = await c.sendMessage({ chatId: CHAT, text: 'second', parseMode: 'HTML' });
        assert.equal(second.messageId, first.messageId + 1);
        assert.equal(local.messages.length, 2);
        const m = local.messages[0]!;
        assert.equal(m.chatId, CHAT);
        assert.equal(m.text, text);
        assert.equal(m.parseMode, 'HTML');
        assert.equal(m.plainText, 'PREFIX AUTO-WITHDRAWN\nDescription: R&D <lab>');
        assert.equal(m.messageId, first.messageId);
        assert.deepEqual(seen, [text, 'second']);
        assert.equal(local.stats.requests.sendMessage, 2);
        assert.equal(local.stats.delivered, 2);
      } finally {
        await local.close();
      }
    });

    it('getMe returns the bot id and username', async () => {
      const me = await client.getMe();
      assert.deepEqual(me, { id: 987654321, username: 'mt_autowithdraw_sim_bot' });
      assert.equal(sim.stats.requests.getMe, 1);
    });
  });

  describe('errors', () => {
    it('401 for a wrong token is an auth error that does not contain either token', async () => {
      const wrong = '111:WrongTokenValueAbcdef';
      const bad = createTelegramClient({ botToken: wrong, baseUrl: sim.baseUrl });
      const err = await expectTelegramError(
        () => bad.sendMessage({ chatId: CHAT, text: 'x', parseMode: 'HTML' }),
        'auth',
      );
      assert.equal(err.details.httpStatus, 401);
      assert.equal(err.details.errorCode, 401);
      assert.match(err.message, /Unauthorized/);
      assertNoToken(err, wrong);
      assertNoToken(err, TOKEN);
      assert.equal(sim.messages.length, 0);
    });

    it('400 chat not found is a bad_request', async () => {
      const err = await expectTelegramError(
        () => client.sendMessage({ chatId: '-999', text: 'hello', parseMode: 'HTML' }),
        'bad_request',
      );
      assert.equal(err.details.httpStatus, 400);
      assert.match(err.message, /chat not found/);
      assert.equal(sim.messages.length, 0);
    });

    it('400 when the HTML cannot be parsed (bare < and &)', async () => {
      for (const text of ['Description: a < b', 'R&D lab', '<b>unclosed', '<script>x</script>']) {
        const err = await expectTelegramError(
          () => client.sendMessage({ chatId: CHAT, text, parseMode: 'HTML' }),
          'bad_request',
        );
        assert.match(err.message, /can't parse entities/, text);
      }
      assert.equal(sim.messages.length, 0);
      assert.equal(sim.stats.errors['400'], 4);
    });

    it('400 with migrate_to_chat_id is chat_migrated and carries the new chat id', async () => {
      sim.faults.add({ kind: 'chat_migrated', migrateToChatId: -1009876543210 });
      const err = await expectTelegramError(
        () => client.sendMessage({ chatId: CHAT, text: 'x', parseMode: 'HTML' }),
        'chat_migrated',
      );
      assert.equal(err.details.migrateToChatId, -1009876543210);
      assertNoToken(err, TOKEN);
    });

    it('429 is rate_limited with retryAfterMs from parameters.retry_after', async () => {
      sim.faults.add({ kind: 'http_429', retryAfterSec: 17 });
      const err = await expectTelegramError(
        () => client.sendMessage({ chatId: CHAT, text: 'x', parseMode: 'HTML' }),
        'rate_limited',
      );
      assert.equal(err.details.retryAfterMs, 17_000);
      assert.equal(err.details.httpStatus, 429);
      // The fault had count 1: the next call goes through.
      const ok = await client.sendMessage({ chatId: CHAT, text: 'after the flood', parseMode: 'HTML' });
      assert.equal(typeof ok.messageId, 'number');
      assert.deepEqual(
        sim.messages.map((m) => m.text),
        ['after the flood'],
      );
      assert.equal(sim.stats.faults.http_429, 1);
    });

    it('5xx is a server error', async () => {
      sim.faults.add({ kind: 'http_5xx', status: 502 });
      const err = await expectTelegramError(() => client.getMe(), 'server');
      assert.equal(err.details.httpStatus, 502);
      assertNoToken(err, TOKEN);
    });

    it('a request with no answer times out after the client timeout', async () => {
      sim.faults.add({ kind: 'timeout' });
      const fast = createTelegramClient({ botToken: TOKEN, baseUrl: sim.baseUrl, timeoutMs: 150 });
      const started = Date.now();
      const err = await expectTelegramError(
        () => fast.sendMessage({ chatId: CHAT, text: 'x', parseMode: 'HTML' }),
        'timeout',
      );
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 100 && elapsed < 2_000, `elapsed ${elapsed} ms`);
      assert.match(err.message, /150 ms/);
      assert.equal(sim.messages.length, 0);
    });

    it('a malformed JSON body is bad_response', async () => {
      sim.faults.add({ kind: 'malformed_json' });
      const err = await expectTelegramError(
        () => client.sendMessage({ chatId: CHAT, text: 'x', parseMode: 'HTML' }),
        'bad_response',
      );
      assert.equal(err.details.httpStatus, 200);
    });

    it('403 (bot blocked) is forbidden', async () => {
      sim.faults.add({ kind: 'forbidden', method: 'sendMessage' });
      // The method filter leaves getMe alone.
      await client.getMe();
      const err = await expectTelegramError(
        () => client.sendMessage({ chatId: CHAT, text: 'x', parseMode: 'HTML' }),
        'forbidden',
      );
      assert.equal(err.details.httpStatus, 403);
      assert.match(err.message, /blocked/);
    });

    it('a refused connection and a reset connection are network errors', async () => {
      const port = await closedPort();
      const refused = createTelegramClient({ botToken: TOKEN, baseUrl: `http://127.0.0.1:${port}` });
      const e1 = await expectTelegramError(() => refused.getMe(), 'network');
      assert.match(e1.message, /ECONNREFUSED/);
      sim.faults.add({ kind: 'connection_reset' });
      await expectTelegramError(() => client.getMe(), 'network');
    });
  });

  describe('the bot token never leaks', () => {
    type Case = { kind: TelegramErrorKind; token?: string; baseUrl?: () => Promise<string>; arm?: () => void };
    const cases: Case[] = [
      { kind: 'auth', token: '555:AnotherSecretTokenValueXyz' },
      { kind: 'forbidden', arm: () => sim.faults.add({ kind: 'forbidden' }) },
      { kind: 'bad_request', arm: () => undefined },
      { kind: 'chat_migrated', arm: () => sim.faults.add({ kind: 'chat_migrated' }) },
      { kind: 'rate_limited', arm: () => sim.faults.add({ kind: 'http_429', retryAfterSec: 3 }) },
      { kind: 'server', arm: () => sim.faults.add({ kind: 'http_5xx' }) },
      { kind: 'timeout', arm: () => sim.faults.add({ kind: 'timeout' }) },
      { kind: 'network', baseUrl: async () => `http://127.0.0.1:${await closedPort()}` },
      { kind: 'network', baseUrl: () => Promise.resolve('not a url at all') },
      { kind: 'bad_response', arm: () => sim.faults.add({ kind: 'malformed_json' }) },
    ];
    for (const c of cases) {
      it(`${c.kind}${c.baseUrl ? ' (bad endpoint)' : ''}`, async () => {
        c.arm?.();
        const token = c.token ?? TOKEN;
        const baseUrl = c.baseUrl ? await c.baseUrl() : sim.baseUrl;
        const leaky = createTelegramClient({ botToken: token, baseUrl, timeoutMs: 200 });
        // bad_request: an unknown chat; everything else uses a valid chat and relies on the armed fault.
        const chatId = c.kind === 'bad_request' ? '-1' : CHAT;
        const err = await expectTelegramError(
          () => leaky.sendMessage({ chatId, text: 'x', parseMode: 'HTML' }),
          c.kind,
        );
        assertNoToken(err, token);
      });
    }

    it('redacts the token even when the server echoes it in the description', async () => {
      const echo = await startTelegramSimulator({ token: TOKEN });
      try {
        echo.faults.add({ kind: 'forbidden', description: `Forbidden: bot${TOKEN} was blocked by the user` });
        const c = createTelegramClient({ botToken: TOKEN, baseUrl: echo.baseUrl });
        const err = await expectTelegramError(() => c.getMe(), 'forbidden');
        assertNoToken(err, TOKEN);
        assert.match(err.message, /<redacted>/);
      } finally {
        await echo.close();
      }
    });

    it('rejects a token that cannot be put in a URL path without echoing it', () => {
      assert.throws(
        () => createTelegramClient({ botToken: '1:abc/def', baseUrl: sim.baseUrl }),
        (e: Error) => !e.message.includes('abc/def'),
      );
    });
  });
});

describe('Telegram simulator over raw HTTP', function () {
  this.timeout(10_000);
  let sim: TelegramSimulator;
  before(async () => {
    sim = await startTelegramSimulator({ token: TOKEN, chats: [CHAT] });
  });
  after(async () => {
    await sim.close();
  });
  beforeEach(() => sim.reset());

  const url = (method: string, token = TOKEN): string => `${sim.baseUrl}/bot${token}/${method}`;

  it('answers getMe over GET and POST', async () => {
    const viaGet = (await (await fetch(url('getMe'))).json()) as { ok: boolean; result: { is_bot: boolean } };
    const viaPost = (await (await fetch(url('getMe'), { method: 'POST' })).json()) as { ok: boolean };
    assert.equal(viaGet.ok, true);
    assert.equal(viaGet.result.is_bot, true);
    assert.equal(viaPost.ok, true);
    assert.equal(sim.stats.requests.getMe, 2);
  });

  it('accepts form-encoded and query-string sendMessage and returns a Message with entities', async () => {
    const form = new URLSearchParams({ chat_id: CHAT, text: '<b>bold</b> &amp; plain', parse_mode: 'HTML' });
    const res = await fetch(url('sendMessage'), { method: 'POST', body: form });
    const body = (await res.json()) as {
      ok: boolean;
      result: { message_id: number; text: string; chat: { id: number; type: string }; entities: unknown[] };
    };
    assert.equal(res.status, 200);
    assert.equal(body.result.text, 'bold & plain');
    assert.deepEqual(body.result.chat, { id: Number(CHAT), type: 'supergroup' });
    assert.deepEqual(body.result.entities, [{ type: 'bold', offset: 0, length: 4 }]);
    const viaQuery = await fetch(`${url('sendMessage')}?chat_id=${encodeURIComponent(CHAT)}&text=plain%20%3C%20text`);
    assert.equal(viaQuery.status, 200);
    assert.deepEqual(
      sim.messages.map((m) => [m.plainText, m.parseMode]),
      [
        ['bold & plain', 'HTML'],
        ['plain < text', null],
      ],
    );
  });

  it('rejects empty and too-long texts, counting length after entity parsing', async () => {
    const post = (text: string) =>
      fetch(url('sendMessage'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ chat_id: CHAT, text, parse_mode: 'HTML' }),
      });
    const empty = await post('<b></b>');
    assert.equal(empty.status, 400);
    assert.match(((await empty.json()) as { description: string }).description, /message text is empty/);
    const long = await post('x'.repeat(4097));
    assert.match(((await long.json()) as { description: string }).description, /message is too long/);
    // 4096 characters of text written as 4096 entities (5 bytes each) is fine.
    const atLimit = await post('&amp;'.repeat(4096));
    assert.equal(atLimit.status, 200);
    assert.equal(sim.messages.length, 1);
    assert.equal(sim.messages[0]!.plainText.length, 4096);
  });

  it('answers 401 to a wrong token and 404 to an unknown method', async () => {
    const unauthorized = await fetch(url('getMe', '1:nope'));
    assert.equal(unauthorized.status, 401);
    assert.deepEqual(await unauthorized.json(), { ok: false, error_code: 401, description: 'Unauthorized' });
    const unknown = await fetch(url('sendPhoto'));
    assert.equal(unknown.status, 404);
  });

  it('faults honour their count and clear() disarms them', async () => {
    sim.faults.add({ kind: 'http_5xx', count: 2 });
    sim.faults.add({ kind: 'http_429', count: Infinity });
    assert.equal((await fetch(url('getMe'))).status, 500);
    assert.equal((await fetch(url('getMe'))).status, 500);
    const limited = await fetch(url('getMe'));
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '5');
    assert.equal(sim.faults.pending().length, 1);
    sim.faults.clear();
    assert.equal((await fetch(url('getMe'))).status, 200);
    assert.deepEqual(sim.stats.faults, { http_5xx: 2, http_429: 1 });
  });
});
