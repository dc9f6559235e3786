// The detector's mitigations (from shared state) compiled into fast matchers:
// Sets for prefix keys, fingerprints and route classes, a list of path
// prefixes. Recompiled only when the state's version() changes. A `limit`
// mitigation is a per-address token bucket at m.rate (1 s of burst).
// Memory: one table of tracked/4 buckets (lruBytes); matchers ∝ mitigations.
// Hot path: per live mitigation ≤ 4 Set/startsWith checks, no allocation; a
// mitigation of novel query names adds one peek at the names (decide.ts).
import { fnv1a } from '../core/hash.js';
import { CLIENT_COOKIE, type Mitigation, type RequestContext, type Verdict } from '../core/model.js';
import { verdict } from '../core/model.js';
import { createTokenBuckets, type TakeSink, type TokenBuckets } from '../core/token-bucket.js';
import { mixKey } from './limits.js';
import { limitVerdicts, safeRule, type LimitVerdicts } from './verdicts.js';

export interface CompiledMitigation {
  readonly id: string;
  readonly action: Mitigation['action'];
  readonly until: number;
  readonly prefixes: Set<number> | null;
  readonly fingerprints: Set<number> | null;
  readonly classes: Set<string> | null;
  readonly paths: readonly string[];
  readonly unverifiedOnly: boolean;
  /** Only clients first seen at or after this time (ms), 0 any. */
  readonly newSince: number;
  /** Only requests without a valid seen cookie. */
  readonly cookieless: boolean;
  /** With newSince: clients whose seen cookie says they loaded a page's assets pass too. */
  readonly sparesPersons: boolean;
  /** Only requests whose query carries a parameter name not seen lately (ctx.novelName 1, filled by the caller). */
  readonly novelNames: boolean;
  /** Only requests from a cookie jar that moved between User-Agents (ctx.cookieMoved). */
  readonly moved: boolean;
  readonly createdAt: number;
  readonly rate: number;
  readonly burst: number;
  /** Namespace of this mitigation's buckets (hash of its id). */
  readonly ns: number;
  /** deny, challenge and check verdicts (a check is a `challenge` verdict with status 307); limits use `limits`. */
  readonly verdict: Verdict;
  readonly limits: LimitVerdicts | null;
}

function setOf<T>(list: readonly T[]): Set<T> | null {
  return list.length === 0 ? null : new Set(list);
}

function hashId(id: string): number {
  return fnv1a(id) | 1;
}

const FALLBACK = {
  limit: 'mitigate/limit',
  deny: 'mitigate/deny',
  challenge: 'mitigate/challenge',
  check: 'mitigate/check',
} as const;

/** The status that marks a `challenge` verdict as the cookie check (it is also the check's redirect status). */
export const CHECK_STATUS = 307;

export function compileMitigation(m: Mitigation): CompiledMitigation {
  const rule = safeRule(m.rule, FALLBACK[m.action] ?? 'mitigate/other');
  const rate = m.rate > 0 && Number.isFinite(m.rate) ? m.rate : 1;
  return {
    id: m.id,
    action: m.action,
    until: m.until,
    prefixes: setOf(m.match.prefixKeys),
    fingerprints: setOf(m.match.fingerprints),
    classes: setOf(m.match.routeClasses),
    paths: m.match.paths,
    unverifiedOnly: m.match.unverifiedOnly,
    newSince: typeof m.match.newSince === 'number' && m.match.newSince > 0 ? m.match.newSince : 0,
    cookieless: m.match.cookieless === true,
    sparesPersons: m.match.sparesPersons === true,
    novelNames: m.match.novelNames === true,
    moved: m.match.moved === true,
    createdAt: m.createdAt,
    rate,
    burst:
      typeof m.burst === 'number' && m.burst >= 1 && Number.isFinite(m.burst)
        ? Math.ceil(m.burst)
        : Math.max(1, Math.ceil(rate)),
    ns: hashId(m.id),
    verdict:
      m.action === 'deny'
        ? verdict(rule, 'deny', 403)
        : verdict(rule, 'challenge', m.action === 'check' ? CHECK_STATUS : 403),
    limits: m.action === 'limit' ? limitVerdicts(rule) : null,
  };
}

/**
 * Does the request fall in the mitigation's signature (all non-empty lists match)? A `novelNames` one
 * reads ctx.novelName, which the caller fills first (decide.ts: only while such a mitigation is live).
 */
export function matches(c: CompiledMitigation, ctx: RequestContext, routeClass: string): boolean {
  if (c.novelNames && ctx.novelName !== 1) return false;
  if (c.moved && !ctx.cookieMoved) return false;
  if (c.newSince > 0 && (ctx.seenAt < c.newSince || (c.sparesPersons && (ctx.personLike || ctx.markPending))))
    return false;
  if (c.cookieless && ctx.clientState === CLIENT_COOKIE) return false;
  if (c.prefixes !== null && !c.prefixes.has(ctx.prefixKey)) return false;
  if (c.fingerprints !== null && !c.fingerprints.has(ctx.fingerprint)) return false;
  if (c.classes !== null && !c.classes.has(routeClass)) return false;
  const p = c.paths;
  if (p.length === 0) return true;
  for (let i = 0; i < p.length; i++) if (ctx.path.startsWith(p[i])) return true;
  return false;
}

export interface MitigationSet {
  /** The compiled list for this state version (recompiles when it changed). */
  current(version: number, source: { mitigations(): readonly Mitigation[] }): readonly CompiledMitigation[];
  /** When the surge of the live mitigations began (the earliest `newSince` among those not expired at `now`), 0 when none names one. */
  surgeSince(version: number, source: { mitigations(): readonly Mitigation[] }, now: number): number;
  /** A live mitigation of new clients spares person-like ones (a young detector's surge: Mitigation match.sparesPersons). */
  sparesPersons(version: number, source: { mitigations(): readonly Mitigation[] }, now: number): boolean;
  /** A limit mitigation's bucket for this client: the verdict or null. */
  limit(c: CompiledMitigation, clientKey: number, now: number): Verdict | null;
  size(): number;
  /** The per-client buckets of limit mitigations (null until one was used); a reload keeps them. */
  buckets(): TokenBuckets | null;
  /** Sets (null: removes) the buckets' take sink, now and when they are created at first use (cluster workers share the takes). */
  watch(sink: TakeSink | null): void;
}

export function createMitigationSet(capacity: number, keep: TokenBuckets | null = null): MitigationSet {
  let version = -1;
  let list: CompiledMitigation[] = [];
  let buckets: TokenBuckets | null = keep !== null && keep.capacity === capacity ? keep : null;
  let sink: TakeSink | null = null;
  return {
    current(v, source) {
      if (v !== version) {
        version = v;
        list = source.mitigations().map(compileMitigation);
        // deny first, then limit, then challenge, then the cookie check: the strongest matching action wins.
        const order = { deny: 0, limit: 1, challenge: 2, check: 3 };
        list.sort((a, b) => order[a.action] - order[b.action]);
      }
      return list;
    },
    surgeSince(v, source, now) {
      const l = this.current(v, source);
      let t = 0;
      // The cookie check's own "new since" may reach further back (it only ever asks cookieless clients).
      for (let i = 0; i < l.length; i++)
        if (l[i].action !== 'check' && l[i].newSince > 0 && l[i].until > now && (t === 0 || l[i].newSince < t))
          t = l[i].newSince;
      return t;
    },
    sparesPersons(v, source, now) {
      const l = this.current(v, source);
      for (let i = 0; i < l.length; i++) if (l[i].sparesPersons && l[i].newSince > 0 && l[i].until > now) return true;
      return false;
    },
    limit(c, clientKey, now) {
      if (buckets === null) {
        buckets = createTokenBuckets({ capacity, rate: 1, burst: 1 });
        buckets.watch(sink);
      }
      const wait = buckets.takeWith(mixKey(clientKey, c.ns), now, 1, c.rate, c.burst);
      return wait === 0 ? null : c.limits!.forWait(wait);
    },
    size: () => list.length,
    buckets: () => buckets,
    watch(s) {
      sink = s;
      buckets?.watch(s);
    },
  };
}
