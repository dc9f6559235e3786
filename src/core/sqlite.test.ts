// Opening a SQLite file another process holds locked at start-up (a cluster's
// workers open the same data_dir files at once): the set-up waits and retries
// past SQLite's own busy timeout instead of failing the start.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { openSqliteFile } from './sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const sqlitePath = createRequire(import.meta.url).resolve('better-sqlite3');

/** Another thread takes the file's exclusive lock and holds it for `ms`. */
function holdLock(file: string, ms: number): Promise<Worker> {
  const w = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const Database = require(workerData.lib);
     const db = new Database(workerData.file);
     db.exec('CREATE TABLE IF NOT EXISTS t (x)');
     db.exec('BEGIN EXCLUSIVE');
     db.exec('INSERT INTO t VALUES (1)');
     parentPort.postMessage('locked');
     setTimeout(() => { db.exec('COMMIT'); db.close(); parentPort.postMessage('released'); }, workerData.ms);`,
    { eval: true, workerData: { lib: sqlitePath, file, ms } },
  );
  return new Promise((resolve, reject) => {
    w.once('message', () => resolve(w));
    w.once('error', reject);
  });
}

test('a file locked past the busy timeout is opened once the lock is released', async () => {
  const file = join(dir, 'a.sqlite');
  const w = await holdLock(file, 2500);
  const released = new Promise((r) => w.once('message', r));
  // The busy timeout is 2 s: a single try fails while the other thread holds the lock 2.5 s.
  assert.throws(
    () => openSqliteFile(file, { timeout: 200 }, (db) => db.pragma('journal_mode = WAL'), 0),
    /locked|busy/i,
  );
  // Atomics.wait blocks this thread, not the lock holder's: it releases on time.
  const db = openSqliteFile(file, {}, (d) => {
    d.pragma('journal_mode = WAL');
    d.exec('CREATE TABLE IF NOT EXISTS u (y)');
  });
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(
    (db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n,
    1,
    'the other writer committed first',
  );
  db.close();
  await released;
  await w.terminate();
});

test('an error other than a lock is not retried: it is thrown as it is', () => {
  let tries = 0;
  assert.throws(
    () =>
      openSqliteFile(join(dir, 'b.sqlite'), {}, (db) => {
        tries++;
        db.exec('NOT SQL');
      }),
    /syntax/i,
  );
  assert.equal(tries, 1);
});
