// Health of the records database for `mtctl test`: can this process write to it, and are all migrations applied?
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { existsSync } from 'node:fs';
import { openDatabase } from './connection';
import { MIGRATIONS_FOLDER, MIGRATIONS_TABLE } from './migrate';

export interface DatabaseHealth {
  exists: boolean;
  /** A write transaction could be opened and rolled back (nothing kept). */
  writable: boolean;
  writeError: string | null;
  applied: number;
  /** Committed migrations this database has not applied yet. */
  pending: number;
}

/** Never creates the file nor changes anything: the write probe is rolled back. */
export function checkDatabaseHealth(path: string, migrationsFolder = MIGRATIONS_FOLDER): DatabaseHealth {
  const migrations = readMigrationFiles({ migrationsFolder });
  if (!existsSync(path))
    return { exists: false, writable: false, writeError: null, applied: 0, pending: migrations.length };
  const handle = openDatabase(path, { busyTimeoutMs: 2000 });
  try {
    let writeError: string | null = null;
    try {
      handle.sqlite.exec('BEGIN IMMEDIATE');
      try {
        handle.sqlite.exec('CREATE TABLE mtctl_write_probe (x INTEGER); INSERT INTO mtctl_write_probe VALUES (1)');
      } finally {
        handle.sqlite.exec('ROLLBACK');
      }
    } catch (err) {
      writeError = (err as Error).message;
    }
    const journal = handle.sqlite
      .prepare<[string], { n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?")
      .get(MIGRATIONS_TABLE);
    let lastAt = -Infinity;
    let applied = 0;
    if (journal && journal.n > 0) {
      const row = handle.sqlite
        .prepare<[], { n: number; last: number | string | null }>(
          `SELECT count(*) AS n, max(created_at) AS last FROM "${MIGRATIONS_TABLE}"`,
        )
        .get();
      applied = row?.n ?? 0;
      lastAt = row?.last === null || row?.last === undefined ? -Infinity : Number(row.last);
    }
    return {
      exists: true,
      writable: writeError === null,
      writeError,
      applied,
      pending: migrations.filter((m) => m.folderMillis > lastAt).length,
    };
  } finally {
    handle.close();
  }
}
