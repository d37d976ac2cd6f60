// Applies the committed drizzle migrations, adopting in place a database the operators' Python tools created.
//
// The journal is drizzle's own (`__drizzle_migrations`, same columns and hash/created_at values as drizzle's
// migrator writes), so drizzle-kit and drizzle's migrate() interoperate with it. Everything runs in ONE
// `BEGIN IMMEDIATE` transaction: two processes starting together cannot both apply a migration, and a failure
// leaves the database exactly as it was.
//
// Adoption (no migration recorded yet): before the baseline runs, every table that already exists is brought up to
// the baseline snapshot's columns with ALTER TABLE ADD COLUMN (rows are never rewritten or dropped). The baseline
// SQL is all IF NOT EXISTS, so it then only creates what is missing: tables, indexes, the unique indexes.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type { DatabaseHandle } from './connection';

/** drizzle/ at the repository root, resolved from this file so any working directory works. */
export const MIGRATIONS_FOLDER = resolve(__dirname, '..', '..', 'drizzle');
export const MIGRATIONS_TABLE = '__drizzle_migrations';

export interface AddedColumn {
  table: string;
  column: string;
  /** The column definition used in ALTER TABLE ADD COLUMN. */
  definition: string;
}

export interface MigrationReport {
  /** Tables found before migrating (excluding SQLite's and the journal). */
  preexistingTables: string[];
  /** True when existing tables were found without any recorded migration (a database of the Python system). */
  adopted: boolean;
  /** Tags of the migrations applied by this call, in order. */
  applied: string[];
  createdTables: string[];
  createdIndexes: string[];
  addedColumns: AddedColumn[];
  /** Compromises made while adopting (constraints SQLite cannot add to an existing table, duplicate rows...). */
  warnings: string[];
}

export interface MigrateOptions {
  migrationsFolder?: string;
}

interface JournalEntry {
  idx: number;
  when: number;
  tag: string;
}

interface SnapshotColumn {
  name: string;
  type: string;
  primaryKey: boolean;
  notNull: boolean;
  autoincrement?: boolean;
  default?: string | number | boolean;
}

interface Snapshot {
  tables: Record<string, { name: string; columns: Record<string, SnapshotColumn> }>;
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

function listObjects(handle: DatabaseHandle, type: 'table' | 'index'): Set<string> {
  const rows = handle.sqlite
    .prepare<[string], { name: string }>(`SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%'`)
    .all(type);
  return new Set(rows.map((r) => r.name).filter((n) => n !== MIGRATIONS_TABLE));
}

/** A DEFAULT that ALTER TABLE ADD COLUMN accepts (a literal), or null when there is none or it is an expression. */
function constantDefault(value: SnapshotColumn['default']): string | null {
  if (value === undefined) return null;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (/^'(?:[^']|'')*'$/.test(value) || /^-?\d+(?:\.\d+)?$/.test(value) || /^null$/i.test(value)) return value;
  return null;
}

function addMissingColumns(
  handle: DatabaseHandle,
  snapshot: Snapshot,
  existingTables: Set<string>,
  report: MigrationReport,
): void {
  for (const table of Object.values(snapshot.tables)) {
    if (!existingTables.has(table.name)) continue;
    const present = new Set(
      handle.sqlite
        .prepare<[], { name: string }>(`PRAGMA table_info(${quoteIdent(table.name)})`)
        .all()
        .map((c) => c.name.toLowerCase()),
    );
    for (const col of Object.values(table.columns)) {
      if (present.has(col.name.toLowerCase())) continue;
      let definition = `${quoteIdent(col.name)} ${col.type}`;
      const def = constantDefault(col.default);
      if (col.default !== undefined && def === null) {
        report.warnings.push(
          `${table.name}.${col.name}: added without DEFAULT ${String(col.default)} (SQLite cannot add a column with a non-constant default)`,
        );
      }
      if (def !== null) definition += ` DEFAULT ${def}`;
      if (col.primaryKey) {
        report.warnings.push(
          `${table.name}.${col.name}: added as a plain column, not PRIMARY KEY (SQLite cannot add a key to an existing table)`,
        );
      } else if (col.notNull) {
        if (def !== null) definition += ' NOT NULL';
        else report.warnings.push(`${table.name}.${col.name}: added as nullable (existing rows have no value)`);
      }
      handle.sqlite.exec(`ALTER TABLE ${quoteIdent(table.name)} ADD COLUMN ${definition}`);
      report.addedColumns.push({ table: table.name, column: col.name, definition });
    }
  }
}

const UNIQUE_INDEX_RE = /CREATE\s+UNIQUE\s+INDEX\s+IF\s+NOT\s+EXISTS\s+[`"]?(\w+)[`"]?\s+ON\s+[`"]?(\w+)[`"]?/i;

/**
 * Creates the baseline's unique indexes on tables that already hold rows. When existing rows violate one (tables
 * the Python tools created without that constraint), the index is created non-unique under the same name instead,
 * keeping every row, and a warning says so.
 */
function createUniqueIndexesOnExistingTables(
  handle: DatabaseHandle,
  statements: string[],
  existingTables: Set<string>,
  report: MigrationReport,
): void {
  const existingIndexes = listObjects(handle, 'index');
  for (const stmt of statements) {
    const m = UNIQUE_INDEX_RE.exec(stmt);
    if (!m) continue;
    const [, name = '', table = ''] = m;
    if (!existingTables.has(table) || existingIndexes.has(name)) continue;
    try {
      handle.sqlite.transaction(() => handle.sqlite.exec(stmt))(); // nested => SAVEPOINT
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw err;
      handle.sqlite.exec(stmt.replace(/CREATE\s+UNIQUE\s+INDEX/i, 'CREATE INDEX'));
      report.warnings.push(`${table}: existing rows are not unique for ${name}; created it as a non-unique index`);
    }
  }
}

export function migrateDatabase(handle: DatabaseHandle, opts: MigrateOptions = {}): MigrationReport {
  if (handle.readonly) throw new Error('migrateDatabase needs a writable database handle');
  const folder = opts.migrationsFolder ?? MIGRATIONS_FOLDER;
  const journal = readJson<{ entries: JournalEntry[] }>(join(folder, 'meta', '_journal.json'));
  const migrations = readMigrationFiles({ migrationsFolder: folder });
  const tagOf = new Map(journal.entries.map((e) => [e.when, e.tag]));
  const baseline = journal.entries[0];

  const run = handle.sqlite.transaction((): MigrationReport => {
    const tablesBefore = listObjects(handle, 'table');
    const indexesBefore = listObjects(handle, 'index');
    const report: MigrationReport = {
      preexistingTables: [...tablesBefore].sort(),
      adopted: false,
      applied: [],
      createdTables: [],
      createdIndexes: [],
      addedColumns: [],
      warnings: [],
    };

    handle.sqlite.exec(
      `CREATE TABLE IF NOT EXISTS ${quoteIdent(MIGRATIONS_TABLE)} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`,
    );
    const last = handle.sqlite
      .prepare<[], { created_at: number | string }>(
        `SELECT created_at FROM ${quoteIdent(MIGRATIONS_TABLE)} ORDER BY created_at DESC LIMIT 1`,
      )
      .get();

    if (!last && tablesBefore.size > 0 && baseline && migrations[0]) {
      report.adopted = true;
      const snapshot = readJson<Snapshot>(
        join(folder, 'meta', `${String(baseline.idx).padStart(4, '0')}_snapshot.json`),
      );
      addMissingColumns(handle, snapshot, tablesBefore, report);
      createUniqueIndexesOnExistingTables(handle, migrations[0].sql, tablesBefore, report);
    }

    const insertJournal = handle.sqlite.prepare<[string, number]>(
      `INSERT INTO ${quoteIdent(MIGRATIONS_TABLE)} ("hash", "created_at") VALUES (?, ?)`,
    );
    for (const migration of migrations) {
      if (last && Number(last.created_at) >= migration.folderMillis) continue;
      for (const stmt of migration.sql) {
        if (stmt.trim() !== '') handle.sqlite.exec(stmt);
      }
      insertJournal.run(migration.hash, migration.folderMillis);
      report.applied.push(tagOf.get(migration.folderMillis) ?? String(migration.folderMillis));
    }

    report.createdTables = [...listObjects(handle, 'table')].filter((t) => !tablesBefore.has(t)).sort();
    report.createdIndexes = [...listObjects(handle, 'index')].filter((i) => !indexesBefore.has(i)).sort();
    return report;
  });
  return run.immediate();
}
