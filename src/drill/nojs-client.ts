// A person's browser with JavaScript off (or a plain HTTP client that acts
// like one): its own loopback source, one browser header profile, a cookie
// jar, and redirects followed the way fetch does (301/302 turn a POST into a
// GET, 303 anything into a GET, 307/308 keep method and body; at most 10,
// same origin only). It never runs the proof-of-work: an interstitial is its
// final answer. A followed redirect that the shield answered with a
// `challenge/…` verdict (a no-JS cookie check) marks the navigation "checked",
// and so does a page that reloads itself (`<meta http-equiv="refresh">` with
// no other URL: the shield's assets check) after its stylesheets are loaded,
// as a browser renders it.
import { createSource, type Reply, type Source } from './client.js';
import { CookieJar } from './cookie-jar.js';
import { classify } from './legit.js';
import { browserHeaders, type BrowserProfile, type FetchKind } from './profiles.js';
import type { Target } from './target.js';

export const MAX_REDIRECTS = 10;

export interface NavResult {
  /** The last answer (after the redirects followed). */
  reply: Reply;
  /** Milliseconds from the first request to the end of the last body. */
  ms: number;
  /** Redirects followed. */
  hops: number;
  /** A redirect answered by the shield with a `challenge/` verdict was followed (a no-JS check). */
  checked: boolean;
  /** Gave up after MAX_REDIRECTS. */
  loop: boolean;
  /** Path and query of the last request. */
  path: string;
}

export type NavOutcome = 'served' | 'challenged' | 'limited' | 'failed';

/** fetch's rule for the request after a redirect: method and body, or null when `status` is not a followed redirect. */
export function redirectNext(
  status: number,
  method: string,
  body: string | undefined,
): { method: string; body: string | undefined } | null {
  if (status === 307 || status === 308) return { method, body };
  if (status === 303) return { method: method === 'HEAD' ? 'HEAD' : 'GET', body: undefined };
  if (status === 301 || status === 302)
    return method === 'POST' ? { method: 'GET', body: undefined } : { method, body };
  return null;
}

/** The target path of `location` when it stays on the target's origin, else null. */
export function sameOriginPath(target: Target, location: string, from: string): string | null {
  let u: URL;
  try {
    u = new URL(location, `${target.origin}${from}`);
  } catch {
    return null;
  }
  const host = u.hostname === 'localhost' ? '127.0.0.1' : u.hostname;
  if (u.protocol !== 'http:' || host !== target.hostname || Number(u.port || 80) !== target.port) return null;
  return u.pathname + u.search;
}

/**
 * True when an answer is a challenge the person did not get past: Rampart's
 * proof-of-work interstitial, or any other refusal by the challenge stage
 * (`challenge/…` with an error status: a form post without the check's
 * cookie, a client that keeps dropping it) or by a challenge mitigation.
 */
export function isChallenge(r: Reply): boolean {
  const v = r.verdict;
  if ((v.startsWith('challenge/') && r.status >= 400) || v.startsWith('mitigate/challenge')) return true;
  return r.body.includes('id="rampart-challenge"');
}

/** How a navigation ended for a person without JavaScript, and the rule that says why. */
export function navOutcome(n: NavResult): { outcome: NavOutcome; rule: string } {
  if (n.loop)
    return { outcome: 'challenged', rule: n.reply.verdict ? `loop/${n.reply.verdict}` : 'drill/redirect-loop' };
  if (n.reply.error === '' && isChallenge(n.reply))
    return { outcome: 'challenged', rule: n.reply.verdict || 'challenge/interstitial' };
  const c = classify(n.reply, '');
  return { outcome: c.outcome === 'refused' ? 'limited' : c.outcome, rule: c.rule };
}

/** Stylesheets and images a browser without JavaScript loads from `html` (same-origin paths; no scripts). */
export function assetsOf(html: string): string[] {
  const out = new Set<string>();
  for (const m of html.matchAll(
    /<link\b[^>]*\brel="stylesheet"[^>]*\bhref="(\/[^"/][^"]*)"|<link\b[^>]*\bhref="(\/[^"/][^"]*)"[^>]*\brel="stylesheet"|<img\b[^>]*\bsrc="(\/[^"/][^"]*)"/g,
  ))
    out.add(m[1] ?? m[2] ?? m[3]);
  return [...out];
}

/** Seconds before a page reloads itself (a meta refresh without a URL, at most 5), or -1. */
export function selfRefreshOf(html: string): number {
  const m = /<meta\b[^>]*\bhttp-equiv="refresh"[^>]*\bcontent="(\d+)"/i.exec(html);
  return m === null ? -1 : Math.min(5, Number(m[1]));
}

export interface NoJsOptions {
  /** Public address presented through X-Forwarded-For, '' for none. */
  xff?: string;
  /** x-drill-role tag (default legit). */
  role?: string;
  connections?: number;
  timeoutMs?: number;
}

/** RAMPART_DRILL_NAV_TRACE=1: a navigation past 900 ms is printed to stderr with each of its requests (bench/drills/README.md). */
const TRACE = process.env.RAMPART_DRILL_NAV_TRACE === '1';

export class NoJsClient {
  readonly jar = new CookieJar();
  private readonly source: Source;

  constructor(
    private readonly target: Target,
    localAddress: string,
    private readonly profile: BrowserProfile,
    private readonly o: NoJsOptions = {},
  ) {
    this.source = createSource(target, localAddress, {
      connections: o.connections ?? 2,
      timeoutMs: o.timeoutMs ?? 10_000,
    });
  }

  private headers(kind: FetchKind, referer: string): string[] {
    const h = browserHeaders(this.profile, kind);
    if (kind === 'form') h.push('origin', `http://${this.target.host}`);
    if (referer) h.push('referer', `http://${this.target.host}${referer}`);
    const cookie = this.jar.header();
    if (cookie) h.push('cookie', cookie);
    h.push('x-drill-role', this.o.role ?? 'legit');
    if (this.o.xff) h.push('x-forwarded-for', this.o.xff);
    return h;
  }

  /** One navigation, subresource or form post, redirects followed. */
  async navigate(kind: FetchKind, method: string, path: string, body?: string, referer = ''): Promise<NavResult> {
    const t0 = performance.now();
    let checked = false;
    let from = referer;
    const trail: string[] = [];
    for (let hops = 0; ; hops++) {
      const reply = await this.source.send({
        method,
        path,
        body,
        headers: this.headers(kind, from),
        read: kind === 'page' || kind === 'form',
      });
      if (TRACE)
        trail.push(`${method} ${path} ${reply.status} ${reply.verdict || reply.error} ${Math.round(reply.ms)}ms`);
      if (TRACE && performance.now() - t0 > 900)
        console.error(`slow navigation at ${Date.now()}: ${trail.join(' | ')}`);
      this.jar.store(reply.setCookie);
      const wait = reply.error === '' && method === 'GET' ? selfRefreshOf(reply.body) : -1;
      if (wait >= 0 && hops < MAX_REDIRECTS) {
        await this.render(reply.body, path);
        await new Promise((r) => setTimeout(r, wait * 1000));
        checked = true;
        from = path;
        continue;
      }
      const next = reply.error === '' && reply.location !== '' ? redirectNext(reply.status, method, body) : null;
      const to = next ? sameOriginPath(this.target, reply.location, path) : null;
      if (next === null || to === null) return { reply, ms: performance.now() - t0, hops, checked, loop: false, path };
      if (hops >= MAX_REDIRECTS) return { reply, ms: performance.now() - t0, hops, checked, loop: true, path };
      if (reply.verdict.startsWith('challenge/')) checked = true;
      if (next.method !== method && kind === 'form') kind = 'page';
      from = path;
      ({ method, body } = next);
      path = to;
    }
  }

  /** What a browser loads to show a page without JavaScript: its stylesheets and images. */
  private async render(html: string, from: string): Promise<void> {
    for (const a of assetsOf(html)) {
      const r = await this.source.send({ method: 'GET', path: a, headers: this.headers('asset', from), read: false });
      this.jar.store(r.setCookie);
    }
  }

  close(): Promise<void> {
    return this.source.close();
  }
}
