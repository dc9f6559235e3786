// The local view every backend reads from: bans, mitigations, mode,
// enforcement, keys, counters, version and change listeners, all synchronous.
// Not shared by itself: memory.ts wraps it for one process; the redis and
// cluster backends feed it remote changes through the same methods and load().
import type { Ban, Enforcement, Mitigation, Mode } from '../core/model.js';
import { MODES } from '../core/model.js';
import { BanTable, DEFAULT_MAX_BANS, StateInputError } from './ban-table.js';
import { CounterWindow, DEFAULT_COUNT_SECONDS } from './counter-window.js';
import { KeyRing } from './key-ring.js';
import { DEFAULT_MAX_MITIGATIONS, MitigationTable } from './mitigation-table.js';

export interface ViewOptions {
  /** Clock in ms since the epoch (the app's coarse clock). */
  now: () => number;
  /** ms between signing-key rotations; 0 never rotates. */
  keyRotation: number;
  maxBans?: number;
  maxMitigations?: number;
  /** Seconds of per-second counters kept. */
  countSeconds?: number;
}

/** Everything a view holds, JSON-safe except the keys (Buffers). */
export interface ViewSnapshot {
  detectorMode: Mode;
  overrideMode: Mode | null;
  enforcement: Enforcement;
  bans: readonly Ban[];
  mitigations: readonly Mitigation[];
  keys: readonly Buffer[];
  keysRotatedAt: number;
}

/** One change of a view: enough for a copy to follow (keys and load: re-read the view). */
export type Delta =
  | { k: 'ban'; ban: Ban }
  | { k: 'unban'; target: string }
  | { k: 'mit'; m: Mitigation }
  | { k: 'unmit'; id: string }
  | { k: 'mode'; field: 'detector' | 'override' | 'enforcement'; value: string }
  | { k: 'keys' }
  | { k: 'load' }
  | { k: 'sweep' };

export function checkMode(mode: unknown, allowNull: boolean): Mode | null {
  if (mode === null && allowNull) return null;
  if (!MODES.includes(mode as Mode))
    throw new StateInputError(
      `not a mode: ${JSON.stringify(mode)}`,
      `one of ${MODES.join(', ')}${allowNull ? ', or null to follow the detector' : ''}`,
    );
  return mode as Mode;
}

export function checkEnforcement(e: unknown): Enforcement {
  if (e !== 'enforce' && e !== 'observe')
    throw new StateInputError(`not an enforcement: ${JSON.stringify(e)}`, 'enforce or observe');
  return e;
}

export class LocalView {
  readonly banTable: BanTable;
  readonly mitigationTable: MitigationTable;
  readonly keyRing: KeyRing;
  readonly counters: CounterWindow;
  readonly now: () => number;
  private detector: Mode = 'normal';
  private override: Mode | null = null;
  private enf: Enforcement = 'enforce';
  private ver = 0;
  private readonly listeners = new Set<() => void>();
  private readonly deltaListeners = new Set<(d: Delta) => void>();

  constructor(opts: ViewOptions) {
    this.now = opts.now;
    this.banTable = new BanTable(opts.maxBans ?? DEFAULT_MAX_BANS);
    this.mitigationTable = new MitigationTable(opts.maxMitigations ?? DEFAULT_MAX_MITIGATIONS);
    this.keyRing = new KeyRing(opts.keyRotation, opts.now());
    this.counters = new CounterWindow(opts.countSeconds ?? DEFAULT_COUNT_SECONDS);
  }

  mode(): Mode {
    return this.override ?? this.detector;
  }
  detectorMode(): Mode {
    return this.detector;
  }
  overriddenMode(): Mode | null {
    return this.override;
  }
  enforcement(): Enforcement {
    return this.enf;
  }
  isBanned(ip: string, now: number): Ban | null {
    return this.banTable.find(ip, now);
  }
  bans(): readonly Ban[] {
    this.sweep(this.now());
    return this.banTable.all();
  }
  mitigations(): readonly Mitigation[] {
    this.sweep(this.now());
    return this.mitigationTable.all();
  }
  keys(): readonly Buffer[] {
    return this.keyRing.keys();
  }
  version(): number {
    return this.ver;
  }

  /** Each write returns whether the view changed (backends share only real changes). */
  setMode(mode: Mode): boolean {
    const m = checkMode(mode, false)!;
    if (m === this.detector) return false;
    this.detector = m;
    return this.changed({ k: 'mode', field: 'detector', value: m });
  }
  overrideMode(mode: Mode | null): boolean {
    const m = checkMode(mode, true);
    if (m === this.override) return false;
    this.override = m;
    return this.changed({ k: 'mode', field: 'override', value: m ?? '' });
  }
  setEnforcement(e: Enforcement): boolean {
    const v = checkEnforcement(e);
    if (v === this.enf) return false;
    this.enf = v;
    return this.changed({ k: 'mode', field: 'enforcement', value: v });
  }
  addBan(ban: Ban): boolean {
    return this.banTable.add(ban) ? this.changed({ k: 'ban', ban }) : false;
  }
  removeBan(target: string): boolean {
    return this.banTable.remove(target) ? this.changed({ k: 'unban', target }) : false;
  }
  putMitigation(m: Mitigation): boolean {
    return this.mitigationTable.put(m) ? this.changed({ k: 'mit', m }) : false;
  }
  removeMitigation(id: string): boolean {
    return this.mitigationTable.remove(id) ? this.changed({ k: 'unmit', id }) : false;
  }
  rotateKeys(now: number): boolean {
    this.keyRing.rotate(now);
    return this.changed({ k: 'keys' });
  }
  adoptKeys(keys: readonly Buffer[], rotatedAt: number): boolean {
    return this.keyRing.replace(keys, rotatedAt) ? this.changed({ k: 'keys' }) : false;
  }

  /** Drops expired bans and mitigations; one change event when any went. */
  sweep(now: number): boolean {
    const n = this.banTable.sweep(now) + this.mitigationTable.sweep(now);
    return n > 0 ? this.changed({ k: 'sweep' }) : false;
  }

  snapshot(): ViewSnapshot {
    return {
      detectorMode: this.detector,
      overrideMode: this.override,
      enforcement: this.enf,
      bans: this.banTable.all(),
      mitigations: this.mitigationTable.all(),
      keys: this.keyRing.keys(),
      keysRotatedAt: this.keyRing.rotatedAt,
    };
  }

  /** True when loading `s` would change nothing. */
  holds(s: ViewSnapshot): boolean {
    const k = this.keyRing.keys();
    return (
      s.detectorMode === this.detector &&
      s.overrideMode === this.override &&
      s.enforcement === this.enf &&
      s.keys.length === k.length &&
      s.keys.every((x, i) => x.equals(k[i])) &&
      this.banTable.holdsExactly(s.bans) &&
      this.mitigationTable.holdsExactly(s.mitigations)
    );
  }

  /** Replaces the whole view (a reconcile); invalid entries are skipped and counted. No event when nothing differs. */
  load(s: ViewSnapshot): { skipped: number; changed: boolean } {
    if (this.holds(s)) return { skipped: 0, changed: false };
    let skipped = 0;
    this.detector = checkMode(s.detectorMode, false)!;
    this.override = checkMode(s.overrideMode, true);
    this.enf = checkEnforcement(s.enforcement);
    this.banTable.clear();
    for (const b of s.bans) {
      try {
        this.banTable.add(b);
      } catch {
        skipped++;
      }
    }
    this.mitigationTable.clear();
    for (const m of s.mitigations) {
      try {
        this.mitigationTable.put(m);
      } catch {
        skipped++;
      }
    }
    if (s.keys.length > 0) this.keyRing.replace(s.keys, s.keysRotatedAt);
    this.changed({ k: 'load' });
    return { skipped, changed: true };
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  /** Called with what changed, after onChange listeners: feeds the cluster hub. */
  onDelta(fn: (d: Delta) => void): () => void {
    this.deltaListeners.add(fn);
    return () => {
      this.deltaListeners.delete(fn);
    };
  }

  private changed(d: Delta): true {
    this.ver++;
    for (const fn of this.deltaListeners) {
      try {
        fn(d);
      } catch {
        // as below
      }
    }
    for (const fn of this.listeners) {
      try {
        fn();
      } catch {
        // A listener's failure must not break a write; listeners log their own errors.
      }
    }
    return true;
  }
}
