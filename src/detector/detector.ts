// The detector: observe(ctx) adds one request to the open second (O(1), no
// allocation, nothing that grows with attackers); tick(now) once a second
// closes it, scores it against learned baselines (assess.ts), steps the mode
// machine (attack-machine.ts: normal → elevated → under_attack → recovering →
// normal, with hysteresis) and learns calm seconds. Time is injected: tests
// drive tick() second by second. Memory: ~1 MiB fixed (window, seen-set,
// baselines, history) plus one bounded incident.
import type { DetectorConfig } from '../config/schema/detector.js';
import { effectiveEnforcement, type Enforcement, type Mode } from '../core/model.js';
import { assess, enumerationOf, REFUSED_SHARE, signatureOf, type Assessment } from './assess.js';
import { AttackMachine, type MachineHost } from './attack-machine.js';
import { Baselines } from './baseline.js';
import { CrowdJudge } from './crowd-walk.js';
import { DetectorSeries } from './detector-series.js';
import type { DetectorEvent, DetectorSnapshot, SecondSample, Signature } from './events.js';
import type { LearnedState } from './learned.js';
import { createListeners, type Listeners } from './listeners.js';
import type { DetectorState } from './mitigate.js';
import { sampleOf } from './second-sample.js';
import { SeenSources } from './seen-sources.js';
import { PendingKeys, SecondWindow, type Observed } from './window.js';
import { exportPart, mergePart, type WindowPart } from './window-part.js';

export type { DetectorState } from './mitigate.js';
export type { Observed } from './window.js';

export interface DetectorDeps {
  /** Shared state for writes; null/absent: actions are recorded, never applied. */
  state?: DetectorState | null;
  /** Called when an event listener throws (a bug in the listener). */
  onListenerError?(err: unknown): void;
  /** The clock at creation (ms since the epoch); default Date.now. Ticks carry their own time. */
  now?: () => number;
}

export interface Detector {
  observe(ctx: Observed): void;
  /** A connection was closed by a header/body deadline (slowloris, slow POST); `idle`: it never sent a byte (SecondWindow.noteSlow). */
  noteSlowConnection(ip: string, idle?: boolean): void;
  /** An HTTP/2 session from `ip` was closed for abuse after `glitches` glitches (src/guard/h2-guard.ts). */
  noteH2Abuse(ip: string, glitches: number): void;
  /** The query carries a parameter name this process has not seen in the last 10–20 s (query-names.ts peek; marks nothing). */
  novelQuery(q: string): boolean;
  tick(nowMs: number): void;
  /** Folds another process's closed second (a cluster worker's part) into the open second: one detector for all workers. */
  absorb(part: WindowPart): void;
  /** The open second so far as a part without the baseline sketches (for other nodes: call before absorbing theirs). */
  openPart(): WindowPart | null;
  onEvent(fn: (e: DetectorEvent) => void): () => void;
  snapshot(): DetectorSnapshot;
  mode(): Mode;
  /** What it learned and the attack in progress, to persist (src/detector/learned.ts); null for a cluster worker's façade. */
  learned(now: number): LearnedState | null;
  /**
   * Takes back what an earlier run learned (before the first tick). An attack
   * in progress at most end_after + recover_hold ago is held open: the first
   * anomalous second says whether it is the same attack (same id, its
   * mitigations kept) or another (the old one ends, a new one starts).
   */
  restore(st: LearnedState, now: number): RestoreReport;
}

export interface RestoreReport {
  learnedSeconds: number;
  ageMs: number;
  /** The attack held open, or null. */
  attack: string | null;
}

/** A detector this young, first started, cannot tell people from a crowd by first requests: such seconds are not learned. */
const YOUNG_MS = 120_000;
/** Seconds between resets of the slow-connection and HTTP/2-abuse tables (they count over ~10 s, not one). */
const SLOW_RESET_S = 10;
/** Walkers kept per second: the template watch reports a handful; a cap keeps a flood of them bounded. */
const MAX_WALKERS = 512;

export function createDetector(cfg: DetectorConfig, deps: DetectorDeps = {}): Detector {
  return new LocalDetector(cfg, deps);
}

/** The second closed last and its sample, held one tick until the next second says whether both were calm. */
interface LaggedSecond {
  sample: SecondSample | null;
  keys: PendingKeys;
  calm: boolean;
}

/** The detector of one process (or a cluster primary folding its workers' parts in). */
class LocalDetector implements Detector, MachineHost {
  // Bound once: app.ts hands these around detached; each reads the window through its closure, as cheap as a method.
  readonly observe: (ctx: Observed) => void;
  readonly noteSlowConnection: (ip: string, idle?: boolean) => void;
  readonly noteH2Abuse: (ip: string, glitches: number) => void;
  readonly novelQuery: (q: string) => boolean;
  readonly onEvent: (fn: (e: DetectorEvent) => void) => () => void;
  readonly cfg: DetectorConfig;
  readonly state: DetectorState | null;
  readonly seen = new SeenSources();
  readonly window = new SecondWindow(this.seen);
  readonly baselines: Baselines;
  readonly series: DetectorSeries;
  /** When this detector began to watch (a second before its first tick): no client can have been seen by it earlier. */
  bornAt = -1;
  /** Seconds in a row of clients behaving unlike people (assess.ts COOKIE_STREAK). */
  cookieStreak = 0;
  /** The weights of those seconds, summed (assess.ts: a run that adds up to one second's count needs no streak). */
  unlikeMass = 0;
  private readonly listeners: Listeners;
  private readonly machine: AttackMachine;
  /** Five seconds of identifier counts per template, across all clients (crowd-walk.ts). */
  private readonly crowd = new CrowdJudge();
  private readonly warmupS: number;
  private readonly lagged: LaggedSecond = { sample: null, keys: new PendingKeys(), calm: false };
  /** When the open second opened (the last tick), -1 before the first. */
  private openedAt = -1;
  /** The second (epoch s) of the last sample: never the same twice. */
  private lastSecond = -1;
  /** Ticks since the slow-connection and HTTP/2-abuse tables were last cleared. */
  private slowAge = 0;
  private lastTick: { at: number; score: number; top: Signature } = {
    at: 0,
    score: 0,
    top: { sources: [], prefixes: [], fingerprints: [], paths: [], queryShapes: [], clients: [], routeClasses: [] },
  };

  constructor(cfg: DetectorConfig, deps: DetectorDeps) {
    this.cfg = cfg;
    this.state = deps.state ?? null;
    this.window.epochS = Math.floor((deps.now ?? Date.now)() / 1000);
    this.baselines = new Baselines(cfg.baselineHalfLife);
    this.series = new DetectorSeries(Math.round(cfg.history / 1000));
    this.listeners = createListeners(deps.onListenerError);
    this.warmupS = Math.round(cfg.warmup / 1000);
    this.machine = new AttackMachine(this);
    const window = this.window;
    this.observe = (ctx) => window.observe(ctx);
    this.noteSlowConnection = (ip, idle) => window.noteSlow(ip, idle);
    this.noteH2Abuse = (ip, glitches) => window.noteH2(ip, glitches);
    this.novelQuery = (q) => window.queryNames.peek(q);
    this.onEvent = this.listeners.on;
  }

  emit(e: DetectorEvent): void {
    this.listeners.emit(e);
  }

  enforcement(): Enforcement {
    return effectiveEnforcement(this.cfg.enforcement, this.state?.enforcement() ?? 'enforce');
  }

  mode(): Mode {
    return this.machine.mode;
  }

  absorb(part: WindowPart): void {
    mergePart(this.window, part);
  }

  openPart(): WindowPart | null {
    return exportPart(this.window, false);
  }

  tick(now: number): void {
    const w = this.window;
    if (this.bornAt < 0) this.bornAt = this.openedAt < 0 ? now - 1000 : this.openedAt;
    const s = sampleOf(w, this.sampleTime(now));
    this.series.pushSample(s);
    for (const x of w.walks.drain()) if (w.walkers.length < MAX_WALKERS) w.walkers.push(x);
    const crowd = this.crowd.step(w.crowd.concat(w.walks.crowd.drain()));
    const a = assess(s, w, this.baselines, {
      history: this.series,
      cfg: this.cfg,
      cookieStreak: this.cookieStreak,
      unlikeMass: this.unlikeMass,
      enumeration: enumerationOf(w.walkers, crowd),
    });
    this.cookieStreak = a.unlike ? this.cookieStreak + 1 : 0;
    this.unlikeMass = a.unlike ? this.unlikeMass + a.weight : 0;
    s.score = a.score;
    this.series.pushScore(a.score);
    this.machine.step(now, s, a);
    this.learnLagged(now, s, a);
    this.lastTick = { at: now, score: a.score, top: signatureOf(w, this.baselines, 0) };
    this.openNextSecond(now);
  }

  snapshot(): DetectorSnapshot {
    const series = this.series.toArrays();
    const mode = this.machine.mode;
    const base = this.baselines;
    const top = this.lastTick.top;
    const incident = this.machine.incident;
    return {
      at: this.lastTick.at,
      mode,
      enforcement: this.enforcement(),
      warm: base.learned >= this.warmupS,
      score: this.lastTick.score,
      baseline: base.figures(base.learned >= this.warmupS),
      series,
      top: { prefixes: top.prefixes, fingerprints: top.fingerprints, paths: top.paths, sources: top.sources },
      incident: incident ? incident.summary(mode, base) : null,
      recentActions: this.machine.recentActions.slice(),
    };
  }

  learned(now: number): LearnedState {
    return {
      savedAt: now,
      baselines: this.baselines.exportState(),
      seen: this.seen.exportState(),
      attack: this.machine.memory(),
    };
  }

  restore(st: LearnedState, now: number): RestoreReport {
    const age = Math.max(0, now - st.savedAt);
    // A baseline a day old is right about the site's shape but less sure of its volume: it counts for half a warm-up.
    this.baselines.importState(st.baselines, 0.5 ** (age / 86_400_000));
    this.seen.importState(st.seen);
    const held =
      st.attack !== null && this.machine.incident === null && this.machine.restore(st.attack, now, st.savedAt);
    return { learnedSeconds: this.baselines.learned, ageMs: age, attack: held ? st.attack!.id : null };
  }

  /**
   * The second a closed window stands for: when it opened; in a cluster
   * primary, the newest second of the workers' parts in it (the second their
   * traffic counts are keyed by, so a sample meets its own global sums: a
   * primary's window holds traffic about one second older than its opening).
   * Never the same second twice: two samples of one second would count its
   * global sums twice.
   */
  private sampleTime(now: number): number {
    const partSecond = this.window.partSecond;
    let t = partSecond > 0 ? partSecond * 1000 : this.openedAt < 0 ? now - 1000 : this.openedAt;
    if (Math.floor(t / 1000) <= this.lastSecond) t = (this.lastSecond + 1) * 1000;
    this.lastSecond = Math.floor(t / 1000);
    return t;
  }

  /**
   * Learns the previous second once this one was calm too: the ramp of an attack never enters the baseline.
   * Nor a second whose mix shifted while its volume was up (at half a flood threshold): a young
   * baseline averages few seconds, and a low-and-slow attack learned second by second would
   * become the new normal before its window test fires. Only once a few seconds are learned:
   * against an empty baseline every composition test fires, and a shield that refused to
   * learn its first seconds would never become warm.
   * Nor a second of browsers dropping their cookies, or with the origin in distress: a shield
   * started while an attack is on must not learn the attack as its normal.
   * And in its first two minutes, nor a second mostly of first requests: a crowd already coming when
   * the shield started (low-and-slow sources come once in a while, each time "new") is not its normal.
   * Nor, at any age, a second that Rampart mostly refused or challenged (the surge guard's crowd: a
   * flood's tools learned while the guard held them would be "usual" by the time the origin hurt).
   */
  private learnLagged(now: number, s: SecondSample, a: Assessment): void {
    const base = this.baselines;
    const lagged = this.lagged;
    const n = s.requests;
    const young = now - this.bornAt < YOUNG_MS && n > 0;
    const youngCrowd = young && s.clients.fresh / n >= 0.5;
    const suspect =
      a.unlike ||
      a.distress ||
      youngCrowd ||
      (n >= this.cfg.minRps && s.refused / n >= REFUSED_SHARE) ||
      (base.learned >= Math.min(this.warmupS, 5) &&
        Object.keys(a.composition).length > 0 &&
        Math.max(a.volume.fast, a.volume.slow) >= 0.5);
    const calm = this.machine.mode === 'normal' && !a.anomalous && !suspect;
    if (calm && lagged.sample !== null && lagged.calm) base.learn(lagged.sample, lagged.keys);
    const keys = this.window.pend;
    this.window.pend = lagged.keys;
    lagged.keys = keys;
    lagged.sample = s;
    lagged.calm = calm;
  }

  /** Clears the window for the second that opens at `now`. */
  private openNextSecond(now: number): void {
    const w = this.window;
    this.slowAge++;
    if (this.slowAge >= SLOW_RESET_S) {
      this.slowAge = 0;
      w.topSlow.clear();
      w.topH2.clear();
    }
    w.open(now);
    this.seen.tick(now);
    this.openedAt = now;
  }
}
