// Synthetic traffic for detector tests and benchmarks: seeded, per-second
// batches of plain request facts (the fields `Observed` reads), for realistic
// browsing (pages with their assets, a few logins and donations, browser
// fingerprints), a newsletter burst, and each attack vector. Not a load
// generator (src/drill sends real requests); nothing here touches a socket.
import { BROWSER_FAMILIES, uaFamily } from '../core/ua-family.js';
import type { Observed } from './window.js';

export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALLOW = { rule: 'default/allow', action: 'allow' } as const;
const BROWSERS = [
  {
    fp: 0x1a2b3c01,
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
    w: 0.45,
  },
  {
    fp: 0x1a2b3c02,
    ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
    w: 0.25,
  },
  { fp: 0x1a2b3c03, ua: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', w: 0.15 },
  {
    fp: 0x1a2b3c04,
    ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
    w: 0.1,
  },
  {
    fp: 0x1a2b3c05,
    ua: 'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36',
    w: 0.05,
  },
];
const ASSETS = ['/assets/site.css', '/assets/app.js', '/img/logo.svg', '/img/hero.jpg'];

export function ipOf(n: number): { key: number; ip: string } {
  const key = n >>> 0;
  return { key, ip: `${key >>> 24}.${(key >>> 16) & 255}.${(key >>> 8) & 255}.${key & 255}` };
}

/** One request's facts; `req.headers` carries only the user agent. */
export function fact(
  srcKey: number,
  path: string,
  o: Partial<{
    query: string;
    routeClass: string;
    fp: number;
    ua: string;
    status: number;
    originMs: number;
    verdict: { rule: string; action: string };
    clientState: number;
    seenAt: number;
    method: string;
    contentType: string;
    personLike: boolean;
  }> = {},
): Observed {
  const { key, ip } = ipOf(srcKey);
  return {
    clientKey: key,
    clientIp: ip,
    prefixKey: (key & 0xffffff00) >>> 0,
    fingerprint: o.fp ?? BROWSERS[0].fp,
    path,
    query: o.query ?? '',
    routeClass: o.routeClass ?? 'page',
    status: o.status ?? 200,
    originMs: o.originMs ?? 20,
    verified: false,
    clientState: o.clientState ?? 3,
    seenAt: o.seenAt ?? 0,
    browser: BROWSER_FAMILIES.has(uaFamily(o.ua ?? BROWSERS[0].ua)),
    cookieMisses: 0,
    personLike: o.personLike ?? false,
    method: o.method ?? 'GET',
    verdict: o.verdict ?? ALLOW,
    req: { headers: { 'user-agent': o.ua ?? BROWSERS[0].ua, 'content-type': o.contentType } },
  };
}

function browser(r: () => number) {
  let u = r();
  for (const b of BROWSERS) if ((u -= b.w) <= 0) return b;
  return BROWSERS[0];
}

/**
 * Ordinary visitors: `pageViews` page views this second (±20 %), each a page
 * plus a few of its assets (for `assetRate` of them), from a pool of returning visitors in 10.x.
 * Occasional logins, donations, API reads and sensitive reads; 1 % 404s.
 */
export function legitSecond(
  r: () => number,
  pageViews: number,
  out: Observed[] = [],
  pool = 3000,
  assetRate = 1,
): Observed[] {
  const n = Math.round(pageViews * (0.8 + 0.4 * r()));
  for (let i = 0; i < n; i++) {
    const src = 0x0a000000 + Math.floor(r() * pool) * 7;
    const b = browser(r);
    const o = { fp: b.fp, ua: b.ua };
    const u = r();
    if (u < 0.05) out.push(fact(src, '/login', { ...o, routeClass: 'login', status: r() < 0.2 ? 401 : 303 }));
    else if (u < 0.08) out.push(fact(src, '/donate', { ...o, routeClass: 'donate' }));
    else if (u < 0.1) out.push(fact(src, '/api/account', { ...o, routeClass: 'sensitive' }));
    else if (u < 0.18)
      out.push(fact(src, '/api/feed', { ...o, routeClass: 'api', query: `page=${1 + Math.floor(r() * 5)}` }));
    else {
      const article = Math.floor(r() * 40);
      const path = u < 0.3 ? '/' : u < 0.38 ? '/search' : `/news/${article}`;
      const query =
        path === '/search'
          ? `q=${['climate', 'vote', 'donate', 'events'][Math.floor(r() * 4)]}`
          : u < 0.4
            ? `page=${1 + Math.floor(r() * 3)}`
            : '';
      out.push(fact(src, path, { ...o, query, status: r() < 0.01 ? 404 : 200 }));
      // Returning visitors have the assets cached: `assetRate` is the share of page views that load them.
      const assets = r() < assetRate ? 1 + Math.floor(r() * 3) : 0;
      for (let k = 0; k < assets; k++)
        out.push(
          fact(src, ASSETS[Math.floor(r() * ASSETS.length)], {
            ...o,
            routeClass: 'static',
            status: r() < 0.5 ? 304 : 200,
            originMs: 2,
          }),
        );
    }
  }
  return out;
}

/** A newsletter went out: `readers` new visitors this second open one story with its assets, like people do. */
export function newsletterSecond(r: () => number, readers: number, startId: number, out: Observed[] = []): Observed[] {
  for (let i = 0; i < readers; i++) {
    const src = 0x0b000000 + (startId + i) * 3; // never seen before
    const b = browser(r);
    out.push(
      fact(src, '/news/spring-campaign', { fp: b.fp, ua: b.ua, query: 'utm_source=newsletter&utm_medium=email' }),
    );
    for (const a of ASSETS) out.push(fact(src, a, { fp: b.fp, ua: b.ua, routeClass: 'static', originMs: 2 }));
    if (r() < 0.3) out.push(fact(src, '/donate', { fp: b.fp, ua: b.ua, routeClass: 'donate' }));
  }
  return out;
}

export const BOT = { fp: 0xdeadbe01, ua: 'python-requests/2.31.0' };

/** `rps` requests spread over `sources` addresses of 172.16.0.0/12, each built by `make`. */
export function spread(
  rps: number,
  sources: number,
  make: (src: number, i: number) => Observed,
  out: Observed[] = [],
): Observed[] {
  for (let i = 0; i < rps; i++) out.push(make(0xac100000 + ((i % sources) * 13 + 1), i));
  return out;
}
