// Opens the records database for a toolkit command, turning the usual mistakes into one clear line (exit code 2).
import { existsSync } from 'node:fs';
import { migrateDatabase, type DatabaseHandle } from '../../db';
import { CliError, type CliContext } from '../context';

/** Read-only unless `write`; writing commands bring the schema up to date first (idempotent, as the worker does). */
export function recordsDatabase(ctx: CliContext, opts: { write?: boolean } = {}): DatabaseHandle {
  const path = ctx.config().databasePath;
  if (!opts.write && !existsSync(path))
    throw new CliError(`database ${path} does not exist (DATABASE_PATH; the worker creates it on first start)`, 2);
  const handle = ctx.database({ readonly: !opts.write });
  if (opts.write) migrateDatabase(handle);
  return handle;
}

/** Runs a read; a missing table means an unmigrated database, which is said plainly. */
export function reading<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const message = (err as Error).message;
    if (/no such table/.test(message))
      throw new CliError(
        `the database has no ${message.replace(/^.*no such table: /, '')} table yet (start the worker once, or run npm run db:migrate)`,
        1,
      );
    throw err;
  }
}

/** --limit / --recent / --days: a whole number from 1 to max, or a usage error naming the option. */
export function positiveInt(option: string, max = 10_000): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || Number(value) > max)
      throw new CliError(`${option} must be a whole number from 1 to ${max}, got "${value}"`, 2);
    return Number(value);
  };
}

export function printJson(ctx: CliContext, value: unknown): void {
  ctx.io.out.write(`${JSON.stringify(value, null, 2)}\n`);
}
