// mtctl webhooks: recent webhooks and their statistics, and `webhooks import` of saved webhook JSON files.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { createWebhookStore, migrateDatabase, openDatabase, type DatabaseHandle, type WebhookStats } from '../../db';
import {
  importWebhookFiles,
  ImportPathError,
  type FileNameTimes,
  type ImportedFile,
  type ImportReport,
} from '../../webhooks/import';
import { CliError, type CliContext } from '../context';
import { positiveInt, printJson, reading, recordsDatabase } from './open';
import { renderTable } from './table';

export const DEFAULT_IMPORT_PATH = 'logs/webhooks/';

function fileTimesOption(value: string): FileNameTimes {
  const v = value.trim().toLowerCase();
  if (v !== 'local' && v !== 'utc') throw new CliError(`--file-times must be local or utc, got "${value}"`, 2);
  return v;
}

interface ListOptions {
  recent?: number;
  stats?: boolean;
  type?: string;
  days?: number;
  json?: boolean;
}

function renderStats(stats: WebhookStats): string {
  return [
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
  ].join('\n');
}

function list(ctx: CliContext, opts: ListOptions): void {
  const store = reading(() => createWebhookStore(recordsDatabase(ctx)));
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
    out.push(renderStats(stats));
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

interface ImportCliOptions extends ListOptions {
  dryRun?: boolean;
  fileTimes?: FileNameTimes;
}

function describeFile(f: ImportedFile): string {
  if (f.outcome === 'invalid' || f.outcome === 'expired') return `skipped: ${f.problem}`;
  if (f.outcome === 'test') return 'Cloudflare test message (not stored)';
  if (f.outcome === 'test_alert')
    return `Cloudflare test notification (${f.problem}): stored as test_notification, no attack event`;
  return `${f.alertType ?? '(no type)'} ${f.eventState ?? ''} ${f.alertId}`.replace(/\s+/g, ' ');
}

function importFiles(ctx: CliContext, path: string, opts: ImportCliOptions): void {
  // The listing options belong to `mtctl webhooks`; after `import` they would be silently dropped.
  for (const [name, given] of [
    ['--recent', opts.recent],
    ['--type', opts.type],
    ['--days', opts.days],
  ] as const) {
    if (given !== undefined)
      throw new CliError(`webhooks import does not take ${name} (use it with \`mtctl webhooks\`)`, 2);
  }
  const dryRun = opts.dryRun ?? false;
  const handle = importDatabase(ctx, dryRun);
  // A dry run reads an existing database as it is: an unmigrated one is said plainly, like every other read.
  const store = reading(() => createWebhookStore(handle));
  let report: ImportReport;
  try {
    report = reading(() =>
      importWebhookFiles({
        path,
        dryRun,
        store,
        prefixes: ctx.config().prefixes.map((p) => p.cidr),
        retentionMs: ctx.config().retention.webhooksMs,
        fileNameTimes: opts.fileTimes ?? 'local',
      }),
    );
  } catch (err) {
    if (err instanceof ImportPathError) throw new CliError(err.message, 2);
    throw err;
  }
  const stats = opts.stats ? reading(() => store.stats()) : undefined;
  if (opts.json) printJson(ctx, stats ? { ...report, stats } : report);
  else {
    for (const f of report.files) {
      const verb =
        f.outcome === 'stored'
          ? dryRun
            ? 'would import'
            : 'imported'
          : f.outcome === 'test_alert'
            ? 'test'
            : f.outcome;
      ctx.io.out.write(`${verb.padEnd(12)} ${f.file}: ${describeFile(f)}\n`);
    }
    ctx.io.out.write(
      `${dryRun ? 'Dry run: would import' : 'Imported'} ${report.stored}, duplicates ${report.duplicates}, ` +
        `tests ${report.tests}, expired ${report.expired}, broken ${report.invalid} (of ${report.files.length} files)\n`,
    );
    if (report.expired > 0)
      ctx.io.out.write(
        `Expired: received before ${report.retentionCutoff} UTC, outside the webhook retention (RETENTION_WEBHOOKS); ` +
          `not imported so that pruned webhooks stay pruned\n`,
      );
    if (report.files.some((f) => f.receivedAtSource === 'file_name'))
      ctx.io.out.write(
        `Times without ts were read from file names as ${report.fileNameTimes === 'utc' ? 'UTC' : 'server local time'} (--file-times)\n`,
      );
    if (stats) ctx.io.out.write(`\n${renderStats(stats)}\n`);
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
    .option(
      '--file-times <zone>',
      'how to read times in file names (webhook_YYYYMMDD_HHMMSS.json) of payloads without ts: local (the old receiver) or utc',
      fileTimesOption,
    )
    .option('--stats', 'print the webhook statistics after the import')
    .option('--json', 'print JSON')
    // Options after `import` may be parsed as the parent's (`webhooks import x --json`): read both.
    .action((path: string, _opts: unknown, cmd: Command) =>
      importFiles(ctx, path, cmd.optsWithGlobals<ImportCliOptions>()),
    );
}
