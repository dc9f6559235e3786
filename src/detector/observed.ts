// The request fields the detector reads (RequestContext fits; tests build
// plain objects), and how observe() buckets them: route class and rule family
// indexes, first-seen age buckets, form posts. Not the counting (window.ts).
// Per request: O(1), no allocation (a rule's family is cached; rule names are
// compile-time constants, ≤ 1024 kept).
import { FAMILIES } from './events.js';

/** The request fields the detector reads (RequestContext fits; tests build plain objects). */
export interface Observed {
  clientKey: number;
  clientIp: string;
  prefixKey: number;
  fingerprint: number;
  path: string;
  query: string;
  routeClass: string;
  status: number;
  originMs: number;
  verified: boolean;
  /** Against the seen cookie: 0 returned it, 1 first request (fresh), 2 the client drops it, 3 other (core/model CLIENT_*). */
  clientState: number;
  /** When the client was first seen, ms since the epoch (identity: the seen cookie or the client book). */
  seenAt: number;
  /** The User-Agent claims a browser. */
  browser: boolean;
  /** Its seen cookie says it loaded a page's assets (identity's assets mark). */
  personLike?: boolean;
  /** Requests in a row this client sent without the cookie it was given (identity's client book). */
  cookieMisses: number;
  /** It carried a genuine seen cookie issued to a User-Agent of another shape (identity's cookieMoved). */
  cookieMoved?: boolean;
  /** It waited in the admission queue (the origin was at its concurrency limit). */
  queued?: boolean;
  method: string;
  verdict: { readonly rule: string; readonly action: string };
  req: { headers: { 'user-agent'?: string | undefined; 'content-type'?: string | undefined } };
  /** User-agent family after the browser check; `spoofed` when the TLS/HTTP2 stack contradicts a browser claim. */
  agent?: string;
  /** The connection's TLS/HTTP2 fingerprint key (0: none) and its label. */
  clientFp?: number;
  transport?: { readonly label: string } | null;
}

/**
 * Requests by how long before the open second their client was first seen:
 * buckets 0..15 are that many seconds, 16 is 16–63 s, 17 is a minute or more.
 * "How much of this second comes from clients first seen since the surge
 * began" is a sum over the first buckets.
 */
export const AGE_BUCKETS = 18;

/** The AGE_BUCKETS bucket of a client first seen `ageS` seconds before the open second. */
export function ageBucket(ageS: number): number {
  return ageS < 16 ? Math.max(ageS, 0) : ageS < 64 ? 16 : 17;
}

/** A route class's index in ROUTE_CLASSES (events.ts); 6 (`other`) for any other name. */
export function classIndex(c: string): number {
  switch (c) {
    case 'static':
      return 0;
    case 'page':
      return 1;
    case 'api':
      return 2;
    case 'login':
      return 3;
    case 'donate':
      return 4;
    case 'sensitive':
      return 5;
    default:
      return 6;
  }
}

/** Families whose answers are not refusals (cache), and whose redirects repeat a request (challenge: the cookie check). */
export const CACHE_FAMILY = FAMILIES.indexOf('cache');
export const CHALLENGE_FAMILY = FAMILIES.indexOf('challenge');
const familyCache = new Map<string, number>();
/** A verdict rule's family (the part before the slash) as an index in FAMILIES; unknown families count as the last. */
export function familyIndex(rule: string): number {
  let i = familyCache.get(rule);
  if (i !== undefined) return i;
  const slash = rule.indexOf('/');
  const fam = slash > 0 ? rule.slice(0, slash) : rule;
  i = FAMILIES.indexOf(fam as (typeof FAMILIES)[number]);
  if (i < 0) i = FAMILIES.length - 1;
  if (familyCache.size < 1024) familyCache.set(rule, i); // rule names are compile-time constants; bounded anyway
  return i;
}

/** A browser's form post: urlencoded or multipart (an API's JSON posts are not forms). */
export function isFormPost(type: string | undefined): boolean {
  return (
    type !== undefined &&
    (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data'))
  );
}

/**
 * A check answered in place of the request, which a browser sends again a moment later with the seen
 * cookie: the cookie check's 307, or the assets check a page's first request gets with the cookie
 * (src/challenge/stage.ts). `fam`: the verdict's family index.
 */
export function isRecheck(c: Observed, fam: number): boolean {
  if (fam !== CHALLENGE_FAMILY) return false;
  return c.status === 307 || (c.status === 403 && c.clientState !== 0 && c.verdict.rule === 'challenge/mark');
}
