// Automatic mitigation for one incident, narrowest first. At the start: bans
// of heavy sources, the cookie check for clients first seen since the surge
// began (a browser follows it unnoticed; tools that drop cookies never pass),
// the signature (fingerprint or path: a limit or a challenge), and a
// per-client limit at human pace on the surge's new clients when they bring
// the excess. Widened one level at a time only while the origin load stays
// above baseline for `widen_after`: (2) challenge the attacked route classes,
// (3) challenge the surge's new clients, (4) challenge every unverified
// client. Known clients — first seen before the surge — pass levels 1–3; a
// level that would reach them (no surge to date "new" by, or everyone) is
// taken only while the origin is in distress or min_ratio × its usual
// forwarded rate still reaches it.
// Renewed while the attack lasts, removed after it. Every action carries its
// reason and figures. Runs once a second; bounded sets.
import type { DetectorConfig } from '../config/schema/detector.js';
import type { Ban, Enforcement, Mitigation, Mode } from '../core/model.js';
import type { Assessment } from './assess.js';
import type { Baselines } from './baseline.js';
import type { MitigationAction, SecondSample, SignatureItem } from './events.js';
import { templateLabel, type Walker } from './templates.js';
import { BROWSER_FAMILIES } from '../core/ua-family.js';

/** The writes and reads of shared state the detector needs (src/state SharedState fits). */
export interface DetectorState {
  enforcement(): Enforcement;
  setMode(mode: Mode): void;
  addBan(ban: Ban): void;
  isBanned(ip: string, now: number): Ban | null;
  putMitigation(m: Mitigation): void;
  removeMitigation(id: string): boolean;
}

/** The surge this incident answers: when it began, and how much of its traffic came from clients first seen since. */
export interface Surge {
  /** When the surge began, for the cookie check (cookieless clients). */
  since: number;
  /** …for what reaches clients returning the seen cookie (limits, challenges of new clients); `since` when absent. */
  peopleSince?: number;
  /** Share of the first anomalous second's requests from clients first seen since `since`. */
  newShare: number;
}

const MAX_TRACKED_BANS = 20_000;
/** The highest level: every unverified client is challenged (the mode goes to under_attack). */
export const TOP_LEVEL = 4;
/** New clients bringing at least this share of an attack second make "new clients" a signature of its own. */
export const NEW_SHARE = 0.5;
/** A person's pace: a page with its assets at once, then a page every few seconds. */
const NEW_CLIENT_RATE = 2;
const NEW_CLIENT_BURST = 40;
type Match = Mitigation['match'];

const r1 = (x: number) => Math.round(x * 10) / 10;

export class Mitigator {
  level = 0;
  private changedAt = 0;
  private readonly banned = new Set<string>();
  private readonly active = new Map<string, Mitigation>();
  private readonly cfg: DetectorConfig;
  private readonly incidentId: string;
  readonly surge: Surge;
  bans = 0;
  private seq = 0;

  constructor(cfg: DetectorConfig, incidentId: string, surge: Surge) {
    this.cfg = cfg;
    this.incidentId = incidentId;
    this.surge = surge;
  }

  activeMitigations(): Mitigation[] {
    return [...this.active.values()];
  }

  /** Takes over the level and mitigations of this incident from before a restart (they are in shared state already). */
  adopt(level: number, mitigations: readonly Mitigation[], now: number): void {
    this.level = Math.max(0, Math.min(TOP_LEVEL, Math.round(level)));
    for (const m of mitigations) if (m.until > now) this.active.set(m.id, m);
    this.changedAt = now;
  }

  /** New clients bring the excess: they are a signature of their own. */
  private get newClients(): boolean {
    return this.surge.newShare >= NEW_SHARE;
  }

  /** One second of an active attack: returns the new actions (the caller applies and records them). */
  step(
    now: number,
    a: Assessment,
    s: SecondSample,
    b: Baselines,
    slowSources: SignatureItem[],
    state: DetectorState | null,
    h2Sources: SignatureItem[] = [],
  ): MitigationAction[] {
    const out: MitigationAction[] = [];
    // First: the HTTP/2 abuser's requests (rapid reset) also make it a heavy hitter; its ban names the cause.
    if (a.vectors.some((v) => v.vector === 'h2_abuse')) {
      // One session closed at the glitch cap is already far past anything a browser does.
      this.banHeavy(
        now,
        h2Sources,
        s,
        'ban/auto-h2',
        (h) => `${h.count} HTTP/2 session(s) closed with GOAWAY for abuse in 10s during incident ${this.incidentId}`,
        state,
        out,
      );
    }
    this.banHeavy(
      now,
      a.heavy,
      s,
      'ban/auto-flood',
      (h) =>
        `${h.count} requests/s (${Math.round(h.share * 100)}% of ${s.requests}/s) during incident ${this.incidentId}; ban_min_rps is ${this.cfg.banMinRps}`,
      state,
      out,
    );
    if (a.enumeration !== null) this.banWalkers(now, a.enumeration.walkers, state, out);
    if (a.vectors.some((v) => v.vector === 'slow_connections')) {
      this.banHeavy(
        now,
        slowSources.filter((x) => x.count >= 3),
        s,
        'ban/auto-slow',
        (h) => `${h.count} connections closed by header/body deadlines in 10s during incident ${this.incidentId}`,
        state,
        out,
      );
    }
    // Heavy sources, slow connections, HTTP/2 abuse and identifier walks found by the template watch are answered by bans alone.
    const onlyBans = a.vectors.every(
      (v) =>
        v.vector === 'single_source_flood' ||
        v.vector === 'slow_connections' ||
        v.vector === 'h2_abuse' ||
        (v.vector === 'enumeration' && v.templates !== undefined),
    );
    if (onlyBans) return out;
    const keeps = this.newClients && keepsCookies(s) && originLoaded(s, b, a);
    const why = `the surge's new clients keep their cookies (${pctOf(s.clients.cookie, s.requests)} of ${s.requests}/s came with it): the cookie check does not stop them`;
    if (this.level === 0) {
      this.open(now, a, s, b, out);
      // Its new clients already come back with their cookies: the check will not stop them.
      if (keeps) this.widenTo(3, now, a, s, b, out, why);
      return out;
    }
    if (this.level >= TOP_LEVEL) return out;
    // The cookie check does not stop a surge whose new clients keep their cookies: challenge them at once.
    if (this.level < 3 && a.anomalous && keeps) return (this.widenTo(3, now, a, s, b, out, why), out);
    // A new fingerprint or path: a signature mitigation of its own (the widening clock is not reset: an
    // attack that keeps changing its signature is widened all the same).
    this.newSignature(now, a, s, b, out);
    if (now - this.changedAt >= this.cfg.widenAfter && originLoaded(s, b, a)) {
      this.widen(
        now,
        a,
        s,
        b,
        out,
        `origin still loaded ${Math.round(this.cfg.widenAfter / 1000)}s after the last action: ${s.forwarded} forwarded/s against a baseline of ${r1(b.forwarded.mean)}/s`,
      );
    }
    return out;
  }

  private banHeavy(
    now: number,
    heavy: readonly SignatureItem[],
    s: SecondSample,
    rule: string,
    why: (h: SignatureItem) => string,
    state: DetectorState | null,
    out: MitigationAction[],
  ): void {
    let n = 0;
    for (const h of heavy) {
      if (n >= this.cfg.maxBansPerSecond) break;
      const target = h.label;
      if (!target || this.banned.has(target) || (state !== null && state.isBanned(target, now) !== null)) continue;
      if (this.banned.size < MAX_TRACKED_BANS) this.banned.add(target);
      const ban: Ban = {
        target,
        rule,
        createdAt: now,
        until: now + this.cfg.banDuration,
        reason: why(h),
        source: 'auto',
      };
      out.push({
        kind: 'ban',
        rule,
        level: 1,
        ban,
        mitigation: null,
        reason: ban.reason,
        figures: { rps: h.count, share: h.share, totalRps: s.requests, banMinRps: this.cfg.banMinRps },
        applied: false,
      });
      this.bans++;
      n++;
    }
  }

  /** Bans the sources the template watch caught walking identifiers (src/detector/templates.ts). */
  private banWalkers(
    now: number,
    walkers: readonly Walker[],
    state: DetectorState | null,
    out: MitigationAction[],
  ): void {
    let n = 0;
    for (const w of walkers) {
      if (n >= this.cfg.maxBansPerSecond) break;
      if (!w.ip || this.banned.has(w.ip) || (state !== null && state.isBanned(w.ip, now) !== null)) continue;
      if (this.banned.size < MAX_TRACKED_BANS) this.banned.add(w.ip);
      const reason = `${w.ids} distinct identifiers of ${templateLabel(w.path)} within 30 s${w.run >= 10 ? ` (${w.run} in sequence)` : ''} during incident ${this.incidentId}: a person reads a few`;
      const ban: Ban = {
        target: w.ip,
        rule: 'ban/auto-enumeration',
        createdAt: now,
        until: now + this.cfg.banDuration,
        reason,
        source: 'auto',
      };
      out.push({
        kind: 'ban',
        rule: ban.rule,
        level: 1,
        ban,
        mitigation: null,
        reason,
        figures: { ids: w.ids, run: w.run },
        applied: false,
      });
      this.bans++;
      n++;
    }
  }

  /** The first actions: the cookie check, the signature, and a limit on the surge's new clients when they bring the excess. */
  private open(now: number, a: Assessment, s: SecondSample, b: Baselines, out: MitigationAction[]): void {
    const since = this.surge.since;
    this.add(out, 1, now, {
      action: 'check',
      rule: 'mitigate/check-cookie',
      match: match({ cookieless: true, newSince: since }),
      rate: 0,
      reason: `attack started: cookie check for clients first seen since ${new Date(since).toISOString()} that do not return the seen cookie (${pctOf(s.clients.fresh + s.clients.ignored, s.requests)} of ${s.requests}/s came without it)`,
      figures: this.figures(a, s, b, 1),
    });
    if (this.newClients) {
      this.add(out, 1, now, {
        action: 'limit',
        rule: 'mitigate/limit-new',
        match: match({ newSince: this.surge.peopleSince ?? since }),
        rate: NEW_CLIENT_RATE,
        burst: NEW_CLIENT_BURST,
        reason: `attack started: ${Math.round(this.surge.newShare * 100)}% of ${s.requests}/s from clients first seen since the surge began; each limited to a person's pace (${NEW_CLIENT_RATE}/s, bursts of ${NEW_CLIENT_BURST})`,
        figures: { ...this.figures(a, s, b, 1), newShare: Math.round(this.surge.newShare * 100) / 100 },
      });
    }
    const sig = this.build(1, now, a, s, b, 'attack started');
    if (sig !== null) this.put(out, 1, sig);
    this.level = 1;
    this.changedAt = now;
  }

  private add(
    out: MitigationAction[],
    level: number,
    now: number,
    m: Omit<Mitigation, 'id' | 'createdAt' | 'until'>,
  ): void {
    const id = `${this.incidentId}-${m.rule.slice(m.rule.indexOf('/') + 1)}`;
    this.put(out, level, { ...m, id, createdAt: now, until: now + this.cfg.mitigationTtl });
  }

  private put(out: MitigationAction[], level: number, m: Mitigation): void {
    this.active.set(m.id, m);
    out.push({
      kind: 'mitigation',
      rule: m.rule,
      level,
      ban: null,
      mitigation: m,
      reason: m.reason,
      figures: { ...m.figures },
      applied: false,
    });
  }

  private figures(a: Assessment, s: SecondSample, b: Baselines, level: number): Record<string, number> {
    return {
      rps: s.requests,
      baselineRps: r1(b.rps.mean),
      sources: s.sources,
      forwarded: s.forwarded,
      score: a.score,
      level,
    };
  }

  /**
   * The attack changed its signature (a new fingerprint or path with ≥ 20 % of
   * the traffic that no active mitigation covers): scope a new level-1
   * mitigation to it instead of widening to everyone.
   */
  private newSignature(now: number, a: Assessment, s: SecondSample, b: Baselines, out: MitigationAction[]): boolean {
    const covered = new Set<string>();
    for (const m of this.active.values()) {
      if (m.action === 'check' || m.rule === 'mitigate/limit-new') continue;
      for (const f of m.match.fingerprints) covered.add(`f${f}`);
      for (const p of m.match.paths) covered.add(`p${p}`);
      if (m.match.fingerprints.length === 0 && m.match.paths.length === 0) return false; // a wide one covers all
    }
    const fresh =
      a.signature.fingerprints.some((f) => f.suspicious === true && f.share >= 0.1 && !covered.has(`f${f.key}`)) ||
      (a.signature.fingerprints.length === 0 &&
        a.signature.paths.some(
          (p) => p.share >= 0.2 && p.label !== '/' && !p.label.startsWith('/.rampart/') && !covered.has(`p${p.label}`),
        ));
    if (!fresh || this.active.size >= 10) return false;
    const m = this.build(1, now, a, s, b, 'the attack changed its signature');
    if (m === null) return false;
    this.put(out, 1, { ...m, id: `${m.id}-${++this.seq}` });
    return true;
  }

  /** Adds the next level's mitigation (route classes → the surge's new clients → everyone unverified). */
  private widen(now: number, a: Assessment, s: SecondSample, b: Baselines, out: MitigationAction[], why: string): void {
    this.widenTo(this.level + 1, now, a, s, b, out, why);
  }

  /** Adds the first buildable level from `from` on. */
  private widenTo(
    from: number,
    now: number,
    a: Assessment,
    s: SecondSample,
    b: Baselines,
    out: MitigationAction[],
    why: string,
  ): void {
    for (let next = from; next <= TOP_LEVEL; next++) {
      const m = this.build(next, now, a, s, b, why);
      if (m === null) continue;
      // A widening that reaches the clients known before the surge (a route class or everyone, with no
      // "new since") needs the origin hurting, or a flood's worth still forwarded (min_ratio × its usual
      // rate): 1.5× alone (a cache emptied by a restart, people's retries after it) does not refuse people.
      if (
        !(m.match.newSince !== undefined && m.match.newSince > 0) &&
        !a.distress &&
        !(s.forwarded > this.cfg.minRatio * Math.max(b.forwarded.mean, 5))
      )
        continue;
      this.level = next;
      this.changedAt = now;
      this.put(out, next, m);
      return;
    }
  }

  private build(
    level: number,
    now: number,
    a: Assessment,
    s: SecondSample,
    b: Baselines,
    why: string,
  ): Mitigation | null {
    const sig = a.signature;
    const figures = this.figures(a, s, b, level);
    const base = { createdAt: now, until: now + this.cfg.mitigationTtl, id: `${this.incidentId}-l${level}` };
    // Past the signature, the surge's new clients are challenged before anyone known is.
    const since = level >= 2 && level < TOP_LEVEL && this.newClients ? (this.surge.peopleSince ?? this.surge.since) : 0;
    const who = since > 0 ? 'unverified clients first seen since the surge began' : 'unverified clients';
    if (level === 1) {
      // Every over-represented fingerprint (the signature already requires min_lift): floods often rotate a few user agents.
      const fps = sig.fingerprints.filter((x) => x.suspicious === true && x.share >= 0.05);
      // Mitigation paths are prefixes: "/" would match every path, so it never narrows anything.
      // Never the challenge's own endpoints (/.rampart/…): challenging them would lock everyone out.
      const paths = sig.paths.filter(
        (x) => x.share >= 0.2 && x.label !== '/' && x.label !== '' && !x.label.startsWith('/.rampart/'),
      );
      if (fps.length === 0 && paths.length === 0) return null;
      const covered = fps.length > 0 ? fps.reduce((x, f) => x + f.count, 0) : paths.reduce((x, p) => x + p.count, 0);
      const perSource = covered / Math.max(1, s.sources);
      fps.forEach((f, i) => (figures[`fingerprintShare${i}`] = f.share));
      paths.forEach((p, i) => (figures[`pathShare${i}`] = p.share));
      figures.perSourceRps = Math.round(perSource * 100) / 100;
      // A per-client limit only helps when each client sends more than it allows.
      const limit = perSource > 2 * this.cfg.signatureRate;
      // A path alone is visited by people too: not the proof of work at once (the cookie check and the
      // limit on new clients come first; widening challenges if the origin stays loaded).
      if (fps.length === 0 && !limit) return null;
      const rule = limit ? 'mitigate/limit-signature' : 'mitigate/challenge-signature';
      const what = [
        fps.length
          ? `fingerprint ${fps.map((f) => f.label).join(', ')} (${fps.map((f) => `${Math.round(f.share * 100)}% vs ${Math.round(f.baselineShare * 1000) / 10}% normally`).join(', ')})`
          : '',
        paths.length
          ? `path ${paths.map((p) => `${p.label} (${Math.round(p.share * 100)}%, ×${p.lift})`).join(', ')}`
          : '',
      ]
        .filter(Boolean)
        .join(' and ');
      const reason = `${why}: ${limit ? `limit to ${this.cfg.signatureRate}/s per client` : 'challenge unverified clients'} matching ${what}`;
      // A path, or a browser's fingerprint, is shared with people: such a signature spares the clients
      // known before the surge when the surge's new ones bring it (a tool's fingerprint is nobody's browser).
      const people = fps.length === 0 || fps.some((f) => BROWSER_FAMILIES.has(f.family ?? ''));
      const newSince = people && this.newClients ? (this.surge.peopleSince ?? this.surge.since) : 0;
      return {
        ...base,
        action: limit ? 'limit' : 'challenge',
        rule,
        match: match({ fingerprints: fps.map((f) => f.key), paths: paths.map((p) => p.label), newSince }),
        rate: limit ? this.cfg.signatureRate : 0,
        reason,
        figures,
      };
    }
    if (level === 2) {
      if (a.attackedClasses.length === 0) return null;
      for (const c of sig.routeClasses) if (a.attackedClasses.includes(c.name)) figures[`${c.name}Share`] = c.share;
      return {
        ...base,
        action: 'challenge',
        rule: 'mitigate/challenge-route',
        match: match({ routeClasses: [...a.attackedClasses], newSince: since }),
        rate: 0,
        reason: `${why}: challenge ${who} on route class ${a.attackedClasses.join(', ')}`,
        figures,
      };
    }
    if (level === 3) {
      if (since === 0) return null;
      return {
        ...base,
        action: 'challenge',
        rule: 'mitigate/challenge-new',
        match: match({ newSince: since }),
        rate: 0,
        reason: `${why}: challenge ${who}`,
        figures,
      };
    }
    return {
      ...base,
      action: 'challenge',
      rule: 'mitigate/challenge-all',
      match: match({}),
      rate: 0,
      reason: `${why}: challenge every unverified client`,
      figures,
    };
  }

  /** Extends mitigations past half their lifetime while the attack is on; returns them to re-put. */
  renew(now: number): Mitigation[] {
    const out: Mitigation[] = [];
    for (const [id, m] of this.active) {
      if (m.until - now >= this.cfg.mitigationTtl / 2) continue;
      const next = { ...m, until: now + this.cfg.mitigationTtl };
      this.active.set(id, next);
      out.push(next);
    }
    return out;
  }

  /** Ends the incident's mitigations: returns removal actions. */
  relax(reason: string): MitigationAction[] {
    const out: MitigationAction[] = [];
    for (const m of this.active.values())
      out.push({
        kind: 'remove_mitigation',
        rule: m.rule,
        level: this.level,
        ban: null,
        mitigation: m,
        reason,
        figures: {},
        applied: false,
      });
    this.active.clear();
    this.level = 0;
    return out;
  }
}

/**
 * The second's new clients (first seen in the last 15 s) came back with the
 * seen cookie: at least 30 % of their requests carry it, counting every old
 * client's request as one with the cookie (a lower bound for the new ones).
 * A client that follows the cookie check sends one request without it and
 * one with it; one that drops cookies never sends it.
 */
function keepsCookies(s: SecondSample): boolean {
  const n = s.requests;
  const recent = s.clients.recent;
  return recent >= 0.5 * n && s.clients.cookie - (n - recent) >= KEEPS_COOKIES * recent;
}

const KEEPS_COOKIES = 0.3;

function match(m: Partial<Match>): Match {
  const out: { -readonly [K in keyof Match]: Match[K] } = {
    prefixKeys: m.prefixKeys ?? [],
    fingerprints: m.fingerprints ?? [],
    routeClasses: m.routeClasses ?? [],
    paths: m.paths ?? [],
    unverifiedOnly: true,
  };
  if (m.newSince !== undefined && m.newSince > 0) out.newSince = m.newSince;
  if (m.cookieless) out.cookieless = true;
  return out;
}

const pctOf = (x: number, n: number) => `${Math.round((100 * x) / Math.max(1, n))}%`;

/**
 * The origin still gets more than it should: more forwarded requests than its
 * learned rate allows. Without a learned rate (a shield started into an
 * attack) nothing says what "more" is: only an origin in distress widens.
 */
function originLoaded(s: SecondSample, b: Baselines, a: Assessment): boolean {
  const f = b.forwarded;
  if (f.n < MIN_LEARNED_FORWARDED) return a.distress;
  return s.forwarded > Math.max(f.mean * 1.5, f.mean + 3 * f.std, 5);
}

/** Seconds of forwarded rate learned before "more than usual" means anything. */
const MIN_LEARNED_FORWARDED = 5;
