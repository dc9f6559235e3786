// Reads the ground truth: the demo origin's own counters (GET /__demo/stats:
// total, attack, legit), polled once a second from a dedicated loopback source.
// Works for any origin that serves that JSON shape (--origin-stats URL).
// Bounded: one connection, a 2 s deadline per read, one number per second kept.
// The reader behaves like a browser towards the shield: it keeps the cookies the
// shield sets and follows its cookie check once per read, and its assets check
// (loads the stylesheet that marks the cookie, then asks again), so a shield
// that checks clients during a surge does not hide the origin's counters.
import { Client } from 'undici';
import { loopbackSource } from './addresses.js';

export interface OriginCounts {
  total: number;
  attack: number;
  legit: number;
}

export interface OriginStats {
  readonly url: string;
  read(): Promise<OriginCounts | null>;
  close(): Promise<void>;
}

export function createOriginStats(url: string): OriginStats {
  const u = new URL(url);
  const client = new Client(u.origin, {
    localAddress: loopbackSource('control', 0),
    headersTimeout: 2000,
    bodyTimeout: 2000,
    connectTimeout: 2000,
  });
  const jar = new Map<string, string>();
  const keepCookies = (h: string | string[] | undefined) => {
    for (const line of h === undefined ? [] : Array.isArray(h) ? h : [h]) {
      const pair = line.split(';', 1)[0];
      const eq = pair.indexOf('=');
      if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  };
  const get = (path = u.pathname + u.search) => {
    const headers: Record<string, string> = { 'x-drill-role': 'control', accept: 'application/json' };
    if (jar.size > 0) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    return client.request({ path, method: 'GET', headers });
  };
  return {
    url,
    async read() {
      try {
        let res = await get();
        for (let hop = 0; hop < 2 && res.statusCode >= 300 && res.statusCode < 400; hop++) {
          keepCookies(res.headers['set-cookie']);
          await res.body.dump();
          res = await get();
        }
        keepCookies(res.headers['set-cookie']);
        if (res.statusCode === 403 && res.headers['rampart-verdict'] === 'challenge/mark') {
          await res.body.dump();
          const css = await get('/.rampart/challenge/mark.css');
          keepCookies(css.headers['set-cookie']);
          await css.body.dump();
          res = await get();
          keepCookies(res.headers['set-cookie']);
        }
        if (res.statusCode !== 200) {
          await res.body.dump();
          return null;
        }
        const j = (await res.body.json()) as Partial<OriginCounts>;
        if (typeof j.attack !== 'number' || typeof j.total !== 'number') return null;
        return { total: j.total, attack: j.attack, legit: typeof j.legit === 'number' ? j.legit : j.total - j.attack };
      } catch {
        return null;
      }
    },
    close: () => client.destroy().catch(() => {}),
  };
}
