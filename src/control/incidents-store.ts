// The incident store: one SQLite file (better-sqlite3, WAL) under data_dir.
// Incidents are one row each (summary columns + the JSON record); per-second
// samples are rows keyed (incident, t, resolution). Written in one transaction
// per tick by the recorder, never on the request path. Readers (the report
// CLI) may open the same file read-only while Rampart runs.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { StartupError } from '../core/errors.js';
import type { IncidentRecord, Sample } from './incidents-types.js';
import { openSqliteFile } from '../core/sqlite.js';

export interface IncidentRow {
  id: string;
  startedAt: number;
  endedAt: number | null;
  status: 'open' | 'closed';
  verdict: string;
  vectors: string[];
}

export interface IncidentStore {
  readonly file: string;
  /** Upserts records and appends samples in one transaction. */
  save(records: readonly IncidentRecord[], samples: readonly { id: string; s: Sample }[]): void;
  list(limit?: number): IncidentRow[];
  get(id: string): IncidentRecord | null;
  latestId(): string | null;
  samples(id: string): Sample[];
  open(): IncidentRecord[];
  /** Deletes closed incidents ended before now − retention; downsamples samples of incidents closed before now − fullResolution to 10 s. */
  prune(now: number, retentionMs: number, fullResolutionMs: number): { deleted: number; downsampled: number };
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS incidents (id TEXT PRIMARY KEY, started_at INTEGER NOT NULL, ended_at INTEGER, status TEXT NOT NULL, verdict TEXT NOT NULL DEFAULT '', vectors TEXT NOT NULL DEFAULT '[]', updated_at INTEGER NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS incidents_started ON incidents(started_at);
CREATE TABLE IF NOT EXISTS samples (incident_id TEXT NOT NULL, t INTEGER NOT NULL, res INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (incident_id, t, res)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
INSERT OR IGNORE INTO meta (k, v) VALUES ('schema', '1');
`;

/** A plain object of closures (callers and tests may spread it to replace one method). */
export function openIncidentStore(file: string, opts: { readonly?: boolean } = {}): IncidentStore {
  const readonly = opts.readonly ?? false;
  const db = openDatabase(file, readonly);
  const write = readonly ? null : writer(db);
  const q = prepareReads(db);
  return {
    file,
    save(records, samples) {
      if (!write) throw new Error('the incident store is open read-only');
      write(records, samples);
    },
    list: (limit = 100) => (q.list.all(limit) as ListedRow[]).map(incidentRow),
    get(id) {
      const row = q.get.get(id) as { record: string } | undefined;
      return row ? (JSON.parse(row.record) as IncidentRecord) : null;
    },
    latestId: () => (q.latest.get() as { id: string } | undefined)?.id ?? null,
    samples: (id) => (q.samples.all(id) as { data: string }[]).map((r) => JSON.parse(r.data) as Sample),
    open: () => (q.open.all() as { record: string }[]).map((r) => JSON.parse(r.record) as IncidentRecord),
    prune(now, retentionMs, fullResolutionMs) {
      if (readonly) return { deleted: 0, downsampled: 0 };
      return db.transaction(() => ({
        deleted: deleteClosed(db, now - retentionMs),
        downsampled: downsampleClosed(db, now - fullResolutionMs),
      }))();
    },
    close: () => db.close(),
  };
}

function openDatabase(file: string, readonly: boolean): Database.Database {
  try {
    if (!readonly) mkdirSync(dirname(file), { recursive: true });
    return openSqliteFile(file, { readonly, fileMustExist: readonly }, (d) => {
      if (readonly) return;
      d.pragma('journal_mode = WAL');
      d.pragma('synchronous = NORMAL');
      d.exec(SCHEMA);
    });
  } catch (err) {
    const hint = readonly
      ? 'run Rampart once with evidence enabled, or pass --data-dir DIR of the running shield'
      : 'check that data_dir is writable';
    throw new StartupError(
      'E_INCIDENT_STORE',
      `cannot open the incident store ${file}: ${(err as Error).message}`,
      hint,
      { cause: err },
    );
  }
}

interface ListedRow {
  id: string;
  started_at: number;
  ended_at: number | null;
  status: 'open' | 'closed';
  verdict: string;
  vectors: string;
}

const incidentRow = (r: ListedRow): IncidentRow => ({
  id: r.id,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  status: r.status,
  verdict: r.verdict,
  vectors: JSON.parse(r.vectors) as string[],
});

function prepareReads(db: Database.Database) {
  return {
    list: db.prepare(
      'SELECT id, started_at, ended_at, status, verdict, vectors FROM incidents ORDER BY started_at DESC LIMIT ?',
    ),
    get: db.prepare('SELECT record FROM incidents WHERE id = ?'),
    latest: db.prepare('SELECT id FROM incidents ORDER BY started_at DESC LIMIT 1'),
    samples: db.prepare('SELECT data FROM samples WHERE incident_id = ? ORDER BY t'),
    open: db.prepare("SELECT record FROM incidents WHERE status = 'open'"),
  };
}

/** Upserts records and appends samples, in one transaction. */
function writer(db: Database.Database) {
  const upsert = db.prepare(
    'INSERT INTO incidents (id, started_at, ended_at, status, verdict, vectors, updated_at, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET ended_at = excluded.ended_at, status = excluded.status, verdict = excluded.verdict, vectors = excluded.vectors, updated_at = excluded.updated_at, record = excluded.record',
  );
  const sample = db.prepare('INSERT OR REPLACE INTO samples (incident_id, t, res, data) VALUES (?, ?, ?, ?)');
  return db.transaction((records: readonly IncidentRecord[], samples: readonly { id: string; s: Sample }[]) => {
    for (const r of records)
      upsert.run(
        r.id,
        r.startedAt,
        r.endedAt,
        r.status,
        r.classification?.verdict ?? '',
        JSON.stringify(r.vectors.map((v) => v.vector)),
        r.lastSeenAt,
        JSON.stringify(r),
      );
    for (const x of samples) sample.run(x.id, x.s.t, 1, JSON.stringify(x.s));
  });
}

/** Closed incidents ended before `before`, with their samples: deleted. */
function deleteClosed(db: Database.Database, before: number): number {
  const old = db.prepare("SELECT id FROM incidents WHERE status = 'closed' AND ended_at < ?").all(before) as {
    id: string;
  }[];
  for (const { id } of old) {
    db.prepare('DELETE FROM samples WHERE incident_id = ?').run(id);
    db.prepare('DELETE FROM incidents WHERE id = ?').run(id);
  }
  return old.length;
}

/** Per-second samples of incidents closed before `before`: replaced by 10 s buckets. */
function downsampleClosed(db: Database.Database, before: number): number {
  const due = db
    .prepare(
      "SELECT DISTINCT s.incident_id AS id FROM samples s JOIN incidents i ON i.id = s.incident_id WHERE s.res = 1 AND i.status = 'closed' AND i.ended_at < ?",
    )
    .all(before) as { id: string }[];
  for (const { id } of due) {
    const rows = (
      db.prepare('SELECT data FROM samples WHERE incident_id = ? AND res = 1 ORDER BY t').all(id) as {
        data: string;
      }[]
    ).map((r) => JSON.parse(r.data) as Sample);
    db.prepare('DELETE FROM samples WHERE incident_id = ? AND res = 1').run(id);
    for (const s of downsample(rows, 10_000))
      db.prepare('INSERT OR REPLACE INTO samples (incident_id, t, res, data) VALUES (?, ?, 10, ?)').run(
        id,
        s.t,
        JSON.stringify(s),
      );
  }
  return due.length;
}

/** Buckets of `ms`: sums of counts, maxima of peaks, request-weighted means of latencies. */
export function downsample(rows: readonly Sample[], ms: number): Sample[] {
  const out: Sample[] = [];
  let cur: Sample | null = null;
  for (const s of rows) {
    const t = Math.floor(s.t / ms) * ms;
    if (!cur || cur.t !== t) {
      if (cur) out.push(finish(cur));
      cur = {
        ...s,
        t,
        sources: s.sources,
        seconds: 0,
        outcomes: s.outcomes ? { ...s.outcomes } : undefined,
        localOutcomes: undefined,
      };
      cur.verifiedMs *= s.verifiedReq;
      cur.othersMs *= s.othersReq;
      cur.originMs *= s.forwarded;
      cur.seconds = s.seconds ?? 1;
      continue;
    }
    cur.requests += s.requests;
    cur.forwarded += s.forwarded;
    cur.refused += s.refused;
    // Outcomes add up per second: their bucket sums add up to the bucket's requests (a second without them leaves the bucket without).
    if (cur.outcomes && s.outcomes)
      for (const k in s.outcomes) cur.outcomes[k] = (cur.outcomes[k] ?? 0) + s.outcomes[k];
    else cur.outcomes = undefined;
    cur.sources = Math.max(cur.sources, s.sources);
    cur.verifiedReq += s.verifiedReq;
    cur.verifiedServed += s.verifiedServed;
    cur.othersReq += s.othersReq;
    cur.othersServed += s.othersServed;
    cur.verifiedMs += s.verifiedMs * s.verifiedReq;
    cur.othersMs += s.othersMs * s.othersReq;
    cur.originMs += s.originMs * s.forwarded;
    cur.seconds += s.seconds ?? 1;
  }
  if (cur) out.push(finish(cur));
  return out;
}

function finish(s: Sample): Sample {
  s.verifiedMs = s.verifiedReq > 0 ? Math.round(s.verifiedMs / s.verifiedReq) : 0;
  s.othersMs = s.othersReq > 0 ? Math.round(s.othersMs / s.othersReq) : 0;
  s.originMs = s.forwarded > 0 ? Math.round(s.originMs / s.forwarded) : 0;
  return s;
}
