// Telegram Bot API integration: client factory and its contract.
export {
  createTelegramClient,
  DEFAULT_TELEGRAM_BASE_URL,
  DEFAULT_TELEGRAM_TIMEOUT_MS,
  type TelegramClientOptions,
} from './client';
export { TelegramError, type TelegramApi, type TelegramErrorKind } from './types';
