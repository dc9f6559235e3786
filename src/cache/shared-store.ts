// The machine's one response store for cluster workers: a SQLite database in
// shared memory (/dev/shm when it has room), opened by every worker, so a page
// stored through one worker is served, fresh or stale, by all of them and
// `max_bytes` caps the stored bytes of the machine, not of each worker.
// Same contract as ByteStore (store.ts). Why SQLite: reads are synchronous
// (the cache stage stays sync), WAL lets readers run beside one writer without
// waiting, and the bytes live once in the page cache of a shared file; the
// primary as the holder would add an IPC round trip to every lookup.
// Per lookup: one indexed SELECT (bench/micro/cache.bench.ts, loaded machine:
// a hit ~9 µs for a 1 KB page, ~11 µs for 16 KB; a miss ~2 µs; the memory
// store 0.1–0.4 µs; forwarding to the origin costs ~80 µs of CPU). Writes happen on
// stores only, in one IMMEDIATE transaction; a writer that cannot get the
// lock within BUSY_MS skips storing (never blocks the event loop for long).
// LRU recency is batched: hits are noted locally and written with the next
// store or within a second. Fills in progress hold their bytes in the worker
// (each ≤ max_entry_bytes, together ≤ max_bytes per worker).
import { existsSync, mkdirSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import {
  ByteStore,
  MAX_VARIANTS,
  headerText,
  usableUntil,
  type Entry,
  type RequestHeaders,
  type Store,
} from './store.js';

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

const FILE_PREFIX = 'rampart-cache-';

/**
 * Where the cluster primary puts the machine's store: /dev/shm when it can
 * hold `maxBytes` twice over (WAL and free pages), else `fallbackDir`
 * (data_dir: the kernel's page cache keeps it in memory, reclaimably). Files
 * left by a primary that died (its pid is gone) are removed first.
 */
export function sharedStorePath(maxBytes: number, fallbackDir: string): string {
  let dir = fallbackDir;
  try {
    const fs = statfsSync('/dev/shm');
    if (fs.bavail * fs.bsize >= maxBytes * 2) dir = '/dev/shm';
  } catch {
    // no /dev/shm on this system
  }
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) {
    const m = /^rampart-cache-(\d+)-/.exec(name);
    if (m === null || pidAlive(Number(m[1]))) continue;
    rmSync(join(dir, name), { force: true });
  }
  return join(dir, `${FILE_PREFIX}${process.pid}-${Math.random().toString(36).slice(2, 10)}.sqlite`);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the store's files (the primary, at stop). */
export function removeSharedStore(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`])
    if (existsSync(f)) rmSync(f, { force: true });
}

/**
 * One process's connection to the machine's store (opened once, at the first
 * graph that caches; closed with the process). `open(maxBytes)` gives each
 * graph its view with its own cap and its own fills in progress.
 */
export function createSharedStores(
  file: string,
  onFail: (err: unknown) => void = () => {},
): (maxBytes: number) => Store {
  let db: SharedDb | null | false = null;
  // Opened at the first lookup or store, not at start: a worker that has served no cacheable request holds no SQLite.
  // If it cannot be opened, each view keeps this process's own memory store instead (onFail says so once).
  const connect = (): SharedDb | null => {
    if (db === null) {
      try {
        db = new SharedDb(file);
      } catch (err) {
        db = false;
        onFail(err);
      }
    }
    return db === false ? null : db;
  };
  return (maxBytes) => new SharedStore(connect, maxBytes);
}

class SharedDb {
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

/** One graph's view of the machine's store: the machine's bytes, this view's cap, this process's fills. */
export class SharedStore implements Store {
  readonly maxBytes: number;
  private readonly connect: () => SharedDb | null;
  private conn: SharedDb | null = null;
  /** This process's own store, when the shared one could not be opened. */
  private local: ByteStore | null = null;
  private reserved = 0;
  /** Stores this process skipped because another held the write lock past BUSY_MS. */
  busySkips = 0;

  constructor(connect: () => SharedDb | null, maxBytes: number) {
    this.connect = connect;
    this.maxBytes = maxBytes;
  }

  /** The shared database, or null with `local` set when it cannot be opened. */
  private open(): SharedDb | null {
    if (this.conn !== null || this.local !== null) return this.conn;
    this.conn = this.connect();
    if (this.conn === null) this.local = new ByteStore(this.maxBytes);
    return this.conn;
  }

  /** The machine's totals; zeros while this process has not opened the store (it has not cached anything yet). */
  private totals(): { bytes: number; entries: number; evictions: number } {
    if (this.local !== null)
      return { bytes: this.local.bytes(), entries: this.local.entries, evictions: this.local.evictions };
    return this.conn === null ? { bytes: 0, entries: 0, evictions: 0 } : this.conn.readTotals.get()!;
  }

  /** Stored bytes of the machine (≤ maxBytes); this process's fills in progress are held apart (≤ maxBytes too). */
  bytes(): number {
    return this.totals().bytes;
  }

  get entries(): number {
    return this.totals().entries;
  }

  get evictions(): number {
    return this.totals().evictions;
  }

  find(key: string, headers: RequestHeaders, now: number): Entry | null {
    const db = this.open();
    if (db === null) return this.local!.find(key, headers, now);
    const rows = db.byKey.all(key, now); // dead rows are left out here and deleted with the next store
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      const names = r[1] === null ? null : (JSON.parse(r[1]) as string[]);
      const values = names === null ? NO_VALUES : (JSON.parse(r[2]) as string[]);
      if (!matches(names, values, headers)) continue;
      db.noteHit(r[0], now);
      return {
        key,
        varyNames: names,
        varyValues: values,
        status: r[3],
        headers: JSON.parse(r[4]) as string[],
        body: r[5],
        storedAt: r[6],
        ageAtStore: r[7],
        freshMs: r[8],
        swrMs: r[9],
        staleMs: r[10],
        size: r[11],
      };
    }
    return null;
  }

  reserve(n: number): boolean {
    if (this.open() === null) return this.local!.reserve(n);
    if (this.reserved + n > this.maxBytes) return false;
    this.reserved += n;
    return true;
  }

  release(n: number): void {
    if (this.local !== null) return this.local.release(n);
    this.reserved -= n;
  }

  put(e: Entry, reservedBytes: number): boolean {
    const db = this.open();
    if (db === null) return this.local!.put(e, reservedBytes);
    this.reserved -= reservedBytes;
    if (e.size > this.maxBytes) return false;
    try {
      return db.store.immediate(e, this.maxBytes);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_BUSY') {
        this.busySkips++;
        return false;
      }
      throw err;
    }
  }

  clear(): void {
    const db = this.open();
    if (db === null) this.local!.clear();
    else db.clear();
  }
}

const NO_VALUES: readonly string[] = [];

function matches(names: readonly string[] | null, values: readonly string[], headers: RequestHeaders): boolean {
  if (names === null) return true;
  for (let i = 0; i < names.length; i++) if (headerText(headers[names[i]]) !== values[i]) return false;
  return true;
}

function sameVariant(row: { vary_names: string | null; vary_values: string }, e: Entry): boolean {
  const names = e.varyNames === null ? null : JSON.stringify(e.varyNames);
  return row.vary_names === names && (names === null || row.vary_values === JSON.stringify(e.varyValues));
}
