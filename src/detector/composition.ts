// Composition tests: what changed in the mix of one second, beyond its volume.
// Some compare with a learned share (a route class over-represented, the
// static-asset share collapsing, more first requests than usual); others have
// a normal value known in advance (Wang, Zhang & Shin's change-point idea):
// a browser returns the cookie it was given, a person does not send 20
// requests a second, a flood tool is not a browser. Those `apriori` tests
// work from the first second — before any baseline, after a restart, with an
// attack already under way — and keep such seconds out of the baseline.
// Pure; once a second.
import type { DetectorConfig } from '../config/schema/detector.js';
import { BROWSER_FAMILIES } from '../core/ua-family.js';
import type { Baselines } from './baseline.js';
import type { SecondSample, Signature } from './events.js';
import { r2 } from './signature.js';
import type { SecondWindow } from './window.js';

export interface Composition {
  /** Names of the tests that fired, with their figures. */
  tests: Record<string, number>;
  /** Of those, the ones judged against values known in advance (no baseline needed). */
  apriori: string[];
  /**
   * Clients behaving unlike people, never a site's normal: browser-claiming
   * clients dropping the cookie they were given, almost nothing but their
   * first requests, coming back to the cookie check without its cookie, or
   * posting a form as their very first request (an API's clients ignore
   * cookies too, but they do not claim to be browsers or post forms),
   * sending query parameter names nobody sent in the last 10 s, or asking
   * for distinct paths that do not exist.
   */
  unlike: boolean;
  /**
   * How far this second went toward needing no streak: the largest share of its one-second count that
   * a firing test reached (≥ 1: a crowd posting forms it never loaded, in one second). Summed over a
   * run of such seconds (assess.ts): a crowd just under the count for two seconds has given as much.
   */
  weight: number;
  /**
   * The weight of this second's novel query names (novelNames / (2 × min_rps)), counted only when the
   * second before was unlike people too (assess.ts): at a start every name of the site is new for a
   * second, and a newsletter's `utm_` names for the second its readers arrive in; a tool's stay new.
   */
  novelWeight: number;
}

/** A second whose requests mostly come from clients that drop the cookie they were given. */
export const IGNORED_SHARE = 0.4;
/** A second almost entirely of first requests (no client came back with its cookie). */
export const FRESH_FLOOD_SHARE = 0.85;
/** A second where this share of the requests carry a seen cookie given to a User-Agent of another shape. */
export const MOVED_SHARE = 0.2;
/** A second where this share of the requests with a query carry parameter names not seen in the last 10–20 s. */
export const NOVEL_NAMES_SHARE = 0.25;
/** A second where this share of the requests are form posts sent as their client's first request. */
export const FORM_FIRST_SHARE = 0.2;
/** A second where this share of the requests came back to the cookie check without its cookie. */
export const CHECK_IGNORED_SHARE = 0.2;
/** Below this share of the cookie checks followed (the cookie back from a client first seen in the last 2 s), a second's checks went to tools. */
export const CHECK_FOLLOWED_SHARE = 0.2;
/** A second where this share of the requests comes from tools the site does not usually see. */
export const TOOL_SHARE = 0.3;
/** A second where this share of the requests was answered 404 or 410 by the origin (notFoundCrowd)… */
export const NOT_FOUND_SHARE = 0.3;
/** …on paths at least this unique (distinct over counted), and 25 points above the learned uniqueness. */
export const NOT_FOUND_UNIQUENESS = 0.5;
/** Learned seconds with traffic before a second of first requests means anything (at a first start every client is new). */
export const FRESH_FLOOD_AFTER_S = 60;

const learnedMean = (e: { n: number; mean: number }, prior: number) => (e.n > 0 ? e.mean : prior);
/** How far `count` of one second goes toward the count that needs no streak: 2 × min_rps (4 × the floor). */
const towardNoStreak = (count: number, floor: number) => count / (4 * floor);
/** The second's paths at least 25 points more unique than learned (than 0 before anything was). */
const pathsNewlyUnique = (s: SecondSample, b: Baselines) => s.pathUniqueness - learnedMean(b.pathUniq, 0) >= 0.25;

export function compositionOf(
  s: SecondSample,
  w: SecondWindow,
  b: Baselines,
  sig: Signature,
  heavyShare: number,
  cfg: DetectorConfig,
): Composition {
  const c: Record<string, number> = {};
  const apriori: string[] = [];
  const fire = (name: string, value: number, known: boolean) => {
    c[name] = r2(value);
    if (known) apriori.push(name);
  };
  const n = s.requests;
  if (n === 0) return { tests: c, apriori, unlike: false, weight: 0, novelWeight: 0 };
  if (heavyShare >= 0.2) fire('heavySourceShare', heavyShare, true);
  // Absolute floors as well as shares: at a few requests per second a handful of
  // synchronised visitors (one fingerprint, one form) swing every share.
  const floor = cfg.minRps / 2;
  // Lifts need a baseline with enough requests behind its shares (not idle seconds or the
  // first few visitors); without one only a tool's fingerprint counts (signature.ts).
  const supported = b.sharesSupported();
  toolTests(sig, floor, fire);
  shapeTests(s, w, b, sig, cfg, supported, fire);
  // Query parameter names not seen in the last 10–20 s (window.ts): a site's links and forms repeat
  // theirs; the random names of a cache-busting tool (`?x8fj2`, HULK's `?kQzPa=…`) never repeat.
  const novel = s.novelNames;
  let novelWeight = 0;
  if (novel >= floor && novel / Math.max(1, w.withQuery) >= NOVEL_NAMES_SHARE) {
    fire('novelNames', novel / w.withQuery, true);
    novelWeight = towardNoStreak(novel, floor);
  }
  const weight = Math.max(cookieTests(s, b, floor, fire), notFoundTest(s, b, floor, fire));
  return {
    tests: c,
    apriori,
    weight,
    novelWeight,
    unlike:
      c.ignoredShare !== undefined ||
      c.freshFlood !== undefined ||
      c.checkIgnored !== undefined ||
      c.checkUnfollowed !== undefined ||
      c.formFirst !== undefined ||
      c.cookieMoved !== undefined ||
      c.novelNames !== undefined ||
      c.notFoundCrowd !== undefined,
  };
}

/**
 * Paths that do not exist, each asked for once or twice: random paths, a scanner's list, a walk through
 * identifiers that are not there. People meet a 404 now and then, and a newsletter's broken link is one
 * path its readers all ask for; a crowd of distinct missing paths is nobody's browsing, however well it
 * copies a browser and keeps its cookies. Judged a priori (the paths' uniqueness 25 points above what was
 * learned, when anything was); at 2 × min_rps of them in one second no streak is needed.
 */
function notFoundTest(s: SecondSample, b: Baselines, floor: number, fire: Fire): number {
  const nf = s.notFound ?? 0;
  if (nf < floor || nf / s.requests < NOT_FOUND_SHARE) return 0;
  if (s.pathUniqueness < NOT_FOUND_UNIQUENESS || !pathsNewlyUnique(s, b)) return 0;
  fire('notFoundCrowd', nf / s.requests, true);
  return towardNoStreak(nf, floor);
}

type Fire = (name: string, value: number, known: boolean) => void;

/** One tool's fingerprint lifted, or tools this site does not usually see taken together. */
function toolTests(sig: Signature, floor: number, fire: Fire): void {
  const fp = sig.fingerprints.find((f) => f.suspicious);
  if (fp && fp.share >= 0.3 && fp.count >= floor)
    fire('fingerprintLift', fp.lift, fp.family !== undefined && !BROWSER_FAMILIES.has(fp.family));
  // Tools taken together: a flood tool rotating its User-Agent (curl, python, go…) splits its share
  // among fingerprints none of which is a third of the second. Only tools this site does not usually
  // see count (each over min_lift against its learned share: an API's regular clients are learned).
  let toolShare = 0;
  let toolCount = 0;
  for (const f of sig.fingerprints) {
    if (f.suspicious && f.family !== undefined && !BROWSER_FAMILIES.has(f.family)) {
      toolShare += f.share;
      toolCount += f.count;
    }
  }
  if (toolShare >= TOOL_SHARE && toolCount >= floor) fire('toolShare', toolShare, true);
}

/** The second's shape against the learned one: route class, queries, per-source rate, paths, assets, 4xx. */
function shapeTests(
  s: SecondSample,
  w: SecondWindow,
  b: Baselines,
  sig: Signature,
  cfg: DetectorConfig,
  supported: boolean,
  fire: Fire,
): void {
  const n = s.requests;
  // Static assets never count: new visitors (a newsletter) load them, returning ones have them cached, and a cache answers them.
  const cls = sig.routeClasses.find((x) => x.name !== 'static');
  if (supported && cls && cls.share >= 0.25 && cls.lift >= cfg.minLift && cls.share * n >= cfg.minRps)
    fire('routeClassLift', cls.lift, false);
  const qShare = w.withQuery / n;
  const baseUniq = learnedMean(b.queryUniq, 0);
  if (qShare >= 0.3 && w.withQuery >= 10 && s.queryUniqueness >= 0.8 && s.queryUniqueness - baseUniq >= 0.3)
    fire('queryUniqueness', s.queryUniqueness, false);
  const perSource = n / Math.max(1, s.sources);
  // A page view with its assets is a burst of 5–30 requests from one browser: only well above that counts.
  if (b.perSource.n > 0 ? perSource >= 10 && perSource >= 3 * b.perSource.mean : perSource >= 20 && n >= cfg.minRps)
    fire('perSourceRate', perSource, b.perSource.n === 0);
  if (n >= 20 && s.pathUniqueness >= 0.7 && pathsNewlyUnique(s, b)) fire('pathUniqueness', s.pathUniqueness, false);
  // Floods ask for pages, not the assets that come with them: the static share collapses (a newsletter's readers keep it).
  const baseStatic = learnedMean(b.classShare[0], 0);
  const staticShare = w.classes[0] / n;
  if (n >= 2 * cfg.minRps && baseStatic >= 0.2 && staticShare <= 0.65 * baseStatic)
    fire('staticShareDrop', staticShare / baseStatic, false);
  const s4 = s.status.s4xx / n;
  if (s4 >= 0.3 && s4 - learnedMean(b.share4xx, 0) >= 0.2) fire('share4xx', s4, b.share4xx.n === 0);
}

/**
 * The seen cookie (src/identity/seen-cookie.ts): a browser sends it back from
 * its second request on. Clients that claim to be browsers and keep coming
 * without it drop cookies, as flood tools do; a second of almost nothing but
 * browsers' first requests is a crowd that never comes back with it (a
 * newsletter's readers load the page's assets with it a moment later). Both
 * are judged a priori, on browser-claiming requests only: an API's or a feed
 * reader's clients ignore cookies as a matter of course. Against the learned
 * share, every client counts: many more requests without the cookie than usual.
 */
function cookieTests(
  s: SecondSample,
  b: Baselines,
  floor: number,
  fire: (name: string, value: number, known: boolean) => void,
): number {
  let weight = 0;
  const n = s.requests;
  const { fresh, ignored, browserFresh, browserIgnored } = s.clients;
  const ign = browserIgnored / n;
  if (ign >= IGNORED_SHARE && browserIgnored >= floor && ign - learnedMean(b.ignoredShare, 0) >= 0.3) {
    fire('ignoredShare', ign, true);
    // Most of a second from browsers dropping their cookie, at twice min_rps: no streak needed.
    if (ign >= 0.5) weight = Math.max(weight, towardNoStreak(browserIgnored, floor));
  }
  // Right after a first start every client is new: only a detector that has watched the site for a
  // while (learned seconds, kept across restarts) can tell a crowd that never comes back.
  if (b.learned >= FRESH_FLOOD_AFTER_S && browserFresh / n >= FRESH_FLOOD_SHARE && browserFresh >= 2 * floor)
    fire('freshFlood', browserFresh / n, true);
  // Clients the cookie check answered, coming back again and again without the cookie it gave them:
  // a site's clients never meet the check unless a crowd of new ones tripped it, and people pass it.
  const { checkIgnored } = s.clients;
  if (checkIgnored >= floor && checkIgnored / n >= CHECK_IGNORED_SHARE) fire('checkIgnored', checkIgnored / n, true);
  // Cookie checks nobody follows: a browser follows the 307 at once and comes back with the cookie
  // (a new client's request with it, in the same second or the next); a crowd of tools claiming to be
  // browsers does not. No waiting for a client's next request (a low-and-slow crowd's comes 15 s later).
  const { checked, checkFollowed } = s.clients;
  if (checked >= floor && checkFollowed < CHECK_FOLLOWED_SHARE * checked) {
    fire('checkUnfollowed', 1 - checkFollowed / checked, true);
    weight = Math.max(weight, towardNoStreak(checked, floor));
  }
  // Cookies under another User-Agent: one cookie jar behind rotating User-Agents. A person's browser
  // keeps its User-Agent's shape (an update changes digits only), and one that switches (a "desktop site"
  // toggle) gets a cookie for its new one on its first answer: one request, not a crowd's every second.
  const { moved } = s.clients;
  if (moved >= floor && moved / n >= MOVED_SHARE) {
    fire('cookieMoved', moved / n, true);
    // No person sends these at all: at 2 × min_rps of them in one second no streak is needed.
    weight = Math.max(weight, towardNoStreak(moved, floor));
  }
  // Form posts as a client's very first request: a person loads the form before sending it.
  const { formFresh } = s.clients;
  if (formFresh >= floor && formFresh / n >= FORM_FIRST_SHARE) {
    fire('formFirst', formFresh / n, true);
    // A crowd's first requests come once: at min_rps of them in one second no streak is needed (a cold
    // start's people mid-session post a few forms a second, not dozens).
    weight = Math.max(weight, formFresh / (2 * floor));
  }
  const noCookie = (fresh + ignored) / n;
  if (b.noCookieShare.n >= 5 && noCookie >= 0.6 && noCookie - b.noCookieShare.mean >= 0.3 && fresh + ignored >= floor)
    fire('noCookieShare', noCookie, false);
  return weight;
}
