// The one pino logger: JSON by default, readable on a terminal, secrets redacted; Temporal SDK logs routed into it.
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';

export type { Logger } from 'pino';

const REDACT_PATHS = [
  'token',
  'apiKey',
  'botToken',
  'secret',
  'password',
  'authorization',
  '*.token',
  '*.apiKey',
  '*.key',
  '*.botToken',
  '*.secret',
  '*.password',
  '*.authorization',
  'headers.authorization',
  'headers["x-auth-key"]',
  'headers["cf-webhook-auth"]',
  '*.headers.authorization',
  '*.headers["x-auth-key"]',
  '*.headers["cf-webhook-auth"]',
];

export interface LoggerOptions {
  level?: string;
  /** Human-readable output; defaults to "stdout is a terminal". */
  pretty?: boolean;
  /** Secret values to scrub from every message and string field, wherever they appear. */
  secrets?: readonly string[];
  destination?: pino.DestinationStream;
  name?: string;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const secrets = (opts.secrets ?? []).filter((s) => s.length >= 4);
  const options: pino.LoggerOptions = {
    level: opts.level ?? 'info',
    name: opts.name ?? 'mt-autowithdraw',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    hooks: secrets.length
      ? {
          logMethod(args, method) {
            method.apply(this, args.map((a) => scrub(a, secrets)) as Parameters<typeof method>);
          },
        }
      : // pino breaks on `hooks: undefined`; an empty object keeps its defaults.
        {},
  };
  const usePretty = opts.pretty ?? (opts.destination === undefined && process.stdout.isTTY === true);
  const stream =
    opts.destination ??
    (usePretty ? pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' }) : undefined);
  return stream ? pino(options, stream) : pino(options);
}

/** Replaces secret values inside strings, errors and plain objects (one level of nesting is enough for log args). */
export function scrub(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (secrets.length === 0) return value;
  if (typeof value === 'string') return redactSecrets(value, secrets);
  if (value instanceof Error) {
    const copy = new Error(redactSecrets(value.message, secrets));
    copy.name = value.name;
    copy.stack = value.stack ? redactSecrets(value.stack, secrets) : undefined;
    return copy;
  }
  if (value && typeof value === 'object' && depth < 3) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = scrub(v, secrets, depth + 1);
    return out;
  }
  return value;
}

export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[redacted]');
  return out;
}

const LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Adapter for Runtime.install({ logger }): SDK, workflow and activity logs land in the same pino logger. */
export function temporalLoggerFor(logger: Logger): TemporalLogger {
  const emit = (level: LogLevel, message: string, meta?: LogMetadata): void => {
    // The SDK adds a symbol-keyed timestamp; pino has its own.
    const fields = meta ? Object.fromEntries(Object.entries(meta)) : {};
    logger[LEVEL[level]](fields, message);
  };
  return {
    log: emit,
    trace: (m, meta) => emit('TRACE', m, meta),
    debug: (m, meta) => emit('DEBUG', m, meta),
    info: (m, meta) => emit('INFO', m, meta),
    warn: (m, meta) => emit('WARN', m, meta),
    error: (m, meta) => emit('ERROR', m, meta),
  };
}
