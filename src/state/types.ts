// The SharedState contract: bans, mitigations, attack mode, enforcement,
// signing keys and per-second counters, read synchronously from a local view
// and written locally at once (backends share writes in the background).
// Not an implementation: memory.ts (one process) and the redis backend implement it.
import type { Ban, Enforcement, Mitigation, Mode } from '../core/model.js';
import type { SharedIncident } from './incident-slot.js';

export interface StateHealth {
  backend: 'memory' | 'redis';
  /** false while the shared store is unreachable: the node defends on its last view. */
  connected: boolean;
  /** ms since the epoch of the last successful exchange with the shared store. */
  lastSyncAt: number;
  /** The last sync error in words, '' when healthy. */
  error: string;
  /** Local writes not yet confirmed by the shared store (redis outbox); 0 or absent otherwise. */
  outbox?: number;
}

export interface SharedState {
  // --- synchronous reads (hot path) ---
  /** The effective mode: an operator override wins over the detector's mode. */
  mode(): Mode;
  enforcement(): Enforcement;
  /** The ban covering `ip` (exact address or CIDR) that is still in force at `now`, or null. */
  isBanned(ip: string, now: number): Ban | null;
  bans(): readonly Ban[];
  mitigations(): readonly Mitigation[];
  /** HMAC signing keys, newest first; the previous key stays for verification after a rotation. */
  keys(): readonly Buffer[];
  /** Bumps on every change of bans, mitigations, mode, enforcement or keys. */
  version(): number;

  // --- writes: the local view changes at once, sharing happens in the background ---
  /** The detector's mode. */
  setMode(mode: Mode): void;
  /** An operator's forced mode; null hands control back to the detector. */
  overrideMode(mode: Mode | null): void;
  setEnforcement(e: Enforcement): void;
  /** Adds or replaces the ban of `ban.target`; throws a RampartError for a bad target. */
  addBan(ban: Ban): void;
  removeBan(target: string): boolean;
  putMitigation(m: Mitigation): void;
  removeMitigation(id: string): boolean;
  /** Adds this process's counts of one second (epoch seconds) to the shared sums. */
  addCounts(second: number, counts: Record<string, number>): void;
  /** Counts of one second summed across processes/nodes, or null when none are known. */
  globalCounts(second: number): Record<string, number> | null;
  /** Next value of a shared sequence (incident ids); unique across nodes sharing a store. */
  nextId(name: string): Promise<number>;
  /**
   * The incident all nodes share: the one joined or touched within `ttlMs`
   * before `at` (touching it again), else a new one with its id from the
   * `incident` sequence. Called when an attack starts and while it lasts.
   */
  joinIncident(at: number, ttlMs: number): Promise<SharedIncident>;
  /** The operator's forced mode, or null when the detector decides. */
  modeOverride(): Mode | null;
  /**
   * Sends an opaque payload to every OTHER node sharing the store (fire and
   * forget: dropped while the store is unreachable; never on the request
   * path). Memory and cluster-worker states have no other node: a no-op.
   */
  sendToNodes(payload: Buffer): void;
  /** Calls fn with each payload another node sent (never this node's own); returns the unsubscribe function. */
  onNodeMessage(fn: (payload: Buffer) => void): () => void;
  /**
   * Keeps a blob of what this node learned where a new node can seed from it
   * (redis: one key per name, kept 7 days; last writer wins). Fire and forget,
   * never on the request path. Memory and cluster-worker states: a no-op.
   */
  putLearned(name: string, data: Uint8Array, at: number): void;
  /** The blob saved under `name` by any node sharing the store, with its time; null when none (or unreachable). */
  getLearned(name: string): Promise<{ savedAt: number; data: Buffer } | null>;
  /** Called after every change that bumps version(); returns the unsubscribe function. */
  onChange(fn: () => void): () => void;
  health(): StateHealth;
  start(): Promise<void>;
  close(): Promise<void>;
}
