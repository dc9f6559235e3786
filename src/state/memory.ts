// The memory backend: SharedState for one process (or a cluster primary).
// Everything lives in a LocalView; a timer (unref'd, once a second by default)
// sweeps expired bans/mitigations and rotates signing keys when due.
// Not shared between processes: see redis.ts for several nodes.
import type { Ban, Enforcement, Mitigation, Mode } from '../core/model.js';
import { createIncidentSlot, type SharedIncident } from './incident-slot.js';
import { LocalView } from './local-view.js';
import type { SharedState, StateHealth } from './types.js';
import { NodeLocalState } from './view-backed-state.js';

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
  return new MemorySharedState(opts);
}

class MemorySharedState extends NodeLocalState implements MemoryState {
  private readonly now: () => number;
  private readonly sweepInterval: number;
  private readonly sequences = new Map<string, number>();
  private readonly slot = createIncidentSlot(() => this.next('incident'));
  private timer: NodeJS.Timeout | null = null;
  private startedAt = 0;

  constructor(opts: MemoryStateOptions) {
    const now = opts.now ?? Date.now;
    super(
      new LocalView({
        now,
        keyRotation: opts.keyRotation ?? DEFAULT_KEY_ROTATION,
        maxBans: opts.maxBans,
        maxMitigations: opts.maxMitigations,
        countSeconds: opts.countSeconds,
      }),
    );
    this.now = now;
    this.sweepInterval = opts.sweepInterval ?? 1000;
  }

  setMode(m: Mode): void {
    this.view.setMode(m);
  }
  overrideMode(m: Mode | null): void {
    this.view.overrideMode(m);
  }
  setEnforcement(e: Enforcement): void {
    this.view.setEnforcement(e);
  }
  addBan(b: Ban): void {
    this.view.addBan(b);
  }
  removeBan(target: string): boolean {
    return this.view.removeBan(target);
  }
  putMitigation(m: Mitigation): void {
    this.view.putMitigation(m);
  }
  removeMitigation(id: string): boolean {
    return this.view.removeMitigation(id);
  }
  addCounts(second: number, counts: Record<string, number>): void {
    this.view.counters.add(second, counts);
  }
  async nextId(name: string): Promise<number> {
    return this.next(name);
  }
  async joinIncident(at: number, ttlMs: number): Promise<SharedIncident> {
    return this.slot(at, ttlMs);
  }

  health(): StateHealth {
    return { backend: 'memory', connected: true, lastSyncAt: this.startedAt ? this.now() : 0, error: '' };
  }

  async start(): Promise<void> {
    if (this.timer) return;
    this.startedAt = this.now();
    this.timer = setInterval(() => this.tick(), this.sweepInterval);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private next(name: string): number {
    const n = (this.sequences.get(name) ?? 0) + 1;
    this.sequences.set(name, n);
    return n;
  }

  private tick(): void {
    const t = this.now();
    this.view.sweep(t);
    if (this.view.keyRing.due(t)) this.view.rotateKeys(t);
  }
}
