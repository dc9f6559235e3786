// The facts about an attack second that steer its incident's mitigation:
// answered by bans alone, the origin still loaded past its learned rate, the
// surge's new clients keeping their cookies (so the cookie check cannot stop
// them), a signature no active mitigation covers. Not the actions themselves
// (mitigate.ts). Pure; once a second.
import type { Mitigation } from '../core/model.js';
import type { Assessment } from './assess.js';
import type { Baselines } from './baseline.js';
import type { SecondSample } from './events.js';

/** Heavy sources, slow connections, HTTP/2 abuse and identifier walks found by the template watch are answered by bans alone. */
export function answeredByBans(a: Assessment): boolean {
  return a.vectors.every(
    (v) =>
      v.vector === 'single_source_flood' ||
      v.vector === 'slow_connections' ||
      v.vector === 'h2_abuse' ||
      (v.vector === 'enumeration' && v.templates !== undefined),
  );
}

/** At least this share of the new clients' requests carry the seen cookie: they keep it. */
const KEEPS_COOKIES = 0.3;

/**
 * The second's new clients (first seen in the last 15 s) came back with the
 * seen cookie: at least 30 % of their requests carry it, counting every old
 * client's request as one with the cookie (a lower bound for the new ones).
 * A client that follows the cookie check sends one request without it and
 * one with it; one that drops cookies never sends it.
 */
export function keepsCookies(s: SecondSample): boolean {
  const n = s.requests;
  const recent = s.clients.recent;
  return recent >= 0.5 * n && s.clients.cookie - (n - recent) >= KEEPS_COOKIES * recent;
}

/** Seconds of forwarded rate learned before "more than usual" means anything. */
const MIN_LEARNED_FORWARDED = 5;

/** Before the forwarded rate is learned, this many times its mean so far (and at least min_rps) is more than usual. */
const YOUNG_LOADED_RATIO = 10;

/**
 * The origin still gets more than it should: more forwarded requests than its
 * learned rate allows. Without a learned rate (a shield started into an
 * attack) nothing says what "more" is: only an origin in distress widens. With
 * a few seconds learned (a first start), ten times their mean and at least
 * `minRps` is: an attack that the origin absorbs (pulses, a crowd that keeps
 * its cookies) is still widened against.
 */
export function originLoaded(s: SecondSample, b: Baselines, a: Assessment, minRps: number): boolean {
  const f = b.forwarded;
  if (f.n < MIN_LEARNED_FORWARDED)
    return a.distress || (f.n > 0 && s.forwarded >= Math.max(minRps, YOUNG_LOADED_RATIO * f.mean));
  return s.forwarded > Math.max(f.mean * 1.5, f.mean + 3 * f.std, 5);
}

export const YOUNG_WHY =
  "a surge within 30 s of the detector's start: people are known only by their assets mark, so the surge's new clients are checked at once";

/**
 * The cookie check answers a form post with a 429 that a crowd retries with its cookie, and a browser's
 * fingerprint changes once it carries one, so the signature misses the retries: the attacked form routes
 * challenge the surge's new clients at once (the people known before the surge keep their posts).
 */
export const FORM_FIRST_WHY =
  "the surge's new clients post forms they never loaded: past the cookie check they come back with its cookie, so the attacked routes challenge them at once";

/**
 * The second's signature has a fingerprint (≥ 10 %) or, without one, a path (≥ 20 %) that no active
 * signature mitigation covers. The cookie check, the limit on new clients and the challenges of novel
 * query names and of moved cookie jars cover no signature; a mitigation with neither fingerprints nor
 * paths covers them all.
 */
export function uncovered(a: Assessment, active: Iterable<Mitigation>): boolean {
  const covered = new Set<string>();
  for (const m of active) {
    if (
      m.action === 'check' ||
      m.rule === 'mitigate/limit-new' ||
      m.match.novelNames === true ||
      m.match.moved === true
    )
      continue;
    for (const f of m.match.fingerprints) covered.add(`f${f}`);
    for (const p of m.match.paths) covered.add(`p${p}`);
    if (m.match.fingerprints.length === 0 && m.match.paths.length === 0) return false;
  }
  const sig = a.signature;
  return (
    sig.fingerprints.some((f) => f.suspicious === true && f.share >= 0.1 && !covered.has(`f${f.key}`)) ||
    (sig.fingerprints.length === 0 &&
      sig.paths.some(
        (p) => p.share >= 0.2 && p.label !== '/' && !p.label.startsWith('/.rampart/') && !covered.has(`p${p.label}`),
      ))
  );
}

/** The origin in distress, or `minRatio` × its usual forwarded rate (at least 5/s) still reaching it. */
export function hurting(a: Assessment, s: SecondSample, b: Baselines, minRatio: number): boolean {
  return a.distress || s.forwarded > minRatio * Math.max(b.forwarded.mean, 5);
}

/**
 * The origin's load since an incident's last action, second by second. The requests admitted before an
 * action still reach the origin for a few seconds after it (its backlog draining: the action works). A
 * widening that reaches the clients known before the surge — people without JavaScript cannot pass the
 * proof of work — waits for a run of loaded seconds since the action as long as widen_after whose load
 * is not falling (this second's forwarded at least FALLING_RATIO of the run's first), not one loaded second.
 */
export class LoadSince {
  private run = 0;
  private first = 0;

  /** An action was taken: its seconds start now. */
  reset(): void {
    this.run = 0;
  }

  /** One attack second after the action. */
  note(loaded: boolean, forwarded: number): void {
    if (!loaded) {
      this.run = 0;
      return;
    }
    if (this.run === 0) this.first = forwarded;
    this.run++;
  }

  /** Loaded for the last `seconds` seconds at least, and `forwarded` (this second's) not fallen off the run's first. */
  sustained(seconds: number, forwarded: number): boolean {
    return this.run >= seconds && forwarded >= FALLING_RATIO * this.first;
  }
}

/** A run of loaded seconds forwarding less than this share of its first second's is a load falling off (a backlog draining). */
const FALLING_RATIO = 0.8;
