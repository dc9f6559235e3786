// Keeps what a process learned across restarts (src/state/snapshots.ts):
// the detector's baselines and attack memory (where the detector runs: a
// single process or a cluster's primary), the memory backend's bans,
// mitigations, mode and signing keys (so passes and seen cookies stay valid
// and a ban outlives a restart), and this process's client book (a cluster
// worker saves its own under its slot; every worker takes them all back).
// Saved every `every` ms and at stop, restored once before listening. With
// the redis backend the detector's blob is also kept in Redis, and a node
// without a local one (a new node) seeds from the other nodes'. A blob that
// does not decode is ignored (that part starts afresh) and said so in the log.
import { deserialize, serialize } from 'node:v8';
import type { Detector } from '../detector/detector.js';
import { decodeLearned, encodeLearned } from '../detector/learned.js';
import type { ClientBook } from '../identity/client-book.js';
import type { LocalView, ViewSnapshot } from '../state/local-view.js';
import { openSnapshots, type Snapshots } from '../state/snapshots.js';
import type { SharedState } from '../state/index.js';
import type { Logger } from './logger.js';

export interface PersistOptions {
  dataDir: string;
  log: Logger;
  now: () => number;
  /** The detector whose learned state this process keeps (null: none here, e.g. a cluster worker). */
  detector: Detector | null;
  /** The memory backend's view (one process, or a cluster's primary); null for redis or a worker. */
  view: LocalView | null;
  /** This process's client book, saved as `book`; null: none. */
  book: ClientBook | null;
  /** Name of this process's book ('clients', or 'clients:<slot>' for a worker). */
  bookName?: string;
  /** Where a new node seeds the detector from (redis); null or absent: local only. */
  shared?: Pick<SharedState, 'putLearned' | 'getLearned'> | null;
  /** ms between saves (default 15 s). */
  every?: number;
}

export interface Persistence {
  /** Takes back what was saved; call once, before listening. */
  restore(): Promise<void>;
  tick(now: number): void;
  /** Saves once more and closes the file. */
  close(): void;
}

const VIEW_FORMAT = 'rampart-view/1';

export function createPersistence(o: PersistOptions): Persistence {
  return new LearnedPersistence(o);
}

class LearnedPersistence implements Persistence {
  private store: Snapshots | null = null;
  private readonly every: number;
  private readonly bookName: string;
  private last = 0;

  constructor(private readonly o: PersistOptions) {
    try {
      this.store = openSnapshots(o.dataDir);
    } catch (err) {
      o.log.warn(
        { err: (err as Error).message, dataDir: o.dataDir },
        'learned state cannot be kept across restarts: data_dir is not writable',
      );
    }
    this.every = o.every ?? 15_000;
    this.bookName = o.bookName ?? 'clients';
  }

  async restore(): Promise<void> {
    const { o, store } = this;
    const now = o.now();
    this.last = now;
    if (store === null) return;
    try {
      if (o.view !== null) this.restoreView(store, o.view, now);
      const held = await this.restoreDetector(store, now);
      if (o.view !== null && o.detector !== null && held === null) settleView(o.view);
      if (o.book !== null) {
        let taken = 0;
        for (const b of store.loadAll('clients')) taken += o.book.import(b.data, Math.floor(now / 1000));
        if (taken > 0) o.log.info({ clients: taken }, 'client book restored');
      }
    } catch (err) {
      o.log.warn({ err: (err as Error).message }, 'learned state not restored: starting afresh');
    }
  }

  tick(now: number): void {
    if (now - this.last < this.every) return;
    this.last = now;
    this.save(now);
  }

  close(): void {
    this.save(this.o.now());
    this.store?.close();
    this.store = null;
  }

  private save(now: number): void {
    const { o, store } = this;
    if (store === null) return;
    try {
      const learned = o.detector?.learned(now) ?? null;
      if (learned !== null) {
        const blob = encodeLearned(learned);
        store.save('detector', blob, now);
        o.shared?.putLearned('detector', blob, now);
      }
      if (o.view !== null) store.save('view', encodeView(o.view.snapshot()), now);
      if (o.book !== null) store.save(this.bookName, o.book.export(), now);
    } catch (err) {
      o.log.warn({ err: (err as Error).message }, 'learned state not saved (will try again)');
    }
  }

  /** Bans, mitigations, mode and keys of the last run, without what expired since. */
  private restoreView(store: Snapshots, view: LocalView, now: number): void {
    const v = store.load('view');
    const snap = v === null ? null : decodeView(v.data);
    if (snap === null) {
      if (v !== null) this.o.log.warn('the saved state view is of another format or damaged: starting without it');
      return;
    }
    const r = view.load({
      ...snap,
      bans: snap.bans.filter((b) => b.until > now),
      mitigations: snap.mitigations.filter((m) => m.until > now),
    });
    this.o.log.info(
      { bans: view.bans().length, mitigations: view.mitigations().length, mode: view.mode(), skipped: r.skipped },
      'bans, mitigations, mode and signing keys restored',
    );
  }

  /** Returns the attack held open (or null). The newer of data_dir's and another node's (shared state) wins. */
  private async restoreDetector(store: Snapshots, now: number): Promise<string | null> {
    const { o } = this;
    const d = o.detector;
    if (d === null) return null;
    const local = store.load('detector');
    const remote = o.shared ? await o.shared.getLearned('detector').catch(() => null) : null;
    const pick =
      remote !== null && (local === null || remote.savedAt > local.savedAt)
        ? { data: remote.data, from: 'another node (shared state)' }
        : local !== null
          ? { data: local.data, from: 'data_dir' }
          : null;
    if (pick === null) return null;
    const st = decodeLearned(pick.data);
    if (st === null) {
      o.log.warn({ from: pick.from }, 'the saved detector state is of another format or damaged: learning afresh');
      return null;
    }
    const r = d.restore(st, now);
    o.log.info(
      { from: pick.from, learnedSeconds: r.learnedSeconds, ageS: Math.round(r.ageMs / 1000), attack: r.attack },
      r.attack ? 'detector restored; an attack in progress before the restart is held open' : 'detector restored',
    );
    return r.attack;
  }
}

/** The detector holds no attack open: what it had set in the view is over (its mode, its incident's mitigations). */
function settleView(view: LocalView): void {
  if (view.detectorMode() !== 'normal') view.setMode('normal');
  for (const m of view.mitigations()) if (m.id.startsWith('inc-')) view.removeMitigation(m.id);
}

function encodeView(s: ViewSnapshot): Uint8Array {
  return serialize({ format: VIEW_FORMAT, ...s, keys: s.keys.map((k) => k.toString('base64')) });
}

function decodeView(bytes: Uint8Array): ViewSnapshot | null {
  try {
    const x = deserialize(bytes) as Record<string, unknown>;
    if (
      x === null ||
      typeof x !== 'object' ||
      x.format !== VIEW_FORMAT ||
      !Array.isArray(x.bans) ||
      !Array.isArray(x.mitigations) ||
      !Array.isArray(x.keys) ||
      typeof x.keysRotatedAt !== 'number'
    )
      return null;
    const keys = (x.keys as unknown[])
      .filter((k): k is string => typeof k === 'string')
      .map((k) => Buffer.from(k, 'base64'));
    return {
      detectorMode: x.detectorMode,
      overrideMode: x.overrideMode,
      enforcement: x.enforcement,
      bans: x.bans,
      mitigations: x.mitigations,
      keys,
      keysRotatedAt: x.keysRotatedAt,
    } as ViewSnapshot;
  } catch {
    return null;
  }
}
