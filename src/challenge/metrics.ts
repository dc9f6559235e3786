// Challenge counters for the dashboard and for measuring harm to people:
// issued, solved (by method), failed, replayed, expired, abandoned, passes
// accepted/rejected, median solve time, and issued/solved per route class.
// Bounded: plain numbers, a 256-sample ring overall and a 64-sample ring per
// route class, at most 32 route classes (~80 KB in all).
// Not Prometheus wiring (control/ reads stats() and exports it).

const RING = 256;
const ROUTE_RING = 64;
const MAX_ROUTES = 32;

export interface RouteStats {
  issued: number;
  solved: number;
  /** Failed, replayed or expired answers to challenges issued for this class. */
  failed: number;
  abandoned: number;
  /** Median ms from issue to verify over this class's last 64 solves; 0 before any. */
  medianSolveMs: number;
}

class RouteCounts {
  issued = 0;
  solved = 0;
  failed = 0;
  readonly ring = new Float64Array(ROUTE_RING);
  n = 0;
}

export interface ChallengeStats {
  issued: number;
  /** Solved with proof of work. */
  solved: number;
  /** Passed the no-JS meta-refresh check. */
  solvedNoJs: number;
  /** Bad solution, forged or mismatched token (other prefix or browser). */
  failed: number;
  replayed: number;
  expired: number;
  /** issued − solved − solvedNoJs − failed − replayed − expired, floored at 0: approximate (reloads re-issue). */
  abandoned: number;
  /** Median ms from issue to verify over the last 256 solves; 0 before any. */
  medianSolveMs: number;
  solvedVia: { subtle: number; js: number; main: number };
  passesAccepted: number;
  /** A pass cookie was sent but did not verify (expired, other network, forged). */
  passesRejected: number;
  /** Observe (shadow) mode: challenges that would have been served. */
  wouldChallenge: number;
  /** Cookie checks answered (the redirect that sets the seen cookie). */
  cookieChecks: number;
  /** Requests that came back with the cookie while a check was asked: passed. */
  cookieChecksPassed: number;
  /** Clients refused after coming back without the cookie several times in a row (they drop cookies). */
  cookieRefused: number;
  /** Observe (shadow) mode: cookie checks that would have been answered. */
  wouldCheck: number;
  /** Assets checks answered (a young detector's challenge for a cookie-keeping client without the assets mark). */
  markChecks: number;
  byRouteClass: Record<string, RouteStats>;
  nonceStoreSize: number;
  nonceEvictedLive: number;
  /** Reverse-DNS crawler checks (null when exempt.crawlers is off). */
  crawlers: { verified: number; refused: number; lookups: number; skipped: number } | null;
}

export type Outcome = 'solved' | 'failed' | 'replayed' | 'expired';

export class StatsRecorder {
  readonly counts = {
    issued: 0,
    solved: 0,
    solvedNoJs: 0,
    failed: 0,
    replayed: 0,
    expired: 0,
    passesAccepted: 0,
    passesRejected: 0,
    wouldChallenge: 0,
    cookieChecks: 0,
    cookieChecksPassed: 0,
    markChecks: 0,
    cookieRefused: 0,
    wouldCheck: 0,
  };
  private readonly via = { subtle: 0, js: 0, main: 0 };
  private readonly ring = new Float64Array(RING);
  private ringN = 0;
  private readonly routeNames: string[] = ['other'];
  private readonly routes: RouteCounts[] = [new RouteCounts()];

  /** The small index a route class travels under inside a token (0 = other, past 32 classes). */
  routeIndex(name: string): number {
    const i = this.routeNames.indexOf(name);
    if (i >= 0) return i;
    if (this.routeNames.length >= MAX_ROUTES) return 0;
    this.routeNames.push(name);
    this.routes.push(new RouteCounts());
    return this.routeNames.length - 1;
  }

  issued(route: number): void {
    this.counts.issued++;
    this.routes[route].issued++;
  }

  /** `how`: 'subtle' | 'js' | '<either>-main' (no Worker) as the page reports it, or 'nojs'. */
  outcome(o: Outcome, route: number, solveMs: number, how: string): void {
    const s = this.counts;
    const r = route < this.routes.length ? this.routes[route] : this.routes[0];
    if (o !== 'solved') {
      s[o]++;
      r.failed++;
      return;
    }
    if (how === 'nojs') s.solvedNoJs++;
    else s.solved++;
    if (how === 'subtle' || how === 'js') this.via[how]++;
    else if (how.endsWith('-main')) this.via.main++;
    r.solved++;
    r.ring[r.n++ % ROUTE_RING] = solveMs;
    this.ring[this.ringN++ % RING] = solveMs;
  }

  snapshot(store: { size: number; evictedLive: number }, crawlers: ChallengeStats['crawlers'] = null): ChallengeStats {
    const s = this.counts;
    const done = s.solved + s.solvedNoJs + s.failed + s.replayed + s.expired;
    return {
      ...s,
      abandoned: Math.max(0, s.issued - done),
      medianSolveMs: median(this.ring.subarray(0, Math.min(this.ringN, RING))),
      solvedVia: { ...this.via },
      byRouteClass: Object.fromEntries(this.routeNames.map((n, i) => [n, routeSnapshot(this.routes[i])])),
      nonceStoreSize: store.size,
      nonceEvictedLive: store.evictedLive,
      crawlers: crawlers === null ? null : { ...crawlers },
    };
  }
}

function routeSnapshot(r: RouteCounts): RouteStats {
  return {
    issued: r.issued,
    solved: r.solved,
    failed: r.failed,
    abandoned: Math.max(0, r.issued - r.solved - r.failed),
    medianSolveMs: median(r.ring.subarray(0, Math.min(r.n, ROUTE_RING))),
  };
}

function median(xs: Float64Array): number {
  if (xs.length === 0) return 0;
  const sorted = Float64Array.from(xs).sort();
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
}
