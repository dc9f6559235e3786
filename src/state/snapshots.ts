// What a node learned, kept across restarts: one SQLite file under data_dir
// (`learned.sqlite`, better-sqlite3, WAL) holding named blobs — the
// detector's baselines and attack memory, each worker's client book, and for
// the memory backend its bans, mitigations, mode and signing keys. Written a
// few times a minute and at shutdown, read once at start; never on the
// request path. Several processes of one node (a cluster's primary and its
// workers) share the file, each writing its own names. A blob is opaque here:
// its owner encodes and checks it (snapshot-codec.ts).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openSqliteFile } from '../core/sqlite.js';

export interface Snapshot {
  name: string;
  /** ms since the epoch when it was written. */
  savedAt: number;
  data: Buffer;
}

export interface Snapshots {
  readonly file: string;
  /** The blob saved under `name`, or null. */
  load(name: string): Snapshot | null;
  /** Every blob whose name starts with `prefix` (e.g. the workers' client books). */
  loadAll(prefix: string): Snapshot[];
  save(name: string, data: Uint8Array, at: number): void;
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS snapshots (name TEXT PRIMARY KEY, saved_at INTEGER NOT NULL, data BLOB NOT NULL);
`;

/** Opens (creating it when missing) the snapshot file in `dataDir`; throws on a file that cannot be opened. */
export function openSnapshots(dataDir: string): Snapshots {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'learned.sqlite');
  // A cluster's processes open and write the same file (core/sqlite.ts retries the set-up while one holds it).
  const db = openSqliteFile(file, { timeout: 2000 }, (d) => {
    d.pragma('journal_mode = WAL');
    d.pragma('synchronous = NORMAL');
    d.exec(SCHEMA);
  });
  const get = db.prepare('SELECT name, saved_at AS savedAt, data FROM snapshots WHERE name = ?');
  const all = db.prepare(
    "SELECT name, saved_at AS savedAt, data FROM snapshots WHERE name LIKE ? ESCAPE '\\' ORDER BY name",
  );
  const put = db.prepare(
    'INSERT INTO snapshots (name, saved_at, data) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET saved_at = excluded.saved_at, data = excluded.data',
  );
  return {
    file,
    load: (name) => (get.get(name) as Snapshot | undefined) ?? null,
    loadAll: (prefix) => all.all(`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`) as Snapshot[],
    save(name, data, at) {
      put.run(name, Math.round(at), Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    },
    close: () => db.close(),
  };
}
