// Online backup (SQLite's backup API: consistent while the worker and receiver keep writing) and the integrity and
// migration check of `mtctl db check`.
import { existsSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { openDatabase, type DatabaseHandle } from './connection';
import { MIGRATIONS_FOLDER, MIGRATIONS_TABLE } from './migrate';

export interface BackupResult {
  path: string;
  bytes: number;
  pages: number;
  /** PRAGMA integrity_check of the copy: ['ok'] when sound. */
  integrity: string[];
}

/** The backup file exists already (nothing was written). */
export class BackupTargetExistsError extends Error {
  override readonly name = 'BackupTargetExistsError';
}

/**
 * Copies the live database to `destination` page by page with SQLite's online backup API, into a temporary file
 * renamed at the end (a failed backup never leaves a half file under the final name). The copy is switched to a
 * rollback journal so it is one self-contained file, then checked.
 */
export async function backupDatabase(
  handle: DatabaseHandle,
  destination: string,
  opts: { overwrite?: boolean } = {},
): Promise<BackupResult> {
  if (existsSync(destination) && !opts.overwrite)
    throw new BackupTargetExistsError(`${destination} already exists (choose another file or pass --force)`);
  const partial = `${destination}.partial`;
  rmSync(partial, { force: true });
  try {
    const meta = await handle.sqlite.backup(partial);
    const copy = openDatabase(partial);
    let integrity: string[];
    try {
      copy.sqlite.pragma('journal_mode = DELETE');
      integrity = integrityCheck(copy);
    } finally {
      copy.close();
    }
    for (const suffix of ['-wal', '-shm']) rmSync(`${partial}${suffix}`, { force: true });
    renameSync(partial, destination);
    return { path: destination, bytes: statSync(destination).size, pages: meta.totalPages, integrity };
  } catch (err) {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${partial}${suffix}`, { force: true });
    throw err;
  }
}

/** PRAGMA integrity_check: ['ok'] when sound; damage bad enough to stop the check is reported as its error. */
export function integrityCheck(handle: DatabaseHandle): string[] {
  try {
    return handle.sqlite
      .prepare<[], { integrity_check: string }>('PRAGMA integrity_check')
      .all()
      .map((r) => r.integrity_check);
  } catch (err) {
    return [`integrity_check failed: ${(err as Error).message}`];
  }
}

export interface MigrationState {
  /** Tags of the committed migrations recorded in the database. */
  applied: string[];
  /** Tags of committed migrations the database has not had yet (the worker applies them at start). */
  pending: string[];
  /** Migrations recorded in the database that this version does not know (written by a newer version). */
  unknown: number;
}

export interface DatabaseCheck {
  path: string;
  integrity: string[];
  /** Integrity is "ok" and no migration is unknown to this version. */
  ok: boolean;
  migrations: MigrationState;
  /** Row counts of the operators' tables (null when the table is missing or unreadable). */
  tables: Array<{ name: string; rows: number | null }>;
}

const TABLES = [
  'attack_events',
  'withdrawal_history',
  'webhook_events',
  'network_analytics_events',
  'prefix_calm_status',
  'pending_withdrawals',
  'notification_log',
  'operation_keys',
];

export function migrationState(handle: DatabaseHandle, folder = MIGRATIONS_FOLDER): MigrationState {
  const migrations = readMigrationFiles({ migrationsFolder: folder });
  const journal = JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as {
    entries: Array<{ when: number; tag: string }>;
  };
  const tagOf = new Map(journal.entries.map((e) => [e.when, e.tag]));
  const hasJournal =
    handle.sqlite.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(MIGRATIONS_TABLE) !==
    undefined;
  const recorded = hasJournal
    ? handle.sqlite
        .prepare<[], { hash: string; created_at: number | string }>(
          `SELECT hash, created_at FROM "${MIGRATIONS_TABLE}"`,
        )
        .all()
    : [];
  const hashes = new Set(recorded.map((r) => r.hash));
  const known = new Set(migrations.map((m) => m.hash));
  const tag = (m: { folderMillis: number }) => tagOf.get(m.folderMillis) ?? String(m.folderMillis);
  return {
    applied: migrations.filter((m) => hashes.has(m.hash)).map(tag),
    pending: migrations.filter((m) => !hashes.has(m.hash)).map(tag),
    unknown: recorded.filter((r) => !known.has(r.hash)).length,
  };
}

export function checkDatabase(handle: DatabaseHandle): DatabaseCheck {
  const integrity = integrityCheck(handle);
  const migrations = migrationState(handle);
  const present = new Set(
    handle.sqlite
      .prepare<[], { name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'`)
      .all()
      .map((r) => r.name),
  );
  const countRows = (name: string): number | null => {
    try {
      return handle.sqlite.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM "${name}"`).get()?.n ?? 0;
    } catch {
      return null;
    }
  };
  const tables = TABLES.map((name) => ({ name, rows: present.has(name) ? countRows(name) : null }));
  return {
    path: handle.path,
    integrity,
    // Pending migrations are normal between an upgrade and the worker's next start; corruption is not.
    ok: integrity.length === 1 && integrity[0] === 'ok' && migrations.unknown === 0,
    migrations,
    tables,
  };
}
