// Known good crawlers, verified by reverse DNS (optional, off by default): a
// request whose User-Agent names a crawler (Googlebot, bingbot…) skips the
// challenge only when its address's PTR name lies in that crawler's domains
// AND the name resolves back to the address (forward-confirmed). DNS runs in
// the background, never on the request path: the first request from an
// unknown address is challenged like any other, later ones use the result.
// Bounded: ≤ 4,096 cached addresses (oldest dropped), ≤ 8 lookups in flight.
import { promises as dns } from 'node:dns';
import type { ChallengeConfig } from '../config/schema/challenge.js';

const MAX_CACHED = 4096;
const MAX_IN_FLIGHT = 8;
const OK_TTL = 3_600_000;
const FAIL_TTL = 600_000;

/** How names are resolved; node:dns by default, the system resolver underneath. */
export interface Resolver {
  /** PTR names of an address. */
  reverse(ip: string): Promise<string[]>;
  /** Addresses of a name. */
  forward(name: string): Promise<string[]>;
}

export const systemResolver: Resolver = {
  async reverse(ip) {
    // c-ares PTR query and the system's getnameinfo (nsswitch: hosts file, then DNS); either may fail.
    const [ptr, sys] = await Promise.allSettled([dns.reverse(ip), dns.lookupService(ip, 0)]);
    const names = ptr.status === 'fulfilled' ? ptr.value : [];
    if (sys.status === 'fulfilled' && !names.includes(sys.value.hostname)) names.push(sys.value.hostname);
    return names;
  },
  async forward(name) {
    return (await dns.lookup(name, { all: true, verbatim: true })).map((a) => a.address);
  },
};

export interface Crawlers {
  /** True when the UA claims a known crawler and its address was verified; starts a lookup when unknown. */
  allowed(ua: string | undefined, ip: string): boolean;
  /** Resolves when no lookup is in flight (tests, shutdown). */
  settled(): Promise<void>;
  readonly stats: { verified: number; refused: number; lookups: number; skipped: number };
}

type Known = ChallengeConfig['exempt']['crawlers']['known'];

const inDomain = (name: string, domains: readonly string[]) => {
  const n = name.toLowerCase().replace(/\.$/, '');
  return domains.some((d) => n === d || n.endsWith(`.${d}`));
};

const sameIp = (a: string, b: string) => a.replace(/^::ffff:/, '') === b.replace(/^::ffff:/, '');

/** null when disabled: the stage then pays nothing. */
export function compileCrawlers(
  cfg: ChallengeConfig['exempt']['crawlers'],
  now: () => number,
  resolver: Resolver = systemResolver,
): Crawlers | null {
  if (!cfg.enabled || cfg.known.length === 0) return null;
  const known: Known = cfg.known.map((k) => ({ agent: k.agent, domains: k.domains.map((d) => d.toLowerCase()) }));
  const agentRe = new RegExp(known.map((k) => k.agent.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'i');
  /** ip → { ok, until }: the crawler index the address was checked for is part of the key. */
  const cache = new Map<string, { ok: boolean; until: number }>();
  const inFlight = new Map<string, Promise<void>>();
  const stats = { verified: 0, refused: 0, lookups: 0, skipped: 0 };

  async function verify(ip: string, domains: readonly string[]): Promise<boolean> {
    const names = (await resolver.reverse(ip)).filter((n) => inDomain(n, domains));
    for (const name of names) if ((await resolver.forward(name)).some((a) => sameIp(a, ip))) return true;
    return false;
  }

  function start(key: string, ip: string, domains: readonly string[]): void {
    if (inFlight.size >= MAX_IN_FLIGHT) {
      stats.skipped++;
      return;
    }
    stats.lookups++;
    const p = verify(ip, domains)
      .catch(() => false)
      .then((ok) => {
        if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
        cache.set(key, { ok, until: now() + (ok ? OK_TTL : FAIL_TTL) });
        if (ok) stats.verified++;
        else stats.refused++;
        inFlight.delete(key);
      });
    inFlight.set(key, p);
  }

  return {
    stats,
    allowed(ua, ip) {
      if (ua === undefined) return false;
      const m = agentRe.exec(ua);
      if (m === null) return false;
      const i = known.findIndex((k) => k.agent.toLowerCase() === m[0].toLowerCase());
      const key = `${i}|${ip}`;
      const hit = cache.get(key);
      if (hit !== undefined && hit.until > now()) return hit.ok;
      if (!inFlight.has(key)) start(key, ip, known[i].domains);
      return false;
    },
    async settled() {
      while (inFlight.size > 0) await Promise.all(inFlight.values());
    },
  };
}
