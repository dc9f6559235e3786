// What each level of an incident's mitigation matches, narrowest first:
// (1) the attack's signature (fingerprint or path: a limit or a challenge),
// (2) the attacked route classes, (3) the surge's new clients, (4) every
// unverified client. Levels 2–3 spare the clients known before the surge.
// Not when to widen (mitigate.ts), nor the a-priori challenges of any level
// (mitigation-apriori.ts). Pure but for the result; runs at most a
// few times a second during an incident.
import type { DetectorConfig } from '../config/schema/detector.js';
import type { Mitigation } from '../core/model.js';
import { BROWSER_FAMILIES } from '../core/ua-family.js';
import type { Assessment } from './assess.js';
import type { Baselines } from './baseline.js';
import type { SecondSample, SignatureItem } from './events.js';
import { templatePrefix } from './templates.js';

/** The surge this incident answers: when it began, and how much of its traffic came from clients first seen since. */
export interface Surge {
  /** When the surge began, for the cookie check (cookieless clients). */
  since: number;
  /** …for what reaches clients returning the seen cookie (limits, challenges of new clients); `since` when absent. */
  peopleSince?: number;
  /** Share of the first anomalous second's requests from clients first seen since `since`. */
  newShare: number;
  /**
   * The detector had watched for less than 30 s when the surge began (a first start, a restart,
   * started into it): too little to know people by "first seen before", so the challenges of new
   * clients also spare those whose seen cookie says they loaded a page's assets.
   */
  young?: boolean;
}

/** The highest level: every unverified client is challenged (the mode goes to under_attack). */
export const TOP_LEVEL = 4;
/** New clients bringing at least this share of an attack second make "new clients" a signature of its own. */
export const NEW_SHARE = 0.5;

type Match = Mitigation['match'];
/** The fields every level's mitigation shares. */
type LevelBase = Pick<Mitigation, 'createdAt' | 'until' | 'id'>;

export const round1 = (x: number) => Math.round(x * 10) / 10;

export const pctOf = (x: number, n: number) => `${Math.round((100 * x) / Math.max(1, n))}%`;

/** A mitigation's match: the lists given (empty otherwise), unverified clients only. */
export function match(m: Partial<Match>): Match {
  const out: { -readonly [K in keyof Match]: Match[K] } = {
    prefixKeys: m.prefixKeys ?? [],
    fingerprints: m.fingerprints ?? [],
    routeClasses: m.routeClasses ?? [],
    paths: m.paths ?? [],
    unverifiedOnly: true,
  };
  if (m.newSince !== undefined && m.newSince > 0) {
    out.newSince = m.newSince;
    if (m.sparesPersons === true) out.sparesPersons = true;
  }
  if (m.cookieless) out.cookieless = true;
  if (m.novelNames) out.novelNames = true;
  if (m.moved) out.moved = true;
  return out;
}

/** The figures every mitigation of `level` carries. */
export function figuresOf(a: Assessment, s: SecondSample, b: Baselines, level: number): Record<string, number> {
  return {
    rps: s.requests,
    baselineRps: round1(b.rps.mean),
    sources: s.sources,
    forwarded: s.forwarded,
    score: a.score,
    level,
  };
}

/** Crowd walks one incident answers with a challenge at most (as many as signature mitigations). */
const MAX_WALK_CHALLENGES = 10;

/**
 * The challenges of templates walked by a crowd (crowd-walk.ts) not answered yet in this incident (`walked`
 * remembers them): there is no source to ban, so requests under a template's prefix from clients first seen
 * since the surge are challenged, unless they loaded a page's assets (a person reading a record the site
 * linked to).
 */
export function walkChallenges(
  walked: Set<string>,
  incidentId: string,
  a: Assessment,
  since: number,
  now: number,
  ttl: number,
): Mitigation[] {
  const out: Mitigation[] = [];
  const f = a.enumeration?.figures ?? {};
  for (const label of a.enumeration?.crowd ?? []) {
    if (walked.has(label) || walked.size >= MAX_WALK_CHALLENGES) continue;
    walked.add(label);
    const prefix = templatePrefix(label);
    out.push({
      id: `${incidentId}-challenge-walk-${walked.size}`,
      action: 'challenge',
      rule: 'mitigate/challenge-walk',
      match: match({ paths: [prefix], newSince: since, sparesPersons: true }),
      rate: 0,
      reason: `the identifiers of ${label} are walked in sequence across clients (${f.crowdFresh ?? 0} not asked lately within 5 s, ${f.crowdNear ?? 0} of them next to one asked just before): clients first seen since the surge that loaded no page's assets are challenged on ${prefix}`,
      figures: { crowdFresh: f.crowdFresh ?? 0, crowdNear: f.crowdNear ?? 0 },
      createdAt: now,
      until: now + ttl,
    });
  }
  return out;
}

/** Builds the mitigation of a level for one incident. */
export class MitigationLevels {
  private readonly cfg: DetectorConfig;
  private readonly incidentId: string;
  private readonly surge: Surge;

  constructor(cfg: DetectorConfig, incidentId: string, surge: Surge) {
    this.cfg = cfg;
    this.incidentId = incidentId;
    this.surge = surge;
  }

  /** New clients bring the excess: they are a signature of their own. */
  get newClients(): boolean {
    return this.surge.newShare >= NEW_SHARE;
  }

  /** A young detector's challenges of new clients spare those that loaded a page's assets (Surge.young). */
  get young(): boolean {
    return this.surge.young === true;
  }

  /** When the surge began for what reaches clients returning the seen cookie. */
  get peopleSince(): number {
    return this.surge.peopleSince ?? this.surge.since;
  }

  /** The mitigation of `level` for this second, or null when that level has nothing to match. */
  build(level: number, now: number, a: Assessment, s: SecondSample, b: Baselines, why: string): Mitigation | null {
    const figures = figuresOf(a, s, b, level);
    const base = { createdAt: now, until: now + this.cfg.mitigationTtl, id: `${this.incidentId}-l${level}` };
    // Past the signature, the surge's new clients are challenged before anyone known is.
    const since = level >= 2 && level < TOP_LEVEL && this.newClients ? this.peopleSince : 0;
    const who =
      since > 0
        ? `unverified clients first seen since the surge began${this.young ? ", except those that loaded a page's assets" : ''}`
        : 'unverified clients';
    if (level === 1) return this.signature(base, a, s, why, figures);
    if (level === 2) {
      if (a.attackedClasses.length === 0) return null;
      for (const c of a.signature.routeClasses)
        if (a.attackedClasses.includes(c.name)) figures[`${c.name}Share`] = c.share;
      const reason = `${why}: challenge ${who} on route class ${a.attackedClasses.join(', ')}`;
      const routes = match({ routeClasses: [...a.attackedClasses], newSince: since, sparesPersons: this.young });
      return {
        ...base,
        action: 'challenge',
        rule: 'mitigate/challenge-route',
        match: routes,
        rate: 0,
        reason,
        figures,
      };
    }
    if (level === 3) {
      if (since === 0) return null;
      const reason = `${why}: challenge ${who}`;
      const fresh = match({ newSince: since, sparesPersons: this.young });
      return { ...base, action: 'challenge', rule: 'mitigate/challenge-new', match: fresh, rate: 0, reason, figures };
    }
    // A young detector knows people only by the assets mark: even its top level spares them (and anyone seen before it began).
    if (this.young) {
      const reason = `${why}: challenge every unverified client except those that loaded a page's assets`;
      const all = match({ newSince: this.peopleSince, sparesPersons: true });
      return { ...base, action: 'challenge', rule: 'mitigate/challenge-all', match: all, rate: 0, reason, figures };
    }
    const reason = `${why}: challenge every unverified client`;
    return { ...base, action: 'challenge', rule: 'mitigate/challenge-all', match: match({}), rate: 0, reason, figures };
  }

  /**
   * Level 1: every over-represented fingerprint (the signature already requires min_lift: floods often
   * rotate a few user agents) and the paths with a fifth of the traffic (narrowing a browser's fingerprint
   * only: a tool's is matched on every path); limited when each client sends
   * more than the limit allows, else challenged (a fingerprint's; a path alone is visited by people too).
   */
  private signature(
    base: LevelBase,
    a: Assessment,
    s: SecondSample,
    why: string,
    figures: Record<string, number>,
  ): Mitigation | null {
    const sig = a.signature;
    const fps = sig.fingerprints.filter((x) => x.suspicious === true && x.share >= 0.05);
    // Mitigation paths are prefixes: "/" would match every path, so it never narrows anything.
    // Never the challenge's own endpoints (/.rampart/…): challenging them would lock everyone out.
    const paths = sig.paths.filter(
      (x) => x.share >= 0.2 && x.label !== '/' && x.label !== '' && !x.label.startsWith('/.rampart/'),
    );
    if (fps.length === 0 && paths.length === 0) return null;
    // A path, or a browser's fingerprint, is shared with people. A tool's fingerprint is nobody's browser:
    // narrowing it to the paths it hits most would let the same tool through on its other paths (a
    // flood's "/?random" third, when "/" is never a prefix).
    const people = fps.length === 0 || fps.some((f) => BROWSER_FAMILIES.has(f.family ?? ''));
    const narrowed = people ? paths : [];
    const covered = fps.length > 0 ? fps.reduce((x, f) => x + f.count, 0) : paths.reduce((x, p) => x + p.count, 0);
    const perSource = covered / Math.max(1, s.sources);
    for (let i = 0; i < fps.length; i++) figures[`fingerprintShare${i}`] = fps[i].share;
    for (let i = 0; i < narrowed.length; i++) figures[`pathShare${i}`] = narrowed[i].share;
    figures.perSourceRps = Math.round(perSource * 100) / 100;
    // A per-client limit only helps when each client sends more than it allows.
    const limit = perSource > 2 * this.cfg.signatureRate;
    // A path alone is visited by people too: not the proof of work at once (the cookie check and the
    // limit on new clients come first; widening challenges if the origin stays loaded).
    if (fps.length === 0 && !limit) return null;
    const rule = limit ? 'mitigate/limit-signature' : 'mitigate/challenge-signature';
    const answer = limit ? `limit to ${this.cfg.signatureRate}/s per client` : 'challenge unverified clients';
    const reason = `${why}: ${answer} matching ${describeSignature(fps, narrowed)}`;
    // A signature shared with people spares the clients known before the surge when the surge's new ones bring
    // it, or when the detector is young: its "0 % normally" is no baseline at all, no evidence against the
    // people it saw browsing before the surge (held-out s98-3: a restart, a Safari share of 10 %).
    const newSince = people && (this.newClients || this.young) ? this.peopleSince : 0;
    return {
      ...base,
      action: limit ? 'limit' : 'challenge',
      rule,
      match: match({
        fingerprints: fps.map((f) => f.key),
        paths: narrowed.map((p) => p.label),
        newSince,
        sparesPersons: this.young,
      }),
      rate: limit ? this.cfg.signatureRate : 0,
      reason,
      figures,
    };
  }
}

/** The signature in words: its fingerprints against their usual share, and its paths with their lift. */
function describeSignature(fps: readonly SignatureItem[], paths: readonly SignatureItem[]): string {
  const shares = fps.map(
    (f) => `${Math.round(f.share * 100)}% vs ${Math.round(f.baselineShare * 1000) / 10}% normally`,
  );
  const what = [
    fps.length ? `fingerprint ${fps.map((f) => f.label).join(', ')} (${shares.join(', ')})` : '',
    paths.length ? `path ${paths.map((p) => `${p.label} (${Math.round(p.share * 100)}%, ×${p.lift})`).join(', ')}` : '',
  ];
  return what.filter(Boolean).join(' and ');
}
