// Loopback Telegram Bot API (sendMessage, getMe) for tests and demos, with scriptable faults.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { parseTelegramHtml, telegramLength } from './html-parser';

export const MAX_MESSAGE_LENGTH = 4096;
export const DEFAULT_SIM_TOKEN = '123456789:AAsimulatedBotTokenForLoopbackUseOnly';

export interface RecordedMessage {
  messageId: number;
  chatId: string;
  /** The text exactly as sent (HTML source when parseMode is HTML). */
  text: string;
  parseMode: 'HTML' | null;
  /** Text after entity parsing, as a Telegram client would show it. */
  plainText: string;
  atMs: number;
}

export type TelegramFault =
  /** 429 with parameters.retry_after (and a Retry-After header). */
  | { kind: 'http_429'; retryAfterSec?: number }
  /** A 5xx with a JSON error body (default 500). */
  | { kind: 'http_5xx'; status?: number }
  /** Accept the request and never answer (the socket is held until the client gives up or the sim closes). */
  | { kind: 'timeout' }
  /** 403 "Forbidden: bot was blocked by the user". */
  | { kind: 'forbidden'; description?: string }
  /** 200 with a truncated JSON body. */
  | { kind: 'malformed_json' }
  /** Destroy the connection without an answer. */
  | { kind: 'connection_reset' }
  /** 400 with parameters.migrate_to_chat_id (group upgraded to a supergroup). */
  | { kind: 'chat_migrated'; migrateToChatId?: number };

export type TelegramFaultKind = TelegramFault['kind'];

export type FaultSpec = TelegramFault & {
  /** How many requests the fault hits; default 1, Infinity for "until cleared". */
  count?: number;
  /** Only requests to this Bot API method (e.g. "sendMessage"); default every method. */
  method?: string;
};

export interface FaultController {
  add(fault: FaultSpec): void;
  clear(): void;
  /** Faults still armed, with their remaining counts. */
  pending(): ReadonlyArray<Readonly<FaultSpec & { count: number }>>;
}

export interface SimulatorStats {
  /** Requests received per Bot API method (as spelled in the path), including rejected and faulted ones. */
  readonly requests: Readonly<Record<string, number>>;
  /** Messages accepted (equals messages.length unless reset). */
  readonly delivered: number;
  /** Requests answered with ok:false, by error_code. */
  readonly errors: Readonly<Record<string, number>>;
  /** Requests hit by an injected fault, by kind. */
  readonly faults: Readonly<Record<string, number>>;
}

export interface TelegramSimulatorOptions {
  token?: string;
  /** Chat ids that exist; unknown chats get 400 "chat not found". Undefined: every chat exists. */
  chats?: string[];
  /** Default 0 (any free port). Always bound to 127.0.0.1. */
  port?: number;
  onMessage?: (m: RecordedMessage) => void;
  /** Clock for message dates; default Date.now. */
  now?: () => number;
  botUsername?: string;
}

export interface TelegramSimulator {
  /** e.g. http://127.0.0.1:41234, to pass as the client's baseUrl. */
  baseUrl: string;
  token: string;
  /** Successfully delivered messages, oldest first (live array). */
  messages: RecordedMessage[];
  faults: FaultController;
  stats: SimulatorStats;
  /** Forget messages, stats and faults. */
  reset(): void;
  close(): Promise<void>;
}

interface MutableStats {
  requests: Record<string, number>;
  delivered: number;
  errors: Record<string, number>;
  faults: Record<string, number>;
}

type Params = Record<string, unknown>;

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly description: string,
    readonly parameters?: Record<string, unknown>,
  ) {
    super(description);
  }
}

const MAX_BODY_BYTES = 1024 * 1024;

export async function startTelegramSimulator(opts: TelegramSimulatorOptions = {}): Promise<TelegramSimulator> {
  const token = opts.token ?? DEFAULT_SIM_TOKEN;
  const allowedChats = opts.chats ? new Set(opts.chats.map(String)) : null;
  const now = opts.now ?? Date.now;
  const botId = /^\d+:/.test(token) ? Number(token.slice(0, token.indexOf(':'))) : 123456789;
  const botUsername = opts.botUsername ?? 'mt_autowithdraw_sim_bot';

  const messages: RecordedMessage[] = [];
  const stats: MutableStats = { requests: {}, delivered: 0, errors: {}, faults: {} };
  let armed: Array<FaultSpec & { count: number }> = [];
  let nextMessageId = 1;
  const heldSockets = new Set<Socket>();

  const faults: FaultController = {
    add(fault) {
      const count = fault.count ?? 1;
      if (!(count > 0)) throw new RangeError('fault count must be positive');
      armed.push({ ...fault, count });
    },
    clear() {
      armed = [];
    },
    pending() {
      return armed.map((f) => ({ ...f }));
    },
  };

  function takeFault(method: string): FaultSpec | null {
    const idx = armed.findIndex((f) => f.method === undefined || f.method.toLowerCase() === method.toLowerCase());
    if (idx < 0) return null;
    const fault = armed[idx]!;
    fault.count -= 1;
    if (fault.count <= 0) armed.splice(idx, 1);
    stats.faults[fault.kind] = (stats.faults[fault.kind] ?? 0) + 1;
    return fault;
  }

  function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const payload = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
      ...headers,
    });
    res.end(payload);
  }

  function sendError(res: http.ServerResponse, err: ApiError, headers: Record<string, string> = {}): void {
    stats.errors[String(err.status)] = (stats.errors[String(err.status)] ?? 0) + 1;
    const body: Record<string, unknown> = { ok: false, error_code: err.status, description: err.description };
    if (err.parameters) body.parameters = err.parameters;
    send(res, err.status, body, headers);
  }

  /** Answers (or deliberately does not answer) a request hit by a fault. */
  function applyFault(fault: FaultSpec, req: http.IncomingMessage, res: http.ServerResponse): void {
    switch (fault.kind) {
      case 'http_429': {
        const retryAfter = fault.retryAfterSec ?? 5;
        sendError(res, new ApiError(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter }), {
          'retry-after': String(retryAfter),
        });
        return;
      }
      case 'http_5xx': {
        const status = fault.status ?? 500;
        sendError(res, new ApiError(status, status === 502 ? 'Bad Gateway' : 'Internal Server Error'));
        return;
      }
      case 'forbidden':
        sendError(res, new ApiError(403, fault.description ?? 'Forbidden: bot was blocked by the user'));
        return;
      case 'chat_migrated': {
        const to = fault.migrateToChatId ?? -1001234567890;
        sendError(
          res,
          new ApiError(400, 'Bad Request: group chat was upgraded to a supergroup chat', { migrate_to_chat_id: to }),
        );
        return;
      }
      case 'malformed_json': {
        const payload = '{"ok":true,"result":{"message_id":';
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
        res.end(payload);
        return;
      }
      case 'connection_reset':
        req.socket.destroy();
        return;
      case 'timeout': {
        const socket = req.socket;
        heldSockets.add(socket);
        socket.once('close', () => heldSockets.delete(socket));
        return;
      }
      default: {
        const unknown: never = fault;
        throw new Error(`unknown fault ${JSON.stringify(unknown)}`);
      }
    }
  }

  function chatType(chatId: string): string {
    if (chatId.startsWith('-100')) return 'supergroup';
    if (chatId.startsWith('-')) return 'group';
    if (chatId.startsWith('@')) return 'channel';
    return 'private';
  }

  function chatIdValue(chatId: string): number | string {
    return /^-?\d+$/.test(chatId) ? Number(chatId) : chatId;
  }

  function botUser(): Record<string, unknown> {
    return { id: botId, is_bot: true, first_name: 'mt-autowithdraw simulator', username: botUsername };
  }

  function handleGetMe(): Record<string, unknown> {
    return { ...botUser(), can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false };
  }

  function handleSendMessage(params: Params): Record<string, unknown> {
    const rawChat = params.chat_id;
    if (rawChat === undefined || rawChat === null || rawChat === '')
      throw new ApiError(400, 'Bad Request: chat_id is empty');
    if (typeof rawChat !== 'string' && typeof rawChat !== 'number') {
      throw new ApiError(400, 'Bad Request: invalid chat_id');
    }
    const chatId = String(rawChat);
    const text = params.text;
    if (text === undefined || text === null) throw new ApiError(400, 'Bad Request: message text is empty');
    if (typeof text !== 'string') throw new ApiError(400, 'Bad Request: text must be a string');
    if (allowedChats && !allowedChats.has(chatId)) throw new ApiError(400, 'Bad Request: chat not found');

    const rawMode = params.parse_mode;
    let parseMode: 'HTML' | null = null;
    let plainText = text;
    let entities: unknown[] | undefined;
    if (rawMode !== undefined && rawMode !== null && rawMode !== '') {
      if (typeof rawMode !== 'string' || rawMode.toLowerCase() !== 'html') {
        throw new ApiError(400, 'Bad Request: unsupported parse_mode (the simulator implements HTML only)');
      }
      parseMode = 'HTML';
      const parsed = parseTelegramHtml(text);
      if (!parsed.ok) throw new ApiError(400, `Bad Request: can't parse entities: ${parsed.error}`);
      plainText = parsed.text;
      entities = parsed.entities;
    }
    if (plainText.trim() === '') throw new ApiError(400, 'Bad Request: message text is empty');
    if (telegramLength(plainText) > MAX_MESSAGE_LENGTH) throw new ApiError(400, 'Bad Request: message is too long');

    const atMs = now();
    const recorded: RecordedMessage = { messageId: nextMessageId++, chatId, text, parseMode, plainText, atMs };
    messages.push(recorded);
    stats.delivered += 1;
    opts.onMessage?.(recorded);
    const result: Record<string, unknown> = {
      message_id: recorded.messageId,
      from: botUser(),
      chat: { id: chatIdValue(chatId), type: chatType(chatId) },
      date: Math.floor(atMs / 1000),
      text: plainText,
    };
    if (entities && entities.length > 0) result.entities = entities;
    return result;
  }

  async function readParams(req: http.IncomingMessage, url: URL): Promise<Params> {
    const params: Params = Object.fromEntries(url.searchParams);
    if (req.method !== 'POST') return params;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > MAX_BODY_BYTES) throw new ApiError(413, 'Request Entity Too Large');
      chunks.push(buf);
    }
    const body = Buffer.concat(chunks).toString('utf8');
    if (body.trim() === '') return params;
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type === 'application/json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        throw new ApiError(400, "Bad Request: can't parse JSON body");
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new ApiError(400, 'Bad Request: JSON body must be an object');
      }
      return { ...params, ...(parsed as Params) };
    }
    if (type === 'application/x-www-form-urlencoded') {
      return { ...params, ...Object.fromEntries(new URLSearchParams(body)) };
    }
    throw new ApiError(
      400,
      `Bad Request: unsupported content type "${type}" (the simulator reads JSON and form bodies)`,
    );
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const match = /^\/bot([^/]*)\/([A-Za-z]+)\/?$/.exec(url.pathname);
    if (!match) {
      sendError(res, new ApiError(404, 'Not Found'));
      return;
    }
    const method = match[2]!;
    stats.requests[method] = (stats.requests[method] ?? 0) + 1;
    if (req.method !== 'GET' && req.method !== 'POST') {
      sendError(res, new ApiError(405, 'Method Not Allowed'));
      return;
    }
    const fault = takeFault(method);
    if (fault) {
      applyFault(fault, req, res);
      return;
    }
    try {
      if (safeDecode(match[1]!) !== token) throw new ApiError(401, 'Unauthorized');
      const params = await readParams(req, url);
      let result: unknown;
      switch (method.toLowerCase()) {
        case 'getme':
          result = handleGetMe();
          break;
        case 'sendmessage':
          result = handleSendMessage(params);
          break;
        default:
          throw new ApiError(404, 'Not Found: method not found');
      }
      send(res, 200, { ok: true, result });
    } catch (e) {
      if (e instanceof ApiError) sendError(res, e);
      else sendError(res, new ApiError(500, 'Internal Server Error'));
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendError(res, new ApiError(500, 'Internal Server Error'));
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    token,
    messages,
    faults,
    stats,
    reset() {
      messages.length = 0;
      armed = [];
      stats.requests = {};
      stats.errors = {};
      stats.faults = {};
      stats.delivered = 0;
    },
    close() {
      for (const socket of heldSockets) socket.destroy();
      heldSockets.clear();
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}
