// Reads the ground truth: the demo origin's own counters (GET /__demo/stats:
// total, attack, legit), polled once a second from a dedicated loopback source.
// Works for any origin that serves that JSON shape (--origin-stats URL).
// Bounded: one connection, a 2 s deadline per read, one number per second kept.
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
  const client = new Client(u.origin, { localAddress: loopbackSource('control', 0), headersTimeout: 2000, bodyTimeout: 2000, connectTimeout: 2000 });
  return {
    url,
    async read() {
      try {
        const res = await client.request({ path: u.pathname + u.search, method: 'GET', headers: { 'x-drill-role': 'control', accept: 'application/json' } });
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
