// Automatic mitigation for one incident: the narrowest action that can work
// first (ban heavy hitters; limit or challenge the signature), widened one
// level at a time only when the origin load stays above baseline for
// `widen_after` (2: challenge unverified clients on the attacked route
// classes; 3: challenge every unverified client), renewed while the attack
// lasts and removed after it. Every action carries its reason and figures.
// In observe enforcement nothing is written. Runs once a second; bounded sets.
import type { DetectorConfig } from '../config/schema/detector.js';
import type { Ban, Enforcement, Mitigation, Mode } from '../core/model.js';
import type { Assessment } from './assess.js';
import type { Baselines } from './baseline.js';
import type { MitigationAction, SecondSample, SignatureItem } from './events.js';

/** The writes and reads of shared state the detector needs (src/state SharedState fits). */
export interface DetectorState {
  enforcement(): Enforcement;
  setMode(mode: Mode): void;
  addBan(ban: Ban): void;
  isBanned(ip: string, now: number): Ban | null;
  putMitigation(m: Mitigation): void;
  removeMitigation(id: string): boolean;
}

const MAX_TRACKED_BANS = 20_000;

export class Mitigator {
  level = 0;
  private changedAt = 0;
  private readonly banned = new Set<string>();
  private readonly active = new Map<string, Mitigation>();
  private readonly cfg: DetectorConfig;
  private readonly incidentId: string;
  bans = 0;
  private seq = 0;

  constructor(cfg: DetectorConfig, incidentId: string) {
    this.cfg = cfg;
    this.incidentId = incidentId;
  }

  activeMitigations(): Mitigation[] {
    return [...this.active.values()];
  }

  /** One second of an active attack: returns the new actions (the caller applies and records them). */
  step(now: number, a: Assessment, s: SecondSample, b: Baselines, slowSources: SignatureItem[], state: DetectorState | null, h2Sources: SignatureItem[] = []): MitigationAction[] {
    const out: MitigationAction[] = [];
    // First: the HTTP/2 abuser's requests (rapid reset) also make it a heavy hitter; its ban names the cause.
    if (a.vectors.some((v) => v.vector === 'h2_abuse')) {
      // One session closed at the glitch cap is already far past anything a browser does.
      this.banHeavy(now, h2Sources, s, 'ban/auto-h2', (h) => `${h.count} HTTP/2 session(s) closed with GOAWAY for abuse in 10s during incident ${this.incidentId}`, state, out);
    }
    this.banHeavy(now, a.heavy, s, 'ban/auto-flood', (h) => `${h.count} requests/s (${Math.round(h.share * 100)}% of ${s.requests}/s) during incident ${this.incidentId}; ban_min_rps is ${this.cfg.banMinRps}`, state, out);
    if (a.vectors.some((v) => v.vector === 'slow_connections')) {
      this.banHeavy(now, slowSources.filter((x) => x.count >= 3), s, 'ban/auto-slow', (h) => `${h.count} connections closed by header/body deadlines in 10s during incident ${this.incidentId}`, state, out);
    }
    const onlyBans = a.vectors.every((v) => v.vector === 'single_source_flood' || v.vector === 'slow_connections' || v.vector === 'h2_abuse');
    if (this.level === 0 && !onlyBans) this.widen(now, a, s, b, out, 'attack started');
    else if (this.level >= 1 && this.level < 3 && !onlyBans && this.newSignature(now, a, s, b, out)) return out;
    else if (this.level > 0 && this.level < 3 && now - this.changedAt >= this.cfg.widenAfter && originLoaded(s, b)) {
      this.widen(now, a, s, b, out, `origin still loaded ${Math.round((this.cfg.widenAfter) / 1000)}s after the last action: ${s.forwarded} forwarded/s against a baseline of ${Math.round(b.forwarded.mean * 10) / 10}/s`);
    }
    return out;
  }

  private banHeavy(now: number, heavy: readonly SignatureItem[], s: SecondSample, rule: string, why: (h: SignatureItem) => string, state: DetectorState | null, out: MitigationAction[]): void {
    let n = 0;
    for (const h of heavy) {
      if (n >= this.cfg.maxBansPerSecond) break;
      const target = h.label;
      if (!target || this.banned.has(target) || (state !== null && state.isBanned(target, now) !== null)) continue;
      if (this.banned.size < MAX_TRACKED_BANS) this.banned.add(target);
      const ban: Ban = { target, rule, createdAt: now, until: now + this.cfg.banDuration, reason: why(h), source: 'auto' };
      out.push({ kind: 'ban', rule, level: 1, ban, mitigation: null, reason: ban.reason, figures: { rps: h.count, share: h.share, totalRps: s.requests, banMinRps: this.cfg.banMinRps }, applied: false });
      this.bans++;
      n++;
    }
  }

  /**
   * The attack changed its signature (a new fingerprint or path with ≥ 20 % of
   * the traffic that no active mitigation covers): scope a new level-1
   * mitigation to it instead of widening to everyone.
   */
  private newSignature(now: number, a: Assessment, s: SecondSample, b: Baselines, out: MitigationAction[]): boolean {
    const covered = new Set<string>();
    for (const m of this.active.values()) {
      for (const f of m.match.fingerprints) covered.add(`f${f}`);
      for (const p of m.match.paths) covered.add(`p${p}`);
      if (m.match.fingerprints.length === 0 && m.match.paths.length === 0) return false; // a wide one covers all
    }
    const fresh = a.signature.fingerprints.some((f) => f.suspicious === true && f.share >= 0.1 && !covered.has(`f${f.key}`)) || (a.signature.fingerprints.length === 0 && a.signature.paths.some((p) => p.share >= 0.2 && p.label !== '/' && !p.label.startsWith('/.rampart/') && !covered.has(`p${p.label}`)));
    if (!fresh || this.active.size >= 8) return false;
    const m = this.build(1, now, a, s, b, 'the attack changed its signature');
    if (m === null) return false;
    const id = `${m.id}-${++this.seq}`;
    const mm = { ...m, id };
    this.active.set(id, mm);
    this.changedAt = now;
    out.push({ kind: 'mitigation', rule: mm.rule, level: 1, ban: null, mitigation: mm, reason: mm.reason, figures: { ...mm.figures }, applied: false });
    return true;
  }

  /** Adds the next level's mitigation (signature → route classes → everyone unverified). */
  private widen(now: number, a: Assessment, s: SecondSample, b: Baselines, out: MitigationAction[], why: string): void {
    for (let next = this.level + 1; next <= 3; next++) {
      const m = this.build(next, now, a, s, b, why);
      if (m === null) continue;
      this.level = next;
      this.changedAt = now;
      this.active.set(m.id, m);
      out.push({ kind: 'mitigation', rule: m.rule, level: next, ban: null, mitigation: m, reason: m.reason, figures: { ...m.figures }, applied: false });
      return;
    }
  }

  private build(level: number, now: number, a: Assessment, s: SecondSample, b: Baselines, why: string): Mitigation | null {
    const sig = a.signature;
    // Every over-represented fingerprint (the signature already requires min_lift): floods often rotate a few user agents.
    const fps = sig.fingerprints.filter((x) => x.suspicious === true && x.share >= 0.05);
    // Mitigation paths are prefixes: "/" would match every path, so it never narrows anything.
    // Never the challenge's own endpoints (/.rampart/…): challenging them would lock everyone out.
    const paths = sig.paths.filter((x) => x.share >= 0.2 && x.label !== '/' && x.label !== '' && !x.label.startsWith('/.rampart/'));
    const figures: Record<string, number> = { rps: s.requests, baselineRps: Math.round(b.rps.mean * 10) / 10, sources: s.sources, forwarded: s.forwarded, score: a.score, level };
    const base = { createdAt: now, until: now + this.cfg.mitigationTtl, id: `${this.incidentId}-l${level}` };
    const empty = { prefixKeys: [] as number[], fingerprints: [] as number[], routeClasses: [] as string[], paths: [] as string[], unverifiedOnly: true };
    if (level === 1) {
      if (fps.length === 0 && paths.length === 0) return null;
      const covered = fps.length > 0 ? fps.reduce((x, f) => x + f.count, 0) : paths.reduce((x, p) => x + p.count, 0);
      const perSource = covered / Math.max(1, s.sources);
      fps.forEach((f, i) => (figures[`fingerprintShare${i}`] = f.share));
      paths.forEach((p, i) => (figures[`pathShare${i}`] = p.share));
      figures.perSourceRps = Math.round(perSource * 100) / 100;
      // A per-client limit only helps when each client sends more than it allows.
      const limit = perSource > 2 * this.cfg.signatureRate;
      const rule = limit ? 'mitigate/limit-signature' : 'mitigate/challenge-signature';
      const what = [fps.length ? `fingerprint ${fps.map((f) => f.label).join(', ')} (${fps.map((f) => `${Math.round(f.share * 100)}% vs ${Math.round(f.baselineShare * 1000) / 10}% normally`).join(', ')})` : '', paths.length ? `path ${paths.map((p) => `${p.label} (${Math.round(p.share * 100)}%, ×${p.lift})`).join(', ')}` : ''].filter(Boolean).join(' and ');
      const reason = `${why}: ${limit ? `limit to ${this.cfg.signatureRate}/s per client` : 'challenge unverified clients'} matching ${what}`;
      return { ...base, action: limit ? 'limit' : 'challenge', rule, match: { ...empty, fingerprints: fps.map((f) => f.key), paths: paths.map((p) => p.label) }, rate: limit ? this.cfg.signatureRate : 0, reason, figures };
    }
    if (level === 2) {
      if (a.attackedClasses.length === 0) return null;
      for (const c of sig.routeClasses) if (a.attackedClasses.includes(c.name)) figures[`${c.name}Share`] = c.share;
      return { ...base, action: 'challenge', rule: 'mitigate/challenge-route', match: { ...empty, routeClasses: [...a.attackedClasses] }, rate: 0, reason: `${why}: challenge unverified clients on route class ${a.attackedClasses.join(', ')}`, figures };
    }
    return { ...base, action: 'challenge', rule: 'mitigate/challenge-all', match: { ...empty }, rate: 0, reason: `${why}: challenge every unverified client`, figures };
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
    for (const m of this.active.values()) out.push({ kind: 'remove_mitigation', rule: m.rule, level: this.level, ban: null, mitigation: m, reason, figures: {}, applied: false });
    this.active.clear();
    this.level = 0;
    return out;
  }
}

function originLoaded(s: SecondSample, b: Baselines): boolean {
  const f = b.forwarded;
  return s.forwarded > Math.max(f.mean * 1.5, f.mean + 3 * f.std, 5);
}
