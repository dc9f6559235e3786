// The identity stage: client address (trusted-proxy aware), its 32-bit keys,
// the request fingerprint, the forwarded protocol, with geo country/ASN; the
// user-agent family after the browser check against the connection's
// TLS/HTTP2 fingerprints (src/identity/transport.ts) and their key; and with
// the client book what Rampart knows of this client: when it was first seen
// (the seen cookie, else the book) and whether this request returned the
// cookie, is the client's first, or comes from a client that drops cookies.
// Synchronous, O(headers); geo adds one LRU probe (~20 ns), and a database
// lookup (~1 µs) only the first time a client key is seen (src/identity/geo.ts);
// the book two slot probes, the seen cookie one HMAC when present or issued.
import { compileCidrSet, type CidrSet } from '../core/cidr-set.js';
import { BROWSER_FAMILIES, followsPostRedirect, TOOL_FAMILIES, uaFamily } from '../core/ua-family.js';
import { clientKeyOf, prefixKeyOf } from '../core/ip.js';
import {
  CLIENT_COOKIE,
  COOKIE_MISS_LIMIT,
  CLIENT_FRESH,
  CLIENT_IGNORED,
  CLIENT_OTHER,
  type Req,
  type RequestContext,
  type Stage,
} from '../core/model.js';
import type { ClientBook } from './client-book.js';
import { clientIpOf } from './client-ip.js';
import { fingerprintOf } from './fingerprint.js';
import { checkedFamily } from './transport.js';
import type { Geo } from './geo.js';
import type { SeenCookie } from './seen-cookie.js';
import type { SurgeGuard } from './surge-guard.js';

export interface IdentityOptions {
  trustedProxies: readonly string[];
  /** Country/ASN lookup (src/identity/geo.ts); null or absent: ctx.country and ctx.asn stay empty. */
  geo?: Geo | null;
  /** The process's client book (survives reloads); null or absent: ctx.seenAt is this request's time, clientState CLIENT_OTHER. */
  book?: ClientBook | null;
  /** The seen cookie; null: none is read or set (the book still tells first requests from repeats). */
  seen?: SeenCookie | null;
  /** The surge guard (surge-guard.ts): new clients without the cookie get the cookie check while a crowd of them arrives; null: off. */
  surge?: SurgeGuard | null;
  /** Check browser claims against the request's headers and the connection's TLS/HTTP2 fingerprints (fingerprints.check_browser_claims). Default true. */
  checkClaims?: boolean;
}

export interface Identity extends Stage {
  readonly trusted: CidrSet;
  /** True when the TCP peer is a trusted proxy (its forwarding headers are believed). */
  peerTrusted(ctx: RequestContext): boolean;
}

class IdentityStage implements Identity {
  readonly name = 'identity';
  readonly trusted: CidrSet;
  private readonly geo: Geo | null;
  private readonly checkClaims: boolean;
  private readonly book: ClientBook | null;
  private readonly seen: SeenCookie | null;
  private readonly surge: SurgeGuard | null;

  constructor(opts: IdentityOptions) {
    this.trusted = compileCidrSet(opts.trustedProxies);
    this.geo = opts.geo ?? null;
    this.checkClaims = opts.checkClaims ?? true;
    this.book = opts.book ?? null;
    this.seen = opts.seen ?? null;
    this.surge = opts.surge ?? null;
  }

  /**
   * The seen cookie for this request's client, stamped with its first sight; `marked`: it loaded a page's
   * assets. A jar that moved between User-Agents (now, or its cookie says before) keeps the "r" of it.
   */
  private cookieFor(ctx: RequestContext, marked: boolean): string {
    return this.seen!.issue(
      ctx.prefixKey,
      ctx.req.headers['user-agent'],
      Math.floor(ctx.seenAt / 1000),
      ctx.proto === 'https',
      marked,
      ctx.cookieMoved,
    );
  }

  /** A cookie given to a client that returned none (the book notes it was sent), marked or not. */
  private give(ctx: RequestContext, marked: boolean): string {
    if (this.book !== null) this.book.issued(ctx.clientSlot, Math.floor(ctx.startedAt / 1000));
    return this.cookieFor(ctx, marked);
  }

  /** ctx.issueSeen: the Set-Cookie value, computed only when a response actually carries it. One arrow, made once. */
  private readonly issueSeen = (ctx: RequestContext): string => this.give(ctx, false);

  /** ctx.noteMarkCheck: the challenge stage sent this client the assets check. */
  private readonly noteMarkCheck = (ctx: RequestContext): void => this.book?.markChecked(ctx.clientSlot);

  /** ctx.issueSeen for a client that loaded a page's asset with its cookie: the same stamp, marked. */
  private readonly issueMarked = (ctx: RequestContext): string => this.cookieFor(ctx, true);

  /** ctx.issueSeen for a page's asset asked for without a cookie: a cookie given, marked. */
  private readonly issueAsset = (ctx: RequestContext): string => this.give(ctx, true);

  peerTrusted(ctx: RequestContext): boolean {
    return this.trusted.size > 0 && this.trusted.has(ctx.peerIp);
  }

  run(ctx: RequestContext): null {
    const hd = ctx.req.headers;
    const ip = clientIpOf(ctx.peerIp, hd['x-forwarded-for'], this.trusted);
    ctx.clientIp = ip;
    ctx.clientKey = clientKeyOf(ip);
    ctx.prefixKey = prefixKeyOf(ip);
    const claimed = uaFamily(hd['user-agent']);
    const t = ctx.transport;
    ctx.agent = this.checkClaims ? checkedFamily(headerClaim(claimed, hd), t) : claimed;
    // The claim is what matters for "behaves unlike a browser" (keeps no cookies): spoofed or not.
    ctx.browser = BROWSER_FAMILIES.has(claimed);
    ctx.clientFp = t === null ? 0 : t.key;
    ctx.fingerprint = fingerprintOf(ctx.req, ctx.agent);
    if (this.geo !== null) this.geo.fill(ctx);
    if (ip !== ctx.peerIp) {
      const p = hd['x-forwarded-proto'];
      if (p === 'https' || p === 'http') ctx.proto = p;
    }
    this.know(ctx);
    return null;
  }

  /** What the book and the seen cookie say of this client: ctx.seenAt, clientState, the cookie to offer. */
  private know(ctx: RequestContext): void {
    const book = this.book;
    if (book === null) {
      ctx.seenAt = ctx.startedAt;
      ctx.clientState = CLIENT_OTHER;
      return;
    }
    const nowS = Math.floor(ctx.startedAt / 1000);
    const e = book.visit(ctx.clientKey, nowS);
    const slot = e.slot;
    ctx.clientSlot = slot;
    let first = e.first;
    const seen = this.seen;
    const stamp =
      seen === null ? 0 : seen.read(ctx.req.headers.cookie, ctx.prefixKey, ctx.req.headers['user-agent'], nowS);
    if (stamp > 0) {
      book.returned(slot, stamp);
      if (stamp < first) first = stamp;
      ctx.clientState = CLIENT_COOKIE;
      // A cookie given after a move: the same jar, whatever User-Agent it shows now; loading a page's
      // assets makes it no person's browser (the mark is kept, and spares nothing).
      if (seen!.rotated) ctx.cookieMoved = true;
      if (seen!.marked) ctx.personLike = !ctx.cookieMoved;
      else if (isSubresource(ctx)) {
        ctx.issueSeen = this.issueMarked;
        ctx.offerSeen = true;
        ctx.markPending = !ctx.cookieMoved;
      } else if (ctx.method === 'GET' || ctx.method === 'HEAD') {
        ctx.markChecks = book.markChecks(slot);
        ctx.noteMarkCheck = this.noteMarkCheck;
      }
    } else {
      const misses = e.fresh ? 0 : book.missed(slot, nowS);
      ctx.clientState = e.fresh ? CLIENT_FRESH : misses > 0 ? CLIENT_IGNORED : CLIENT_OTHER;
      ctx.cookieMisses = misses;
      if (seen !== null) {
        // A genuine cookie under a User-Agent of another shape: a person's browser switched (a "desktop
        // site" toggle) gets one for its new User-Agent at once; a tool rotating User-Agents over one jar
        // shows it again and again (the detector's cookieMoved).
        ctx.cookieMoved = seen.moved;
        // The book knows addresses, not browsers: a second browser behind an address that was given the
        // cookie (a household, an office, a carrier's NAT) never got one, and its requests count as misses.
        // Its first answers offer it again, or the cookie check would refuse it outright at its third; a
        // tool that drops cookies gets it on its first COOKIE_MISS_LIMIT misses in a row, then once a minute.
        // A page's asset without the cookie: a browser whose page came without one (another browser behind
        // the address was given it, past the misses that offer it again). Its answer is what marks a cookie:
        // it carries one, marked, or the browser, its stylesheet cached, holds an unmarked one from its next
        // answer on and never earns the mark (a form post it cannot send through the assets check).
        const asset = !ctx.cookieMoved && isSubresource(ctx);
        ctx.issueSeen = asset ? this.issueAsset : this.issueSeen;
        ctx.offerSeen =
          asset || seen.moved || (misses > 0 && misses <= COOKIE_MISS_LIMIT) || book.shouldIssue(slot, nowS);
      }
    }
    ctx.seenAt = first * 1000;
    if (this.surge !== null) markSurge(this.surge, ctx);
  }
}

/**
 * Every browser sends Accept-Language with every request (pages, assets, fetches): a browser
 * User-Agent without it is a tool wearing one (flood tools copy the UA string, rarely the headers),
 * treated as `spoofed` like a claim the TLS/HTTP2 stack contradicts.
 */
export function headerClaim(claimed: string, hd: Req['headers']): string {
  return hd['accept-language'] === undefined && BROWSER_FAMILIES.has(claimed) ? 'spoofed' : claimed;
}

/** What a page loads beside it: styles, scripts, images, fonts. */
const ASSET = /\.(?:css|js|mjs|png|jpe?g|gif|svg|webp|avif|ico|woff2?|ttf)$/i;

/**
 * A GET for a page's asset: with the seen cookie, what a browser does after a page and most floods skip.
 * Its answer marks the cookie. (No Referer needed: a site's `Referrer-Policy: no-referrer` drops it.)
 */
function isSubresource(ctx: RequestContext): boolean {
  return ctx.method === 'GET' && ASSET.test(ctx.path);
}

/**
 * A crowd of new clients is arriving: the ones without the cookie that came with it get the cookie check
 * on what they read and on a browser's form post from this site (a person who loaded the form before the
 * cookie existed follows the check's 307 with the form's body: nothing is lost; a post from another site is
 * left to the detector, its Lax cookie would not come back), a form post from an HTTP library too (no person
 * sends one: its check is a 429 a retry with the cookie passes), and
 * a tool that came with it and keeps the cookie (a flood tool with a cookie jar passes the check) gets the
 * challenge: returning a cookie makes no HTTP library a person, nor a jar shown under one User-Agent after
 * another (ctx.cookieMoved) a person's browser. Apps' own clients ('other') and declared bots are left to
 * the detector.
 */
function markSurge(surge: SurgeGuard, ctx: RequestContext): void {
  if (ctx.clientState === CLIENT_FRESH) surge.fresh(ctx.startedAt);
  if (!surge.active(ctx.startedAt) || ctx.seenAt < surge.since - 1000) return;
  // A jar that moved between User-Agents follows the cookie check and keeps what it is given: no person's browser.
  if (ctx.cookieMoved) ask(ctx, true);
  else if (ctx.clientState === CLIENT_COOKIE) {
    if (TOOL_FAMILIES.has(ctx.agent)) ask(ctx, true);
  } else if (
    ctx.method === 'GET' ||
    ctx.method === 'HEAD' ||
    TOOL_FAMILIES.has(ctx.agent) ||
    followsPostRedirect(ctx.agent, ctx.req.headers['sec-fetch-site'])
  )
    ask(ctx, false);
}

/** The surge guard asks for the challenge (or only the cookie check), and says so (ctx.askedBy). */
function ask(ctx: RequestContext, challenge: boolean): void {
  if (challenge) ctx.challengeRequired = true;
  else ctx.cookieCheck = true;
  ctx.askedBy = SURGE_GUARD;
}

/** ctx.askedBy when the surge guard asked. */
const SURGE_GUARD = 'surge/guard';

export function compileIdentity(opts: IdentityOptions): Identity {
  return new IdentityStage(opts);
}
