// The memory backend: SharedState for one process (or a cluster primary).
// Everything lives in a LocalView; a timer (unref'd, once a second by default)
// sweeps expired bans/mitigations and rotates signing keys when due.
// Not shared between processes: see redis.ts for several nodes.
import type { Ban, Enforcement, Mitigation, Mode } from '../core/model.js';
import { LocalView, localReads } from './local-view.js';
import { createIncidentSlot } from './incident-slot.js';
import type { SharedState, StateHealth } from './types.js';

export interface MemoryStateOptions {
  /** Clock in ms since the epoch; Date.now by default (pass the app's coarse clock). */
  now?: () => number;
  /** ms between signing-key rotations (default 24 h); 0 never rotates. */
  keyRotation?: number;
  /** Cap on bans (default 100 000); the oldest automatic ban is evicted when full. */
  maxBans?: number;
  /** Cap on mitigations (default 1 000). */
  maxMitigations?: number;
  /** Seconds of per-second counters kept (default 120). */
  countSeconds?: number;
  /** ms between sweeps and rotation checks (default 1000). */
  sweepInterval?: number;
}

export const DEFAULT_KEY_ROTATION = 24 * 3_600_000;

export interface MemoryState extends SharedState {
  /** The view behind it (for the cluster primary and tests). */
  readonly view: LocalView;
}

export function createMemoryState(opts: MemoryStateOptions = {}): MemoryState {
  const now = opts.now ?? Date.now;
  const view = new LocalView({
    now,
    keyRotation: opts.keyRotation ?? DEFAULT_KEY_ROTATION,
    maxBans: opts.maxBans,
    maxMitigations: opts.maxMitigations,
    countSeconds: opts.countSeconds,
  });
  const sequences = new Map<string, number>();
  let timer: NodeJS.Timeout | null = null;
  let startedAt = 0;
  const slot = createIncidentSlot(() => {
    const n = (sequences.get('incident') ?? 0) + 1;
    sequences.set('incident', n);
    return n;
  });

  function tick(): void {
    const t = now();
    view.sweep(t);
    if (view.keyRing.due(t)) view.rotateKeys(t);
  }

  return {
    ...localReads(view),
    setMode: (m: Mode) => void view.setMode(m),
    overrideMode: (m: Mode | null) => void view.overrideMode(m),
    setEnforcement: (e: Enforcement) => void view.setEnforcement(e),
    addBan: (b: Ban) => void view.addBan(b),
    removeBan: (target: string) => view.removeBan(target),
    putMitigation: (m: Mitigation) => void view.putMitigation(m),
    removeMitigation: (id: string) => view.removeMitigation(id),
    addCounts: (second, counts) => void view.counters.add(second, counts),
    async nextId(name: string): Promise<number> {
      const n = (sequences.get(name) ?? 0) + 1;
      sequences.set(name, n);
      return n;
    },
    joinIncident: async (at, ttlMs) => slot(at, ttlMs),
    // One process: no other node to talk to.
    sendToNodes: () => {},
    onNodeMessage: () => () => {},
    // Nothing shared to seed from: one process (its learned state is in data_dir), or a worker (its primary keeps it).
    putLearned: () => {},
    getLearned: async () => null,
    onChange: (fn) => view.onChange(fn),
    health: (): StateHealth => ({ backend: 'memory', connected: true, lastSyncAt: startedAt ? now() : 0, error: '' }),
    async start(): Promise<void> {
      if (timer) return;
      startedAt = now();
      timer = setInterval(tick, opts.sweepInterval ?? 1000);
      timer.unref();
    },
    async close(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
