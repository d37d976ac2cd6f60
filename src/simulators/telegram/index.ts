// Loopback Telegram Bot API simulator: server, fault injection and the HTML parse-mode validator.
export {
  startTelegramSimulator,
  DEFAULT_SIM_TOKEN,
  MAX_MESSAGE_LENGTH,
  type FaultController,
  type FaultSpec,
  type RecordedMessage,
  type SimulatorStats,
  type TelegramFault,
  type TelegramFaultKind,
  type TelegramSimulator,
  type TelegramSimulatorOptions,
} from './server';
export {
  parseTelegramHtml,
  telegramLength,
  type ParseHtmlResult,
  type TelegramEntity,
  type TelegramEntityType,
} from './html-parser';
