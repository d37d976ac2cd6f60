// Opens the SQLite database (better-sqlite3 + drizzle) with the pragmas every process sharing the file relies on.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import * as schema from './schema';

export type Db = BetterSQLite3Database<typeof schema>;

export interface DatabaseHandle {
  /** The path given to openDatabase (":memory:" for an in-memory database). */
  readonly path: string;
  readonly readonly: boolean;
  readonly sqlite: Database.Database;
  readonly db: Db;
  /** Closes the connection; calling it again does nothing. */
  close(): void;
}

export interface OpenDatabaseOptions {
  /** Open read-only (the file must exist; pragmas that write are skipped). */
  readonly?: boolean;
  /** busy_timeout in ms (default 5000). */
  busyTimeoutMs?: number;
}

function isInMemory(path: string): boolean {
  return path === ':memory:' || path === '' || path.startsWith('file::memory:');
}

export function openDatabase(path: string, opts: OpenDatabaseOptions = {}): DatabaseHandle {
  const readonly = opts.readonly ?? false;
  if (!readonly && !isInMemory(path)) mkdirSync(dirname(resolve(path)), { recursive: true });

  const sqlite = new Database(path, { readonly, fileMustExist: readonly });
  try {
    // busy_timeout first: switching to WAL needs a lock another process may hold.
    sqlite.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
    if (!readonly) sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
  } catch (err) {
    sqlite.close();
    throw err;
  }

  const db = drizzle({ client: sqlite, schema });
  let closed = false;
  return {
    path,
    readonly,
    sqlite,
    db,
    close() {
      if (closed) return;
      closed = true;
      sqlite.close();
    },
  };
}
