// The detector: observe(ctx) adds one request to the open second (O(1), no
// allocation, nothing that grows with attackers); tick(now) once a second
// closes it, scores it against learned baselines, steps the mode machine
// (normal → elevated → under_attack → recovering → normal, with hysteresis),
// runs the incident's mitigation and emits typed events. Time is injected:
// tests drive tick() second by second. Memory: ~1 MiB fixed (window, seen-set,
// baselines, history) plus one bounded incident.
import { outcomeRecord } from '../core/outcome.js';
import type { DetectorConfig } from '../config/schema/detector.js';
import type { Enforcement, Mode } from '../core/model.js';
import { RingSeries } from '../core/ring-series.js';
import { assess, enumerationOf, MIN_VOLUME_SECONDS, signatureOf, type Assessment } from './assess.js';
import { Baselines } from './baseline.js';
import {
  FAMILIES,
  ROUTE_CLASSES,
  type DetectorEvent,
  type DetectorSnapshot,
  type MitigationAction,
  type SecondSample,
  type SignatureItem,
} from './events.js';
import { Incident } from './incident.js';
import { Mitigator, TOP_LEVEL, type DetectorState, type Surge } from './mitigate.js';
import { createListeners } from './listeners.js';
import { SeenSources } from './seen-sources.js';
import { AGE_BUCKETS, entropyOf, PendingKeys, SecondWindow, type Observed } from './window.js';
import { exportPart, mergePart, type WindowPart } from './window-part.js';
import { sameAttack, type AttackMemory, type LearnedState } from './learned.js';

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
  /** A connection was closed by a header/body deadline (slowloris, slow POST). */
  noteSlowConnection(ip: string): void;
  /** An HTTP/2 session from `ip` was closed for abuse after `glitches` glitches (src/guard/h2-guard.ts). */
  noteH2Abuse(ip: string, glitches: number): void;
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

/** Without a volume rise to date a surge by, the clients first seen this long before it count as having come with it. */
const NO_RISE_LOOKBACK_MS = 60_000;
/** A detector this young, first started, cannot tell people from a crowd by first requests: such seconds are not learned. */
const YOUNG_MS = 120_000;

const SERIES = ['t', 'requests', 'forwarded', 'refused', 'sources', 'newSources', 'originMs', 'score'] as const;
const SLOW_RESET_S = 10;
const MAX_RECENT = 100;

/** Requests whose client was first seen at most `maxAge` seconds before the window's second. */
function sumAges(ages: Float64Array, maxAge: number): number {
  let n = 0;
  // Bucket 16 holds 16–63 s; the last (a minute and more) is never "recent".
  const last = Math.min(Math.min(maxAge, 16), AGE_BUCKETS - 2);
  for (let i = 0; i <= last; i++) n += ages[i];
  return n;
}

export function createDetector(cfg: DetectorConfig, deps: DetectorDeps = {}): Detector {
  const state = deps.state ?? null;
  const seen = new SeenSources();
  const w = new SecondWindow(seen);
  /** When this detector began to watch (a second before its first tick): no client can have been seen by it earlier. */
  let bornAt = -1;
  w.epochS = Math.floor((deps.now ?? Date.now)() / 1000);
  const base = new Baselines(cfg.baselineHalfLife);
  const histLen = Math.round(cfg.history / 1000);
  const series = Object.fromEntries(SERIES.map((k) => [k, new RingSeries(histLen)])) as Record<
    (typeof SERIES)[number],
    RingSeries
  >;
  const history = {
    requestsMean: (n: number) => series.requests.mean(n),
    requestsMin: (n: number) => {
      let m = Infinity;
      for (let i = 0; i < n && i < series.requests.count; i++) m = Math.min(m, series.requests.at(i));
      return m;
    },
    get count() {
      return series.requests.count;
    },
  };
  const listeners = createListeners(deps.onListenerError);
  const emit = listeners.emit;
  const recent: MitigationAction[] = [];
  const warmupS = Math.round(cfg.warmup / 1000);
  const startAfter = Math.round(cfg.startAfter / 1000);
  const endAfter = Math.round(cfg.endAfter / 1000);
  let mode: Mode = 'normal';
  let openedAt = -1;
  let lastSecond = -1;
  let streak = 0;
  let calm = 0;
  let recoverUntil = 0;
  /** The attack is calm and the incident waits out recover_hold (published as `recovering` after under_attack, else still `elevated`). */
  let cooling = false;
  let incident: Incident | null = null;
  let seq = 0;
  let slowAge = 0;
  /** Seconds in a row of clients behaving unlike people (assess.ts COOKIE_STREAK). */
  let cookieStreak = 0;
  const lagged: { sample: SecondSample | null; keys: PendingKeys; calm: boolean } = {
    sample: null,
    keys: new PendingKeys(),
    calm: false,
  };
  let last: { at: number; score: number; top: ReturnType<typeof signatureOf> } = {
    at: 0,
    score: 0,
    top: { sources: [], prefixes: [], fingerprints: [], paths: [], queryShapes: [], clients: [], routeClasses: [] },
  };

  const enforcement = (): Enforcement =>
    cfg.enforcement === 'observe' || (state !== null && state.enforcement() === 'observe') ? 'observe' : 'enforce';

  /**
   * The second a closed window stands for: when it opened; in a cluster
   * primary, the newest second of the workers' parts in it (the second their
   * traffic counts are keyed by, so a sample meets its own global sums: a
   * primary's window holds traffic about one second older than its opening).
   * Never the same second twice: two samples of one second would count its
   * global sums twice.
   */
  function sampleTime(now: number): number {
    let t = w.partSecond > 0 ? w.partSecond * 1000 : openedAt < 0 ? now - 1000 : openedAt;
    if (Math.floor(t / 1000) <= lastSecond) t = (lastSecond + 1) * 1000;
    lastSecond = Math.floor(t / 1000);
    return t;
  }

  function closeSecond(now: number): SecondSample {
    const n = w.requests;
    const classes: Record<string, number> = {};
    for (let i = 0; i < ROUTE_CLASSES.length; i++) classes[ROUTE_CLASSES[i]] = w.classes[i];
    const families: Record<string, number> = {};
    for (let i = 0; i < FAMILIES.length; i++) families[FAMILIES[i]] = w.families[i];
    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    return {
      t: sampleTime(now),
      requests: n,
      forwarded: w.forwarded,
      refused: w.refused,
      sources: n === 0 ? 0 : Math.max(1, Math.min(n, w.sources.count())),
      newSources: w.newSources,
      status: { s2xx: w.s2xx, s3xx: w.s3xx, s4xx: w.s4xx, s5xx: w.s5xx },
      originMs: w.forwarded > 0 ? Math.round(w.originSum / w.forwarded) : 0,
      originMaxMs: w.originMax,
      classes,
      families,
      outcomes: outcomeRecord(w.outcomes),
      entropy: {
        path: r3(entropyOf(w.histPath)),
        query: r3(entropyOf(w.histQuery)),
        ua: r3(entropyOf(w.histUa)),
        fingerprint: r3(entropyOf(w.histFp)),
      },
      pathUniqueness: n > 0 ? r3(Math.min(1, w.paths.count() / n)) : 0,
      withQuery: w.withQuery,
      queryUniqueness: w.withQuery > 0 ? r3(Math.min(1, w.queries.count() / w.withQuery)) : 0,
      slowConnections: w.slow,
      clients: {
        cookie: w.cookied,
        fresh: w.fresh,
        ignored: w.ignored,
        browserFresh: w.browserFresh,
        browserIgnored: w.browserIgnored,
        checkIgnored: w.checkIgnored,
        formFresh: w.formFresh,
        recent: sumAges(w.ages, 15),
      },
      h2Abuse: w.h2,
      score: 0,
    };
  }

  function apply(a: MitigationAction, inc: Incident, now: number): void {
    let act = enforcement() === 'enforce' && state !== null;
    if (act && state !== null) {
      try {
        if (a.kind === 'ban' && a.ban) state.addBan(a.ban);
        else if (a.kind === 'mitigation' && a.mitigation) state.putMitigation(a.mitigation);
        else if (a.kind === 'remove_mitigation' && a.mitigation) state.removeMitigation(a.mitigation.id);
      } catch (err) {
        // A refused write (e.g. a target the state cannot parse) is recorded as not applied, never thrown into the tick.
        act = false;
        a.reason += ` (not applied: ${(err as Error).message})`;
      }
    }
    a.applied = act;
    inc.record(a);
    recent.push(a);
    if (recent.length > MAX_RECENT) recent.shift();
    emit({ type: 'mitigation', incidentId: inc.id, at: now, action: a });
  }

  function setMode(to: Mode, now: number, reason: string, figures: Record<string, number>): void {
    if (to === mode) return;
    const from = mode;
    mode = to;
    const act = enforcement() === 'enforce' && state !== null;
    if (act) state.setMode(to);
    emit({ type: 'escalation', incidentId: incident?.id ?? '', at: now, from, to, reason, figures, applied: act });
  }

  /**
   * When the surge began. A volume rise: its first second before this one
   * (volume above 1.5× its baseline, looking back up to 15 s). Other evidence
   * (cookies dropped, the origin in distress) has no rise to date it, and a
   * low-and-slow crowd may have been coming for a while: the last minute.
   * Never before this detector started (a shield started into an attack
   * knows no one); one second of margin.
   */
  function surgeOf(s: SecondSample, a: Assessment): Surge {
    let since = s.t - NO_RISE_LOOKBACK_MS;
    if (a.evidence === 'volume' && base.learned >= MIN_VOLUME_SECONDS) {
      const e = base.expectedRps(s.t);
      const rise = Math.max(cfg.minRps / 2, 1.5 * e, e + 3 * base.rps.std);
      let back = 0;
      while (back < 15 && back + 1 < series.requests.count && series.requests.at(back + 1) > rise) back++;
      since = s.t - (back + 1) * 1000;
    }
    since = Math.max(Math.floor(bornAt / 1000) * 1000, since);
    // For what reaches clients that return the seen cookie (limits and challenges of new clients): a young
    // detector (a first start) has seen everyone for less than the minute, so without a rise the run of
    // seconds whose clients behaved unlike people dates the surge, or the people browsing since the start
    // would all count as new. The cookie check (cookieless clients only) keeps the wider minute.
    const peopleSince =
      a.evidence !== 'volume' && s.t + 1000 - bornAt < NO_RISE_LOOKBACK_MS
        ? Math.max(since, s.t - (cookieStreak + 1) * 1000)
        : since;
    const ageLimit = Math.floor((w.epochS * 1000 - since) / 1000);
    const recent = sumAges(w.ages, ageLimit);
    return { since, peopleSince, newShare: s.requests > 0 ? Math.min(1, recent / s.requests) : 0 };
  }

  function start(now: number, s: SecondSample, a: Assessment): void {
    const id = `inc-${new Date(s.t).toISOString().replace(/[-:]/g, '').slice(0, 15)}z-${++seq}`;
    incident = new Incident(id, s.t, new Mitigator(cfg, id, surgeOf(s, a)));
    incident.add(s, a.signature, w.sources, a.vectors);
    emit({
      type: 'attack_start',
      incidentId: id,
      at: now,
      mode: 'elevated',
      enforcement: enforcement(),
      vectors: a.vectors,
      signature: a.signature,
      sample: s,
      baseline: base.figures(base.learned >= warmupS),
    });
    setMode('elevated', now, a.vectors.map((v) => v.reason).join('; '), {
      score: a.score,
      rps: s.requests,
      baselineRps: Math.round(base.rps.mean * 10) / 10,
    });
  }

  function end(
    now: number,
    why = `incident ${incident!.id} ended; recovering held for ${cfg.recoverHold / 1000}s`,
  ): void {
    const inc = incident!;
    for (const r of inc.mitigator.relax(why)) apply(r, inc, now);
    emit({
      type: 'attack_end',
      incidentId: inc.id,
      at: now,
      startedAt: inc.startedAt,
      durationMs: inc.lastAnomalousAt + 1000 - inc.startedAt,
      vectors: [...inc.vectors.keys()],
      totals: { ...inc.totals },
      signature: inc.signature(base),
    });
    setMode('normal', now, `no anomaly for ${Math.round((now - inc.lastAnomalousAt) / 1000)}s`, {});
    incident = null;
    cooling = false;
  }

  /** The mode machine for one closed second. */
  function step(now: number, s: SecondSample, a: Assessment): void {
    if (a.anomalous) {
      streak++;
      calm = 0;
    } else {
      streak = 0;
      calm++;
    }
    if (mode === 'normal') {
      if (streak >= startAfter) {
        start(now, s, a);
        mitigate(now, s, a, incident!);
      }
      return;
    }
    let inc = incident!;
    if (inc.restored !== null && a.anomalous) {
      // The first attack second after a restart: the same attack goes on under its id; another one does not.
      const was = inc.restored;
      inc.restored = null;
      if (
        !sameAttack(
          was,
          a.vectors.map((v) => v.vector),
          keysOf(a),
        )
      ) {
        end(now, `a different attack (${a.vectors.map((v) => v.vector).join(', ')}) after a restart`);
        start(now, s, a);
        mitigate(now, s, a, incident!);
        return;
      }
      cooling = false;
      emit({
        type: 'attack_start',
        incidentId: inc.id,
        at: now,
        mode,
        enforcement: enforcement(),
        vectors: a.vectors,
        signature: a.signature,
        sample: s,
        baseline: base.figures(base.learned >= warmupS),
        resumed: true,
      });
      inc = incident!;
    }
    inc.add(s, a.signature, w.sources, a.vectors);
    if (a.anomalous) {
      inc.lastAnomalousAt = s.t;
      if (inc.inGap) {
        inc.inGap = false;
        inc.bursts++;
        inc.burstStarts.push(s.t);
      }
      if (inc.bursts >= 2) pulse(inc, a);
    } else if (calm >= 2) inc.inGap = true;
    if (cooling) {
      if (streak >= startAfter) {
        cooling = false;
        setMode(
          inc.mitigator.level >= TOP_LEVEL ? 'under_attack' : 'elevated',
          now,
          `attack resumed (burst ${inc.bursts})`,
          { score: a.score, rps: s.requests, bursts: inc.bursts },
        );
      } else if (now >= recoverUntil) return end(now);
    } else if (calm >= endAfter) {
      cooling = true;
      recoverUntil = now + holdOf(inc);
      // The challenge stage treats `recovering` like `under_attack`: only step down to it from there.
      if (mode === 'under_attack')
        setMode('recovering', now, `no anomaly for ${calm}s`, {
          calmSeconds: calm,
          rps: s.requests,
          baselineRps: Math.round(base.rps.mean * 10) / 10,
        });
    }
    inc.distressSeconds = a.anomalous && a.distress ? inc.distressSeconds + 1 : 0;
    if (!cooling) mitigate(now, s, a, inc);
    else renew(now, inc); // armed through the quiet phase: a pulse's next burst meets them from its first second
    // under_attack challenges every unverified client (challenge.require default): only once the
    // narrow actions failed (widened to the top level), or the origin stays in distress after the
    // surge's new clients were challenged.
    const top = inc.mitigator.level >= TOP_LEVEL;
    if (
      mode === 'elevated' &&
      a.anomalous &&
      (top || (inc.distressSeconds * 1000 >= cfg.widenAfter && inc.mitigator.level >= 3))
    ) {
      setMode(
        'under_attack',
        now,
        top
          ? 'narrow mitigations did not bring the origin load back'
          : `origin in distress for ${inc.distressSeconds}s`,
        { score: a.score, rps: s.requests, forwarded: s.forwarded, originMs: s.originMs, level: inc.mitigator.level },
      );
    }
  }

  function renew(now: number, inc: Incident): void {
    const renewed = inc.mitigator.renew(now);
    if (renewed.length > 0 && enforcement() === 'enforce' && state !== null)
      for (const m of renewed) state.putMitigation(m);
  }

  /**
   * How long an incident stays armed once calm: recover_hold, or 2.5 pulse
   * periods once bursts have repeated (the signature's mitigations then meet
   * the next burst in its first second).
   */
  function holdOf(inc: Incident): number {
    const st = inc.burstStarts;
    const period = st.length >= 2 ? (st[st.length - 1] - st[0]) / (st.length - 1) : 0;
    return Math.max(cfg.recoverHold, Math.round(2.5 * period));
  }

  function pulse(inc: Incident, a: Assessment): void {
    const starts = inc.burstStarts;
    const period = starts.length >= 2 ? (starts[starts.length - 1] - starts[0]) / (starts.length - 1) / 1000 : 0;
    const v = {
      vector: 'pulse_wave' as const,
      reason: `${inc.bursts} separate surges about ${Math.round(period)}s apart`,
      figures: { bursts: inc.bursts, periodSeconds: Math.round(period) },
    };
    a.vectors.push(v);
    inc.vectors.set('pulse_wave', v);
  }

  function mitigate(now: number, s: SecondSample, a: Assessment, inc: Incident): void {
    if (a.anomalous) {
      const slow = w.topSlow
        .top(cfg.maxBansPerSecond)
        .map(
          (h) => ({ key: h.key, label: h.label, count: h.count, share: 0, baselineShare: 0, lift: 0 }) as SignatureItem,
        );
      const h2 = w.topH2
        .top(cfg.maxBansPerSecond)
        .map(
          (h) => ({ key: h.key, label: h.label, count: h.count, share: 0, baselineShare: 0, lift: 0 }) as SignatureItem,
        );
      for (const act of inc.mitigator.step(now, a, s, base, slow, state, h2)) apply(act, inc, now);
    }
    renew(now, inc);
    emit({
      type: 'attack_update',
      incidentId: inc.id,
      at: now,
      mode,
      vectors: a.vectors,
      signature: a.signature,
      sample: s,
      totals: { ...inc.totals },
    });
  }

  function memoryOf(inc: Incident): AttackMemory {
    const sig = inc.signature(base);
    const a = inc.mitigator;
    const templates = [...inc.vectors.values()].flatMap((v) => v.templates ?? []);
    return {
      id: inc.id,
      startedAt: inc.startedAt,
      lastAnomalousAt: inc.lastAnomalousAt,
      mode,
      surge: { ...a.surge },
      vectors: [...inc.vectors.keys()],
      keys: {
        fingerprints: sig.fingerprints.slice(0, 5).map((f) => f.key),
        paths: sig.paths.slice(0, 5).map((p) => p.label),
        prefixes: sig.prefixes.slice(0, 10).map((p) => p.key),
        templates,
      },
      level: a.level,
      mitigations: a.activeMitigations(),
      bursts: inc.bursts,
      burstStarts: inc.burstStarts.slice(-10),
      totals: { ...inc.totals },
    };
  }

  function restoreAttack(m: AttackMemory, now: number): boolean {
    if (now - m.lastAnomalousAt > cfg.endAfter + cfg.recoverHold) return false;
    const mit = new Mitigator(cfg, m.id, m.surge);
    mit.adopt(m.level, m.mitigations, now);
    const inc = new Incident(m.id, m.startedAt, mit);
    inc.lastAnomalousAt = m.lastAnomalousAt;
    inc.bursts = m.bursts;
    inc.burstStarts = m.burstStarts.slice();
    Object.assign(inc.totals, m.totals);
    for (const v of m.vectors) inc.vectors.set(v, { vector: v, reason: 'seen before the restart', figures: {} });
    inc.restored = m;
    incident = inc;
    mode = m.mode === 'normal' ? 'elevated' : m.mode;
    // Held open as if calm since its last attack second: it ends by itself if the attack does not come back.
    cooling = true;
    calm = Math.max(endAfter, Math.round((now - m.lastAnomalousAt) / 1000));
    recoverUntil = m.lastAnomalousAt + cfg.endAfter + Math.max(cfg.recoverHold, holdOf(inc));
    return true;
  }

  return {
    learned: (now) => ({
      savedAt: now,
      baselines: base.exportState(),
      seen: seen.exportState(),
      attack: incident === null ? null : (incident.restored ?? memoryOf(incident)),
    }),
    restore(st, now) {
      const age = Math.max(0, now - st.savedAt);
      // A baseline a day old is right about the site's shape but less sure of its volume: it counts for half a warm-up.
      base.importState(st.baselines, 0.5 ** (age / 86_400_000));
      seen.importState(st.seen);
      const held = st.attack !== null && incident === null && restoreAttack(st.attack, now);
      return { learnedSeconds: base.learned, ageMs: age, attack: held ? st.attack!.id : null };
    },
    observe: (ctx) => w.observe(ctx),
    noteSlowConnection: (ip) => w.noteSlow(ip),
    noteH2Abuse: (ip, glitches) => w.noteH2(ip, glitches),
    absorb(part) {
      mergePart(w, part);
    },
    openPart: () => exportPart(w, false),
    tick(now) {
      if (bornAt < 0) bornAt = openedAt < 0 ? now - 1000 : openedAt;
      const s = closeSecond(now);
      for (const k of SERIES) if (k !== 'score') series[k].push(k === 't' ? s.t : (s[k] as number));
      for (const x of w.walks.drain()) if (w.walkers.length < 512) w.walkers.push(x);
      const a = assess(s, w, base, { history, cfg, cookieStreak, enumeration: enumerationOf(w.walkers) });
      cookieStreak = a.unlike ? cookieStreak + 1 : 0;
      s.score = a.score;
      series.score.push(a.score);
      step(now, s, a);
      // Learn a second only once the next one was calm too: the ramp of an attack never enters the baseline.
      // Nor a second whose mix shifted while its volume was up (at half a flood threshold): a young
      // baseline averages few seconds, and a low-and-slow attack learned second by second would
      // become the new normal before its window test fires. Only once a few seconds are learned:
      // against an empty baseline every composition test fires, and a shield that refused to
      // learn its first seconds would never become warm.
      // Nor a second of browsers dropping their cookies, or with the origin in distress: a shield
      // started while an attack is on must not learn the attack as its normal.
      // And in its first two minutes, nor a second mostly of first requests: a crowd already coming when
      // the shield started (low-and-slow sources come once in a while, each time "new") is not its normal.
      const youngCrowd = now - bornAt < YOUNG_MS && s.requests > 0 && s.clients.fresh / s.requests >= 0.5;
      const suspect =
        a.unlike ||
        a.distress ||
        youngCrowd ||
        (base.learned >= Math.min(warmupS, 5) &&
          Object.keys(a.composition).length > 0 &&
          Math.max(a.volume.fast, a.volume.slow) >= 0.5);
      const calm = mode === 'normal' && !a.anomalous && !suspect;
      if (calm && lagged.sample !== null && lagged.calm) base.learn(lagged.sample, lagged.keys);
      const keys = w.pend;
      w.pend = lagged.keys;
      lagged.keys = keys;
      lagged.sample = s;
      lagged.calm = calm;
      last = { at: now, score: a.score, top: signatureOf(w, base, 0) };
      if (++slowAge >= SLOW_RESET_S) {
        slowAge = 0;
        w.topSlow.clear();
        w.topH2.clear();
      }
      w.clear();
      w.epochS = Math.floor(now / 1000);
      seen.tick(now);
      openedAt = now;
    },
    onEvent: listeners.on,
    mode: () => mode,
    snapshot() {
      const sr = {} as DetectorSnapshot['series'];
      for (const k of SERIES) sr[k] = series[k].toArray();
      return {
        at: last.at,
        mode,
        enforcement: enforcement(),
        warm: base.learned >= warmupS,
        score: last.score,
        baseline: base.figures(base.learned >= warmupS),
        series: sr,
        top: {
          prefixes: last.top.prefixes,
          fingerprints: last.top.fingerprints,
          paths: last.top.paths,
          sources: last.top.sources,
        },
        incident: incident ? incident.summary(mode, base) : null,
        recentActions: recent.slice(),
      };
    },
  };
}

/** The signature keys of an anomalous second, to compare with an attack remembered from before a restart. */
function keysOf(a: Assessment): AttackMemory['keys'] {
  const sig = a.signature;
  return {
    fingerprints: sig.fingerprints.filter((f) => f.suspicious === true).map((f) => f.key),
    paths: sig.paths.filter((p) => p.share >= 0.05).map((p) => p.label),
    prefixes: sig.prefixes.map((p) => p.key),
    templates: a.enumeration?.templates ?? [],
  };
}
