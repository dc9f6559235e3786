// One process's connection to the machine's SQLite response store: the
// schema, the prepared statements, the write transaction (dead rows out, the
// same variant replaced, LRU eviction down to the cap) and batched recency.
// Not the Store contract (shared-store.ts wraps it in one). Reads: one indexed
// SELECT per lookup; writes: one IMMEDIATE transaction per store, waiting at
// most BUSY_MS for the lock.
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { MAX_VARIANTS, usableUntil, type Entry } from './store.js';

const require = createRequire(import.meta.url);
const BUSY_MS = 20;
const TOUCH_FLUSH_MS = 1000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS entries (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  vary_names TEXT,
  vary_values TEXT NOT NULL,
  status INTEGER NOT NULL,
  headers TEXT NOT NULL,
  body BLOB NOT NULL,
  stored_at INTEGER NOT NULL,
  age_at_store INTEGER NOT NULL,
  fresh_ms INTEGER NOT NULL,
  swr_ms INTEGER NOT NULL,
  stale_ms INTEGER NOT NULL,
  size INTEGER NOT NULL,
  dead_at INTEGER NOT NULL,
  used INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_key ON entries(key);
CREATE INDEX IF NOT EXISTS entries_used ON entries(used);
CREATE INDEX IF NOT EXISTS entries_dead ON entries(dead_at);
CREATE TABLE IF NOT EXISTS totals (id INTEGER PRIMARY KEY CHECK (id = 1), bytes INTEGER NOT NULL, entries INTEGER NOT NULL, evictions INTEGER NOT NULL);
INSERT OR IGNORE INTO totals VALUES (1, 0, 0, 0);
CREATE TRIGGER IF NOT EXISTS entries_in AFTER INSERT ON entries BEGIN UPDATE totals SET bytes = bytes + NEW.size, entries = entries + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS entries_out AFTER DELETE ON entries BEGIN UPDATE totals SET bytes = bytes - OLD.size, entries = entries - 1 WHERE id = 1; END;
`;

/** A row of byKey: id, vary_names, vary_values, status, headers, body, stored_at, age_at_store, fresh_ms, swr_ms, stale_ms, size. */
type RawRow = [number, string | null, string, number, string, Buffer, number, number, number, number, number, number];

export class SharedDb {
  /** Live rows of a key as arrays (raw mode: no object per row), newest first. */
  readonly byKey: BetterSqlite3.Statement<[string, number], RawRow>;
  readonly readTotals: BetterSqlite3.Statement<[], { bytes: number; entries: number; evictions: number }>;
  private readonly db: BetterSqlite3.Database;
  private readonly variants: BetterSqlite3.Statement<
    [string],
    { id: number; vary_names: string | null; vary_values: string }
  >;
  private readonly insert: BetterSqlite3.Statement<unknown[]>;
  private readonly remove: BetterSqlite3.Statement<[number]>;
  private readonly removeDead: BetterSqlite3.Statement<[number]>;
  private readonly oldest: BetterSqlite3.Statement<[number], { id: number }>;
  private readonly touch: BetterSqlite3.Statement<[number, number]>;
  private readonly addEvictions: BetterSqlite3.Statement<[number]>;
  readonly store: { immediate(e: Entry, maxBytes: number): boolean };
  /** Entry ids hit since the last flush, with the time of their last hit. */
  private readonly touched = new Map<number, number>();
  private touchTimer: NodeJS.Timeout | null = null;

  constructor(file: string) {
    const Database = require('better-sqlite3') as typeof BetterSqlite3;
    const db = (this.db = new Database(file, { timeout: 5000 }));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF'); // a cache: a crash may lose it, never corrupt what is read
    db.pragma('cache_size = -1024'); // 1 MiB of page cache per process: the file is in memory already
    db.exec(`BEGIN IMMEDIATE; ${SCHEMA} COMMIT;`);
    db.pragma(`busy_timeout = ${BUSY_MS}`);
    this.byKey = db
      .prepare<[string, number], RawRow>(
        'SELECT id, vary_names, vary_values, status, headers, body, stored_at, age_at_store, fresh_ms, swr_ms, stale_ms, size FROM entries WHERE key = ? AND dead_at >= ? ORDER BY id DESC',
      )
      .raw(true);
    this.variants = db.prepare('SELECT id, vary_names, vary_values FROM entries WHERE key = ? ORDER BY id');
    this.insert = db.prepare(
      'INSERT INTO entries (key, vary_names, vary_values, status, headers, body, stored_at, age_at_store, fresh_ms, swr_ms, stale_ms, size, dead_at, used) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.remove = db.prepare('DELETE FROM entries WHERE id = ?');
    this.removeDead = db.prepare('DELETE FROM entries WHERE dead_at < ?');
    this.oldest = db.prepare('SELECT id FROM entries ORDER BY used LIMIT ?');
    this.touch = db.prepare('UPDATE entries SET used = ? WHERE id = ?');
    this.readTotals = db.prepare('SELECT bytes, entries, evictions FROM totals WHERE id = 1');
    this.addEvictions = db.prepare('UPDATE totals SET evictions = evictions + ? WHERE id = 1');
    this.store = db.transaction((e: Entry, maxBytes: number): boolean => this.storeLocked(e, maxBytes));
  }

  clear(): void {
    this.db.exec('DELETE FROM entries');
  }

  /** Within the write transaction: dead rows out, the same variant replaced, LRU rows evicted down to maxBytes. */
  private storeLocked(e: Entry, maxBytes: number): boolean {
    const now = e.storedAt;
    this.flushTouches();
    this.removeDead.run(now);
    const list = this.variants.all(e.key);
    let kept = list.length;
    for (let i = 0; i < list.length; i++) {
      if (sameVariant(list[i], e)) {
        this.remove.run(list[i].id);
        kept--;
      }
    }
    for (let i = 0; kept >= MAX_VARIANTS && i < list.length; i++) {
      if (sameVariant(list[i], e)) continue;
      this.remove.run(list[i].id);
      kept--;
    }
    const varyNames = e.varyNames === null ? null : JSON.stringify(e.varyNames);
    const id = Number(
      this.insert.run(
        e.key,
        varyNames,
        JSON.stringify(e.varyValues),
        e.status,
        JSON.stringify(e.headers),
        e.body,
        e.storedAt,
        e.ageAtStore,
        e.freshMs,
        e.swrMs,
        e.staleMs,
        e.size,
        usableUntil(e),
        now,
      ).lastInsertRowid,
    );
    let evicted = 0;
    while (this.readTotals.get()!.bytes > maxBytes) {
      const victims = this.oldest.all(16);
      let removed = 0;
      for (let i = 0; i < victims.length && this.readTotals.get()!.bytes > maxBytes; i++) {
        if (victims[i].id === id) continue;
        this.remove.run(victims[i].id);
        removed++;
      }
      evicted += removed;
      if (removed === 0) break;
    }
    if (evicted > 0) this.addEvictions.run(evicted);
    return true;
  }

  noteHit(id: number, now: number): void {
    this.touched.set(id, now);
    if (this.touchTimer !== null) return;
    this.touchTimer = setTimeout(() => {
      this.touchTimer = null;
      try {
        this.db.transaction(() => this.flushTouches()).immediate();
      } catch {
        // busy: the recency waits for the next store
      }
    }, TOUCH_FLUSH_MS);
    this.touchTimer.unref();
  }

  private flushTouches(): void {
    for (const [id, at] of this.touched) this.touch.run(at, id);
    this.touched.clear();
  }
}

function sameVariant(row: { vary_names: string | null; vary_values: string }, e: Entry): boolean {
  const names = e.varyNames === null ? null : JSON.stringify(e.varyNames);
  return row.vary_names === names && (names === null || row.vary_values === JSON.stringify(e.varyValues));
}
