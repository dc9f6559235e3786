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
// (each ≤ max_entry_bytes, together ≤ max_bytes per worker). The database
// itself (schema, statements, the write transaction) is shared-db.ts.
import { existsSync, mkdirSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { SharedDb } from './shared-db.js';
import { ByteStore, headerText, type Entry, type RequestHeaders, type Store } from './store.js';

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

/** One graph's view of the machine's store: the machine's bytes, this view's cap, this process's fills. */
export class SharedStore implements Store {
  readonly maxBytes: number;
  private readonly connect: () => SharedDb | null;
  private conn: SharedDb | null = null;
  /** This process's own store, when the shared one could not be opened. */
  private local: ByteStore | null = null;
  private reserved = 0;
  /** Stores this process skipped because another held the write lock past BUSY_MS (shared-db.ts). */
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
    if (this.local !== null) this.local.release(n);
    else this.reserved -= n;
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
