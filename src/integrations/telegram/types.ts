// Contracts of the Telegram Bot API client (sendMessage, getMe) and its typed errors.

export type TelegramErrorKind =
  | 'auth' // 401: bad bot token
  | 'forbidden' // 403: bot blocked / kicked from the chat
  | 'bad_request' // 400: bad chat id, unparsable entities, message too long
  | 'chat_migrated' // 400 with parameters.migrate_to_chat_id
  | 'rate_limited' // 429 with parameters.retry_after
  | 'server' // 5xx
  | 'timeout'
  | 'network'
  | 'bad_response';

export class TelegramError extends Error {
  override readonly name = 'TelegramError';
  constructor(
    readonly kind: TelegramErrorKind,
    /** Never contains the bot token. */
    message: string,
    readonly details: { httpStatus?: number; errorCode?: number; retryAfterMs?: number; migrateToChatId?: number } = {},
  ) {
    super(message);
  }
}

export interface TelegramApi {
  sendMessage(input: { chatId: string; text: string; parseMode: 'HTML' }): Promise<{ messageId: number }>;
  getMe(): Promise<{ id: number; username: string }>;
}
