// Reads the SQLite records file the way an operator's `sqlite3` would: read-only, opened for one query at a time.
import Database from 'better-sqlite3';

/** The rows `sql` returns; the file is opened read-only for this query alone (the worker keeps writing it). */
export function readRows<Row = Record<string, unknown>>(
  databasePath: string,
  sql: string,
  ...params: unknown[]
): Row[] {
  const db = new Database(databasePath, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as Row[];
  } finally {
    db.close();
  }
}
