// mtctl webhooks: recent webhooks and their statistics, and `webhooks import` of saved webhook JSON files.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { createWebhookStore, migrateDatabase, openDatabase, type DatabaseHandle } from '../../db';
import { importWebhookFiles, ImportPathError } from '../../webhooks/import';
import { CliError, type CliContext } from '../context';
import { positiveInt, printJson, reading, recordsDatabase } from './open';
import { renderTable } from './table';

export const DEFAULT_IMPORT_PATH = 'logs/webhooks/';

interface ListOptions {
  recent?: number;
  stats?: boolean;
  type?: string;
  days?: number;
  json?: boolean;
}

function list(ctx: CliContext, opts: ListOptions): void {
  const store = createWebhookStore(recordsDatabase(ctx));
  const showRecent = opts.recent !== undefined || !opts.stats;
  const recent = showRecent
    ? reading(() => store.recent({ limit: opts.recent ?? 10, alertType: opts.type, days: opts.days }))
    : undefined;
  const stats = opts.stats ? reading(() => store.stats()) : undefined;
  if (opts.json) return printJson(ctx, { ...(recent ? { recent } : {}), ...(stats ? { stats } : {}) });
  const out: string[] = [];
  if (recent) {
    out.push(
      recent.length === 0
        ? 'No webhooks recorded.'
        : renderTable(
            [
              { header: 'Received (UTC)', value: (r) => r.receivedAt },
              { header: 'Alert type', value: (r) => r.alertType, max: 30 },
              { header: 'State', value: (r) => r.eventState?.replace(/^ALERT_STATE_EVENT_/, '') },
              { header: 'Alert ID', value: (r) => r.alertId, max: 34 },
              { header: 'Target', value: (r) => r.targetIp },
              { header: 'Prefix', value: (r) => r.targetPrefix },
              { header: 'Action', value: (r) => r.actionTaken },
              { header: 'Done', value: (r) => (r.processed === 0 ? 'pending' : 'yes') },
            ],
            recent,
          ),
    );
  }
  if (stats) {
    if (out.length) out.push('');
    out.push(
      `Webhooks: ${stats.total} total, ${stats.today} today, ${stats.last7Days} in the last 7 days; ` +
        `completed attacks (START and END): ${stats.completedAttacks}`,
      '',
      renderTable(
        [
          { header: 'By type', value: (r) => r.alertType ?? '(none)' },
          { header: 'Count', value: (r) => r.count, align: 'right' },
        ],
        stats.byType,
      ),
      '',
      renderTable(
        [
          { header: 'By state', value: (r) => r.eventState ?? '(none)' },
          { header: 'Count', value: (r) => r.count, align: 'right' },
        ],
        stats.byState,
      ),
    );
  }
  ctx.io.out.write(`${out.join('\n')}\n`);
}

/** The database to import into; a dry run against a database not created yet compares with an empty one. */
function importDatabase(ctx: CliContext, dryRun: boolean): DatabaseHandle {
  if (!dryRun || existsSync(ctx.config().databasePath)) return recordsDatabase(ctx, { write: !dryRun });
  const empty = openDatabase(':memory:');
  ctx.onClose(() => empty.close());
  migrateDatabase(empty);
  return empty;
}

function importFiles(ctx: CliContext, path: string, opts: { dryRun?: boolean; json?: boolean }): void {
  const dryRun = opts.dryRun ?? false;
  const handle = importDatabase(ctx, dryRun);
  let report;
  try {
    report = importWebhookFiles({
      path,
      dryRun,
      store: createWebhookStore(handle),
      prefixes: ctx.config().prefixes.map((p) => p.cidr),
    });
  } catch (err) {
    if (err instanceof ImportPathError) throw new CliError(err.message, 2);
    throw err;
  }
  if (opts.json) printJson(ctx, report);
  else {
    for (const f of report.files) {
      const what =
        f.outcome === 'invalid'
          ? `skipped: ${f.problem}`
          : f.outcome === 'test'
            ? 'Cloudflare test message (not stored)'
            : `${f.alertType ?? '(no type)'} ${f.eventState ?? ''} ${f.alertId}`.replace(/\s+/g, ' ');
      const verb = f.outcome === 'stored' ? (dryRun ? 'would import' : 'imported') : f.outcome;
      ctx.io.out.write(`${verb.padEnd(12)} ${f.file}: ${what}\n`);
    }
    ctx.io.out.write(
      `${dryRun ? 'Dry run: would import' : 'Imported'} ${report.stored}, duplicates ${report.duplicates}, ` +
        `test messages ${report.tests}, broken ${report.invalid} (of ${report.files.length} files)\n`,
    );
  }
  // Broken files are reported and skipped; the exit code says some were.
  if (report.invalid > 0) ctx.exitCode = 1;
}

export function registerWebhookCommands(program: Command, ctx: CliContext): void {
  const webhooks = program
    .command('webhooks')
    .description('Received webhooks (webhook_events): --recent N, --stats; and `webhooks import`')
    .option('--recent <n>', 'show the N newest webhooks (default 10)', positiveInt('--recent'))
    .option('--stats', 'total, today, last 7 days, by type, by state, completed attacks')
    .option('--type <alert_type>', 'only this alert type')
    .option('--days <n>', 'only the last N days', positiveInt('--days', 3650))
    .option('--json', 'print JSON')
    .action((opts: ListOptions) => list(ctx, opts));

  webhooks
    .command('import')
    .description(`Import saved webhook JSON files (a folder or one file; default ${DEFAULT_IMPORT_PATH})`)
    .argument('[path]', 'folder of .json files, or one file', DEFAULT_IMPORT_PATH)
    .option('--dry-run', 'show what would be imported; change nothing')
    .option('--json', 'print JSON')
    // --json may be parsed as the parent's option (`webhooks import x --json`): read both.
    .action((path: string, _opts: unknown, cmd: Command) =>
      importFiles(ctx, path, cmd.optsWithGlobals<{ dryRun?: boolean; json?: boolean }>()),
    );
}
