// The last words of a process that cannot start or has to stop: through the logger when there is one, else one
// stderr line — scrubbed of every secret either way (error texts can quote tokens, keys or URLs).
import { redactSecrets, type Logger } from '../logger';

export interface FatalContext {
  /** Program name for the stderr line ("mt-autowithdraw", "webhook-receiver"). */
  name: string;
  logger: Logger | null;
  secrets: readonly string[];
}

/** Exit code 2: a configuration problem restarting cannot fix (systemd: RestartPreventExitStatus=2). */
export const EXIT_CONFIG = 2;
/** Exit code 1: anything else; systemd restarts the service. */
export const EXIT_FATAL = 1;

function text(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A bad setting or file found at start-up: one line naming it. */
export function reportCannotStart(problem: unknown, ctx: FatalContext, hint = ''): void {
  const message = redactSecrets(text(problem), ctx.secrets);
  if (ctx.logger) ctx.logger.fatal(`cannot start: ${message}`);
  else process.stderr.write(`${ctx.name}: cannot start: ${message}${redactSecrets(hint, ctx.secrets)}\n`);
}

/** An unexpected failure: the message (and, through the logger, the stack) without secrets. */
export function reportFatal(err: unknown, ctx: FatalContext): void {
  if (ctx.logger) {
    // The logger's hooks scrub the error object too; scrubbing the message here keeps the line itself clean.
    ctx.logger.fatal({ err }, `fatal: ${redactSecrets(text(err), ctx.secrets)}`);
  } else {
    process.stderr.write(`${ctx.name}: fatal: ${redactSecrets(text(err), ctx.secrets)}\n`);
  }
}
