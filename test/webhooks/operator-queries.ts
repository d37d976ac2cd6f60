// Runs the operators' printed sqlite3 queries, text unchanged, against a database file: with the sqlite3 shell when
// it is installed (what their documents call), else with Python's sqlite3 module (what their scripts used).
import { spawnSync } from 'node:child_process';

const hasSqliteShell = spawnSync('sqlite3', ['-version'], { encoding: 'utf8' }).status === 0;

const PYTHON = `
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
for row in con.execute(sys.argv[2]):
    print('|'.join('' if v is None else str(v) for v in row))
con.commit()
con.close()
`;

/** The rows as sqlite3 prints them in its default list mode: one line per row, columns joined by "|". */
export function operatorQuery(databasePath: string, sql: string): string[] {
  const r = hasSqliteShell
    ? spawnSync('sqlite3', [databasePath, sql], { encoding: 'utf8' })
    : spawnSync('python3', ['-c', PYTHON, databasePath, sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`query failed (${r.status}): ${r.stderr || r.error?.message}\n${sql}`);
  return r.stdout.split('\n').filter((line) => line !== '');
}

/** The single value of a COUNT(*) query. */
export function operatorCount(databasePath: string, sql: string): number {
  const [line, ...rest] = operatorQuery(databasePath, sql);
  if (line === undefined || rest.length > 0 || !/^\d+$/.test(line)) throw new Error(`not one count: ${line}`);
  return Number(line);
}
