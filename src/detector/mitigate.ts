// Automatic mitigation for one incident, narrowest first. At the start: bans
// of heavy sources, the cookie check for clients first seen since the surge
// began (a browser follows it unnoticed; tools that drop cookies never pass),
// the signature (fingerprint or path: a limit or a challenge), a per-client
// limit at human pace on the surge's new clients when they bring the excess,
// and the a-priori challenges (random query names, cookie jars moving between
// User-Agents: mitigation-apriori.ts) once they show. Widened one level at a
// time only while the origin load stays above baseline for `widen_after`:
// (2) the attacked route classes, (3) the surge's new clients, (4) every
// unverified client. Known clients — first seen before the surge — pass
// levels 1–3; a level that would reach them (no surge to date "new" by, or
// everyone) is taken only while the origin is in distress or min_ratio × its
// usual forwarded rate still reaches it. Renewed while the attack lasts,
// removed after it. Every action carries its reason and figures. What each
// level matches: mitigation-levels.ts; the bans: mitigation-bans.ts.
import type { DetectorConfig } from '../config/schema/detector.js';
import type { Mitigation } from '../core/model.js';
import type { Assessment } from './assess.js';
import type { Baselines } from './baseline.js';
import type { MitigationAction, SecondSample, SignatureItem } from './events.js';
import { aprioriMitigations } from './mitigation-apriori.js';
import { AutoBans, type DetectorState } from './mitigation-bans.js';
import {
  figuresOf,
  MitigationLevels,
  match,
  pctOf,
  round1,
  type Surge,
  TOP_LEVEL,
  walkChallenges,
} from './mitigation-levels.js';
import {
  answeredByBans,
  FORM_FIRST_WHY,
  hurting,
  keepsCookies,
  LoadSince,
  originLoaded,
  uncovered,
  YOUNG_WHY,
} from './mitigation-triggers.js';

export { NEW_SHARE, TOP_LEVEL, type Surge } from './mitigation-levels.js';
export type { DetectorState } from './mitigation-bans.js';

/** A person's pace: a page with its assets at once, then a page every few seconds. */
const NEW_CLIENT_RATE = 2;
const NEW_CLIENT_BURST = 40;
/** Active mitigations past which a changed signature gets no mitigation of its own (widening takes over). */
const MAX_SIGNATURE_MITIGATIONS = 10;

export class Mitigator {
  level = 0;
  readonly surge: Surge;
  private changedAt = 0;
  private readonly load = new LoadSince();
  private readonly active = new Map<string, Mitigation>();
  private readonly cfg: DetectorConfig;
  private readonly incidentId: string;
  private readonly bans: AutoBans;
  private readonly levels: MitigationLevels;
  private seq = 0;
  private readonly walked = new Set<string>(); // templates whose crowd walk has its challenge (walkChallenges)

  constructor(cfg: DetectorConfig, incidentId: string, surge: Surge) {
    this.cfg = cfg;
    this.incidentId = incidentId;
    this.surge = surge;
    this.bans = new AutoBans(cfg, incidentId);
    this.levels = new MitigationLevels(cfg, incidentId, surge);
  }

  activeMitigations(): Mitigation[] {
    return [...this.active.values()];
  }

  /** Takes over the level and mitigations of this incident from before a restart (they are in shared state already). */
  adopt(level: number, mitigations: readonly Mitigation[], now: number): void {
    this.level = Math.max(0, Math.min(TOP_LEVEL, Math.round(level)));
    for (const m of mitigations) if (m.until > now) this.active.set(m.id, m);
    this.changedAt = now;
    this.load.reset();
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
    this.ban(now, a, s, slowSources, state, h2Sources, out);
    for (const m of walkChallenges(this.walked, this.incidentId, a, this.surge.since, now, this.cfg.mitigationTtl))
      this.put(out, Math.max(1, this.level), { ...m, figures: { ...figuresOf(a, s, b, 1), ...m.figures } });
    if (answeredByBans(a)) return out;
    const loaded = originLoaded(s, b, a, this.cfg.minRps);
    const keeps = this.levels.newClients && keepsCookies(s) && loaded;
    const why = `the surge's new clients keep their cookies (${pctOf(s.clients.cookie, s.requests)} of ${s.requests}/s came with it): the cookie check does not stop them`;
    if (this.level === 0) {
      this.open(now, a, s, b, out);
      // Its new clients already come back with their cookies: the check will not stop them.
      if (keeps) this.widenTo(3, now, a, s, b, out, why);
      // A young detector with no volume rise to date the surge by (clients behaving unlike people, the
      // origin in distress) knows people by the assets mark alone, and its challenges of new clients go
      // through the cookie check and the assets check first (docs/challenge.md): they cost a person a
      // redirect and a reload, not the proof of work. Waiting for the crowd to show it keeps its cookies
      // (a second or two, with a browser's fingerprint that changes once it carries one) lets it through.
      // A volume rise dates the surge: the narrow levels first.
      else if (this.levels.young && this.levels.newClients) this.widenTo(3, now, a, s, b, out, YOUNG_WHY);
      // New clients posting forms they never loaded (formFirst): see FORM_FIRST_WHY.
      else if (a.composition.formFirst !== undefined && this.levels.newClients)
        this.widenTo(2, now, a, s, b, out, FORM_FIRST_WHY);
      return out;
    }
    this.apriori(now, a, s, b, out);
    if (this.level >= TOP_LEVEL) return out;
    this.load.note(loaded, s.forwarded);
    // The cookie check does not stop a surge whose new clients keep their cookies: challenge them at once.
    if (this.level < 3 && a.anomalous && keeps) {
      this.widenTo(3, now, a, s, b, out, why);
      return out;
    }
    // A new fingerprint or path: a signature mitigation of its own (the widening clock is not reset: an
    // attack that keeps changing its signature is widened all the same).
    this.newSignature(now, a, s, b, out);
    if (now - this.changedAt >= this.cfg.widenAfter && loaded) {
      const after = Math.round(this.cfg.widenAfter / 1000);
      const load = `${s.forwarded} forwarded/s against a baseline of ${round1(b.forwarded.mean)}/s`;
      this.widenTo(this.level + 1, now, a, s, b, out, `origin still loaded ${after}s after the last action: ${load}`);
    }
    return out;
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

  /** The bans of this second: HTTP/2 abusers, heavy sources, identifier walkers, slow connections. */
  private ban(
    now: number,
    a: Assessment,
    s: SecondSample,
    slowSources: SignatureItem[],
    state: DetectorState | null,
    h2Sources: SignatureItem[],
    out: MitigationAction[],
  ): void {
    const id = this.incidentId;
    // First: the HTTP/2 abuser's requests (rapid reset) also make it a heavy hitter; its ban names the cause.
    if (a.vectors.some((v) => v.vector === 'h2_abuse')) {
      // One session closed at the glitch cap is already far past anything a browser does.
      const why = (h: SignatureItem) =>
        `${h.count} HTTP/2 session(s) closed with GOAWAY for abuse in 10s during incident ${id}`;
      this.bans.heavy(now, h2Sources, s, 'ban/auto-h2', why, state, out);
    }
    const floodWhy = (h: SignatureItem) =>
      `${h.count} requests/s (${Math.round(h.share * 100)}% of ${s.requests}/s) during incident ${id}; ban_min_rps is ${this.cfg.banMinRps}`;
    this.bans.heavy(now, a.heavy, s, 'ban/auto-flood', floodWhy, state, out);
    if (a.enumeration !== null) this.bans.walkers(now, a.enumeration.walkers, state, out);
    if (a.vectors.some((v) => v.vector === 'slow_connections')) {
      const why = (h: SignatureItem) =>
        `${h.count} connections closed by header/body deadlines in 10s during incident ${id}`;
      const slow = slowSources.filter((x) => x.count >= 3);
      this.bans.heavy(now, slow, s, 'ban/auto-slow', why, state, out);
    }
  }

  /** The first actions: the cookie check, the signature, and a limit on the surge's new clients when they bring the excess. */
  private open(now: number, a: Assessment, s: SecondSample, b: Baselines, out: MitigationAction[]): void {
    const since = this.surge.since;
    const cookieless = pctOf(s.clients.fresh + s.clients.ignored, s.requests);
    this.add(out, 1, now, {
      action: 'check',
      rule: 'mitigate/check-cookie',
      match: match({ cookieless: true, newSince: since }),
      rate: 0,
      reason: `attack started: cookie check for clients first seen since ${new Date(since).toISOString()} that do not return the seen cookie (${cookieless} of ${s.requests}/s came without it)`,
      figures: figuresOf(a, s, b, 1),
    });
    if (this.levels.newClients) {
      const share = Math.round(this.surge.newShare * 100);
      this.add(out, 1, now, {
        action: 'limit',
        rule: 'mitigate/limit-new',
        match: match({ newSince: this.surge.peopleSince ?? since }),
        rate: NEW_CLIENT_RATE,
        burst: NEW_CLIENT_BURST,
        reason: `attack started: ${share}% of ${s.requests}/s from clients first seen since the surge began; each limited to a person's pace (${NEW_CLIENT_RATE}/s, bursts of ${NEW_CLIENT_BURST})`,
        figures: { ...figuresOf(a, s, b, 1), newShare: Math.round(this.surge.newShare * 100) / 100 },
      });
    }
    const sig = this.levels.build(1, now, a, s, b, 'attack started');
    if (sig !== null) this.put(out, 1, sig);
    this.apriori(now, a, s, b, out);
    this.level = 1;
    this.changedAt = now;
    this.load.reset();
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

  /** Random query names, moved cookie jars (mitigation-apriori.ts): each its own challenge from the first second it shows. */
  private apriori(now: number, a: Assessment, s: SecondSample, b: Baselines, out: MitigationAction[]): void {
    const { newClients, peopleSince } = this.levels;
    const scope = { incidentId: this.incidentId, ttl: this.cfg.mitigationTtl, newClients, peopleSince };
    for (const m of aprioriMitigations({ ...scope, level: this.level, active: this.active }, now, a, s, b))
      this.put(out, Math.max(1, this.level), m);
  }

  /** The attack changed its signature (mitigation-triggers.ts uncovered): a level-1 mitigation of its own, not a widening. */
  private newSignature(now: number, a: Assessment, s: SecondSample, b: Baselines, out: MitigationAction[]): boolean {
    if (!uncovered(a, this.active.values()) || this.active.size >= MAX_SIGNATURE_MITIGATIONS) return false;
    const m = this.levels.build(1, now, a, s, b, 'the attack changed its signature');
    if (m === null) return false;
    this.put(out, 1, { ...m, id: `${m.id}-${++this.seq}` });
    return true;
  }

  /** Adds the first buildable level from `from` on (route classes → the surge's new clients → everyone unverified). */
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
      const m = this.levels.build(next, now, a, s, b, why);
      if (m === null) continue;
      // A widening that reaches the clients known before the surge (no "new since") needs the origin hurting
      // (1.5× alone: a cache emptied by a restart), held for widen_after, not falling (no backlog draining).
      const held = hurting(a, s, b, this.cfg.minRatio) && this.load.sustained(this.cfg.widenAfter / 1000, s.forwarded);
      if (!(m.match.newSince !== undefined && m.match.newSince > 0) && !held) continue;
      this.level = next;
      this.changedAt = now;
      this.load.reset();
      this.put(out, next, m);
      return;
    }
  }
}
