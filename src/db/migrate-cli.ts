// `npm run db:migrate`: migrates (or adopts) the database at $DATABASE_PATH (default db/magic_transit.db).
import { resolve } from 'node:path';
import { openDatabase } from './connection';
import { migrateDatabase, type MigrationReport } from './migrate';

export const DEFAULT_DATABASE_PATH = 'db/magic_transit.db';

export function formatMigrationReport(path: string, report: MigrationReport): string {
  const lines = [`database: ${resolve(path)}`];
  if (report.adopted) lines.push(`adopted existing database (tables: ${report.preexistingTables.join(', ')})`);
  lines.push(report.applied.length > 0 ? `applied migrations: ${report.applied.join(', ')}` : 'schema is up to date');
  if (report.createdTables.length > 0) lines.push(`created tables: ${report.createdTables.join(', ')}`);
  for (const c of report.addedColumns) lines.push(`added column ${c.table}.${c.column} (${c.definition})`);
  if (report.createdIndexes.length > 0) lines.push(`created indexes: ${report.createdIndexes.join(', ')}`);
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

export function runMigrateCli(env: NodeJS.ProcessEnv = process.env): { path: string; report: MigrationReport } {
  const path = env.DATABASE_PATH?.trim() || DEFAULT_DATABASE_PATH;
  const handle = openDatabase(path);
  try {
    return { path, report: migrateDatabase(handle) };
  } finally {
    handle.close();
  }
}

if (require.main === module) {
  try {
    const { path, report } = runMigrateCli();
    console.log(formatMigrationReport(path, report));
  } catch (err) {
    console.error(`db:migrate failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
