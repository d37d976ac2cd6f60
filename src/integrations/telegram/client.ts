// Telegram Bot API client (sendMessage, getMe) over got. One attempt per call (Temporal owns retries); every
// failure becomes a TelegramError whose text never contains the bot token, which lives in the URL path.
import got from 'got';
import { TelegramError, type TelegramApi, type TelegramErrorKind } from './types';

export const DEFAULT_TELEGRAM_BASE_URL = 'https://api.telegram.org';
export const DEFAULT_TELEGRAM_TIMEOUT_MS = 10_000;

export interface TelegramClientOptions {
  botToken: string;
  /** Default https://api.telegram.org; the simulator gives http://127.0.0.1:PORT. */
  baseUrl?: string;
  /** Whole-request timeout; default 10 s. */
  timeoutMs?: number;
}

interface Envelope {
  ok?: unknown;
  result?: unknown;
  error_code?: unknown;
  description?: unknown;
  parameters?: { retry_after?: unknown; migrate_to_chat_id?: unknown };
}

type RawResponse = { status: number; body: string; retryAfterHeader: string | undefined };

export function createTelegramClient(opts: TelegramClientOptions): TelegramApi {
  const token = opts.botToken;
  if (typeof token !== 'string' || token.trim() === '') throw new Error('Telegram bot token is empty');
  if (/[\s/?#]/.test(token)) throw new Error('Telegram bot token has characters that cannot appear in a URL path');
  const baseUrl = (opts.baseUrl ?? DEFAULT_TELEGRAM_BASE_URL).replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TELEGRAM_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new Error('Telegram timeoutMs must be positive');

  /** Belt and braces: even server-provided text is scrubbed of the token. */
  const redact = (s: string): string => s.split(token).join('<redacted>');

  const fail = (
    kind: TelegramErrorKind,
    method: string,
    what: string,
    details: ConstructorParameters<typeof TelegramError>[2] = {},
  ): TelegramError => new TelegramError(kind, redact(`Telegram ${method}: ${what}`), details);

  async function call(method: string, payload: Record<string, unknown> | null): Promise<RawResponse> {
    try {
      const res = await got(`${baseUrl}/bot${token}/${method}`, {
        method: payload ? 'POST' : 'GET',
        ...(payload ? { json: payload } : {}),
        timeout: { request: timeoutMs },
        retry: { limit: 0 },
        throwHttpErrors: false,
        followRedirect: false,
        responseType: 'text',
        headers: { accept: 'application/json' },
      });
      const retryAfter = res.headers['retry-after'];
      return { status: res.statusCode, body: res.body, retryAfterHeader: retryAfter };
    } catch (e) {
      // got errors carry the request options and URL (with the token): keep only the error code.
      throw transportError(method, e);
    }
  }

  function transportError(method: string, e: unknown): TelegramError {
    const code = errorCode(e);
    const name = e instanceof Error ? e.name : '';
    if (name === 'TimeoutError' || code === 'ETIMEDOUT') {
      return fail('timeout', method, `no answer within ${timeoutMs} ms`);
    }
    if (code === 'ERR_INVALID_URL') return fail('network', method, 'invalid base URL');
    return fail('network', method, `request failed (${code ?? 'unknown error'})`);
  }

  function interpret(method: string, raw: RawResponse): unknown {
    const { status } = raw;
    let env: Envelope | null = null;
    try {
      const parsed: unknown = JSON.parse(raw.body);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) env = parsed;
    } catch {
      env = null;
    }
    const success = status >= 200 && status < 300;
    if (env?.ok === true && success) return env.result;

    const code = typeof env?.error_code === 'number' ? env.error_code : status;
    const details = { httpStatus: status, ...(typeof env?.error_code === 'number' ? { errorCode: code } : {}) };
    const description = typeof env?.description === 'string' && env.description !== '' ? env.description : null;
    const what = description !== null ? `${code} ${description}` : `HTTP ${status}`;

    if (code === 429 || status === 429) {
      const retryAfterMs = retryAfterFromBody(env) ?? retryAfterFromHeader(raw.retryAfterHeader);
      return fail('rate_limited', method, what, {
        ...details,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      });
    }
    if (code >= 500 || status >= 500) return fail('server', method, what, details);
    // 404 from the Bot API means the path (the token) names no bot.
    if (code === 401 || code === 404) return fail('auth', method, what, details);
    if (env === null)
      return fail('bad_response', method, `unparsable answer (HTTP ${status}, ${raw.body.length} bytes)`, details);
    if (env.ok !== false) {
      return fail('bad_response', method, `unexpected answer (HTTP ${status}, ok=${String(env.ok)})`, details);
    }
    if (code === 403) return fail('forbidden', method, what, details);
    const migrateTo = env.parameters?.migrate_to_chat_id;
    if (typeof migrateTo === 'number') {
      return fail('chat_migrated', method, `${what} (new chat id ${migrateTo})`, {
        ...details,
        migrateToChatId: migrateTo,
      });
    }
    return fail('bad_request', method, what, details);
  }

  async function request(method: string, payload: Record<string, unknown> | null): Promise<unknown> {
    const outcome = interpret(method, await call(method, payload));
    if (outcome instanceof TelegramError) throw outcome;
    return outcome;
  }

  return {
    async sendMessage(input) {
      const result = await request('sendMessage', {
        chat_id: input.chatId,
        text: input.text,
        parse_mode: input.parseMode,
        link_preview_options: { is_disabled: true },
      });
      const messageId = (result as { message_id?: unknown } | null)?.message_id;
      if (typeof messageId !== 'number') throw fail('bad_response', 'sendMessage', 'result has no message_id');
      return { messageId };
    },
    async getMe() {
      const result = (await request('getMe', null)) as { id?: unknown; username?: unknown } | null;
      if (typeof result?.id !== 'number' || typeof result.username !== 'string') {
        throw fail('bad_response', 'getMe', 'result has no id/username');
      }
      return { id: result.id, username: result.username };
    },
  };
}

function errorCode(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const code = e.code;
    if (typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code)) return code;
  }
  return undefined;
}

function retryAfterFromBody(env: Envelope | null): number | undefined {
  const s = env?.parameters?.retry_after;
  return typeof s === 'number' && Number.isFinite(s) && s >= 0 ? Math.round(s * 1000) : undefined;
}

function retryAfterFromHeader(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(header.trim())) return Math.round(Number(header) * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
