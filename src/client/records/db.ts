// mtctl db backup <file> / db check: an online backup safe while the worker writes, and the integrity check.
import type { Command } from 'commander';
import { BackupTargetExistsError, backupDatabase, checkDatabase } from '../../db';
import { CliError, type CliContext } from '../context';
import { printJson, recordsDatabase } from './open';

export function registerDbCommands(program: Command, ctx: CliContext): void {
  const db = program.command('db').description('Database maintenance: backup, check');

  db.command('backup')
    .description("Copy the database with SQLite's online backup API (consistent while the worker and receiver write)")
    .argument('<file>', 'where to write the copy')
    .option('--force', 'overwrite an existing file')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { force?: boolean; json?: boolean }) => {
      let result;
      try {
        result = await backupDatabase(recordsDatabase(ctx), file, { overwrite: opts.force ?? false });
      } catch (err) {
        if (err instanceof BackupTargetExistsError) throw new CliError(err.message, 2);
        throw err;
      }
      if (opts.json) printJson(ctx, result);
      else
        ctx.io.out.write(
          `Backed up ${ctx.config().databasePath} to ${result.path} (${result.pages} pages, ${result.bytes} bytes); integrity: ${result.integrity.join('; ')}\n`,
        );
      if (result.integrity.join() !== 'ok') ctx.exitCode = 1;
    });

  db.command('check')
    .description('PRAGMA integrity_check, migration state and row counts')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const result = checkDatabase(recordsDatabase(ctx));
      if (opts.json) printJson(ctx, result);
      else {
        const m = result.migrations;
        ctx.io.out.write(
          [
            `Database ${result.path}`,
            `Integrity: ${result.integrity.join('; ')}`,
            `Migrations: ${m.applied.length} applied${m.applied.length ? ` (${m.applied.join(', ')})` : ''}` +
              (m.pending.length
                ? `; PENDING ${m.pending.join(', ')} (the worker applies them at start)`
                : '; none pending') +
              (m.unknown ? `; ${m.unknown} unknown to this version (written by a newer one)` : ''),
            ...result.tables.map((t) => `  ${t.name.padEnd(26)} ${t.rows === null ? 'missing' : t.rows}`),
          ].join('\n') + '\n',
        );
      }
      if (!result.ok) ctx.exitCode = 1;
    });
}
