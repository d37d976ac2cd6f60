// Names of the failure types decided at the activity boundary; workflows list the final ones as non-retryable.

export const ErrorType = {
  CloudflareAuth: 'CloudflareAuthError',
  CloudflareForbidden: 'CloudflareForbiddenError',
  CloudflareInvalidRequest: 'CloudflareInvalidRequestError',
  PrefixLocked: 'PrefixLockedError',
  PrefixNotFound: 'PrefixNotFoundError',
  CloudflareTooSoon: 'CloudflareTooSoonError',
  CloudflareRateLimited: 'CloudflareRateLimitedError',
  CloudflareUnavailable: 'CloudflareUnavailableError',
  TelegramAuth: 'TelegramAuthError',
  TelegramForbidden: 'TelegramForbiddenError',
  TelegramBadRequest: 'TelegramBadRequestError',
  TelegramRateLimited: 'TelegramRateLimitedError',
  TelegramUnavailable: 'TelegramUnavailableError',
  TelegramNotConfigured: 'TelegramNotConfiguredError',
  UnknownPrefix: 'UnknownPrefixError',
} as const;

export type ErrorTypeName = (typeof ErrorType)[keyof typeof ErrorType];

/** Retrying cannot help these: bad credentials, locked or unknown prefixes, requests Cloudflare refuses. */
export const NON_RETRYABLE_CLOUDFLARE: string[] = [
  ErrorType.CloudflareAuth,
  ErrorType.CloudflareForbidden,
  ErrorType.CloudflareInvalidRequest,
  ErrorType.PrefixLocked,
  ErrorType.PrefixNotFound,
  ErrorType.UnknownPrefix,
];

export const NON_RETRYABLE_TELEGRAM: string[] = [
  ErrorType.TelegramAuth,
  ErrorType.TelegramForbidden,
  ErrorType.TelegramBadRequest,
  ErrorType.TelegramNotConfigured,
];
