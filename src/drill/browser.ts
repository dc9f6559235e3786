// One simulated browser: its own loopback source, user agent and cookie jar.
// `fetch` does what Chromium does for one navigation or subresource: sends
// the cookies, stores Set-Cookie, follows redirects (fetch's rules, same
// origin, at most 10), and when Rampart answers with the proof-of-
// work interstitial, loads the solver script, solves, posts the form, takes
// the pass cookie and follows the 303 back. Not a general HTTP client.
import { createSource, type Reply, type Source } from './client.js';
import { browserProfile } from './profiles.js';
import { MAX_REDIRECTS, redirectNext, sameOriginPath } from './nojs-client.js';
import { parseChallenge, type Solver } from './solver.js';
import type { Target } from './target.js';

export type Kind = 'page' | 'asset' | 'form';

export interface FetchResult {
  reply: Reply;
  /** Time the user waited, minus the proof-of-work compute (reported apart). */
  ms: number;
  challenged: boolean;
  /** Set when the challenge could not be passed: why. */
  challengeError: string;
}

const ACCEPT: Record<Kind, string> = {
  page: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
  asset: '*/*',
  form: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
};

export class Browser {
  readonly source: Source;
  private readonly jar = new Map<string, string>();
  private readonly ua: string;
  private readonly lang: string;

  constructor(
    readonly index: number,
    private readonly target: Target,
    localAddress: string,
    private readonly solver: Solver,
    /** Public address presented through X-Forwarded-For, '' for none. */
    private readonly xff: string,
  ) {
    this.source = createSource(target, localAddress, { connections: 2, timeoutMs: 10_000 });
    const profile = browserProfile(index);
    this.ua = profile.ua;
    this.lang = profile.lang;
  }

  private headers(kind: Kind, referer: string, form: boolean): string[] {
    const h = [
      'user-agent',
      this.ua,
      'accept',
      ACCEPT[kind],
      'accept-language',
      this.lang,
      'accept-encoding',
      'gzip, deflate, br',
    ];
    if (form) h.push('content-type', 'application/x-www-form-urlencoded', 'origin', `http://${this.target.host}`);
    if (referer) h.push('referer', `http://${this.target.host}${referer}`);
    if (this.jar.size > 0) h.push('cookie', [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '));
    h.push('x-drill-role', 'legit');
    if (this.xff) h.push('x-forwarded-for', this.xff);
    return h;
  }

  private keep(setCookie: string[]): void {
    for (const c of setCookie) {
      const first = c.split(';', 1)[0];
      const eq = first.indexOf('=');
      if (eq <= 0) continue;
      const name = first.slice(0, eq).trim();
      const value = first.slice(eq + 1).trim();
      if (/max-age=0\b/i.test(c) || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  private async raw(
    kind: Kind,
    method: string,
    path: string,
    body: string | undefined,
    referer: string,
  ): Promise<Reply> {
    // Redirects are followed as fetch does (a shield's cookie check is one), at most MAX_REDIRECTS.
    for (let hops = 0; ; hops++) {
      const r = await this.source.send({
        method,
        path,
        headers: this.headers(kind, referer, body !== undefined),
        body,
        read: kind !== 'asset',
      });
      this.keep(r.setCookie);
      const next = r.error === '' && r.location !== '' ? redirectNext(r.status, method, body) : null;
      const to = next ? sameOriginPath(this.target, r.location, path) : null;
      // The challenge endpoints' 303s are followed by fetch() itself (it counts the round trip).
      if (next === null || to === null || path.startsWith('/.rampart/challenge/')) return r;
      if (hops >= MAX_REDIRECTS) return { ...r, error: 'too-many-redirects' };
      if (next.method !== method && kind === 'form') kind = 'page';
      referer = path;
      ({ method, body } = next);
      path = to;
    }
  }

  /** One navigation, subresource or form post, following a challenge when served one. */
  async fetch(kind: Kind, method: string, path: string, body?: string, referer = ''): Promise<FetchResult> {
    const t0 = performance.now();
    const first = await this.raw(kind, method, path, body, referer);
    const form = first.status === 403 && method === 'GET' && kind !== 'asset' ? parseChallenge(first.body) : null;
    if (form === null) {
      const challenged = first.verdict === 'challenge/required';
      return {
        reply: first,
        ms: performance.now() - t0,
        challenged,
        challengeError: challenged ? 'no interstitial to solve' : '',
      };
    }
    // The page loads its script (a real browser does), then the solver works.
    await this.raw('asset', 'GET', '/.rampart/challenge/solver.js', undefined, path);
    const s0 = performance.now();
    const counter = await this.solver.solve(form.seed, form.bits);
    const solveMs = performance.now() - s0;
    if (counter < 0)
      return {
        reply: first,
        ms: performance.now() - t0 - solveMs,
        challenged: true,
        challengeError: 'no solution found',
      };
    const fields = new URLSearchParams({
      challenge: form.token,
      solution: String(counter),
      via: 'js',
      return: form.ret,
    });
    const verify = await this.raw('form', 'POST', form.action, fields.toString(), path);
    if (verify.status !== 303 || !verify.location) {
      return {
        reply: verify,
        ms: performance.now() - t0 - solveMs,
        challenged: true,
        challengeError: `verify answered ${verify.status} ${verify.verdict}`,
      };
    }
    const back = await this.raw(kind, 'GET', verify.location, undefined, path);
    const error = back.verdict === 'challenge/required' ? 'challenged again after solving' : '';
    return { reply: back, ms: performance.now() - t0 - solveMs, challenged: true, challengeError: error };
  }

  close(): Promise<void> {
    return this.source.close();
  }
}
