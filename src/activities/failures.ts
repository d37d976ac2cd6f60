// Decides, at the activity boundary, which failures are final and when a retry may come (Retry-After, retry_after).
import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../errors';
import { CloudflareError, type CloudflareErrorKind } from '../integrations/cloudflare/types';
import { TelegramError, type TelegramErrorKind } from '../integrations/telegram/types';

const CLOUDFLARE: Record<CloudflareErrorKind, { type: string; final: boolean }> = {
  auth: { type: ErrorType.CloudflareAuth, final: true },
  forbidden: { type: ErrorType.CloudflareForbidden, final: true },
  locked: { type: ErrorType.PrefixLocked, final: true },
  not_found: { type: ErrorType.PrefixNotFound, final: true },
  invalid_request: { type: ErrorType.CloudflareInvalidRequest, final: true },
  too_soon: { type: ErrorType.CloudflareTooSoon, final: false },
  rate_limited: { type: ErrorType.CloudflareRateLimited, final: false },
  server: { type: ErrorType.CloudflareUnavailable, final: false },
  timeout: { type: ErrorType.CloudflareUnavailable, final: false },
  network: { type: ErrorType.CloudflareUnavailable, final: false },
  bad_response: { type: ErrorType.CloudflareUnavailable, final: false },
  graphql: { type: ErrorType.CloudflareUnavailable, final: false },
};

const TELEGRAM: Record<TelegramErrorKind, { type: string; final: boolean }> = {
  auth: { type: ErrorType.TelegramAuth, final: true },
  forbidden: { type: ErrorType.TelegramForbidden, final: true },
  bad_request: { type: ErrorType.TelegramBadRequest, final: true },
  chat_migrated: { type: ErrorType.TelegramBadRequest, final: true },
  rate_limited: { type: ErrorType.TelegramRateLimited, final: false },
  server: { type: ErrorType.TelegramUnavailable, final: false },
  timeout: { type: ErrorType.TelegramUnavailable, final: false },
  network: { type: ErrorType.TelegramUnavailable, final: false },
  bad_response: { type: ErrorType.TelegramUnavailable, final: false },
};

export interface FailureOptions {
  /**
   * Let Cloudflare's Retry-After (or GraphQL "try again after N minutes") set the next attempt (default true).
   * False for the measurement: its answer is only worth something within its cycle, the next cycle asks again.
   */
  honourRetryAfter?: boolean;
}

/** Converts integration errors to ApplicationFailure; anything else passes through unchanged. */
export function toFailure(err: unknown, opts: FailureOptions = {}): unknown {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof CloudflareError) {
    const c = CLOUDFLARE[err.kind];
    return ApplicationFailure.create({
      message: err.message,
      type: c.type,
      nonRetryable: c.final,
      nextRetryDelay: opts.honourRetryAfter === false ? undefined : err.details.retryAfterMs,
      details: [{ kind: err.kind, httpStatus: err.details.httpStatus ?? null, errors: err.details.errors ?? [] }],
    });
  }
  if (err instanceof TelegramError) {
    const t = TELEGRAM[err.kind];
    return ApplicationFailure.create({
      message: err.message,
      type: t.type,
      nonRetryable: t.final,
      nextRetryDelay: err.details.retryAfterMs,
      details: [{ kind: err.kind, httpStatus: err.details.httpStatus ?? null }],
    });
  }
  return err;
}

/** Runs fn and rethrows its failure classified. */
export async function classified<T>(fn: () => Promise<T>, opts: FailureOptions = {}): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toFailure(err, opts);
  }
}

export function unknownPrefix(cidr: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`${cidr} is not in the prefix mapping`, ErrorType.UnknownPrefix);
}
