// Opening a SQLite file that several processes of one node open at once (a
// cluster's workers all open data_dir/incidents.sqlite and learned.sqlite at
// start). Switching a file to WAL needs a lock that SQLite's busy handler
// does not always wait for: a worker that opened the file while another set
// it up got "database is locked" and the shield did not start. The set-up is
// retried for a few seconds (start-up only, never on the request path).
// better-sqlite3 is loaded at the first open (a process that never opens a
// file never pays for it).
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';

const require = createRequire(import.meta.url);
const loadSqlite = (): typeof Database => require('better-sqlite3') as typeof Database;

const BUSY = /SQLITE_BUSY|SQLITE_LOCKED|database is locked|database table is locked/i;

/** Sleeps the thread: start-up only. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Opens `file` and runs `setup` on it (pragmas, schema), retrying while
 * another process holds the lock, for up to `waitMs` in all.
 */
export function openSqliteFile(
  file: string,
  options: Database.Options,
  setup: (db: Database.Database) => void,
  waitMs = 10_000,
): Database.Database {
  const Sqlite = loadSqlite();
  const deadline = Date.now() + waitMs;
  for (let attempt = 0; ; attempt++) {
    let db: Database.Database | null = null;
    try {
      db = new Sqlite(file, { timeout: 2000, ...options });
      setup(db);
      return db;
    } catch (err) {
      db?.close();
      const code = (err as { code?: string }).code ?? '';
      if ((!BUSY.test(code) && !BUSY.test((err as Error).message)) || Date.now() >= deadline) throw err;
      pause(Math.min(200, 20 * (attempt + 1)));
    }
  }
}
