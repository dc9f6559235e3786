// The open second: what observe() adds to for every request, and what tick()
// reads and clears. Fixed-size counters, histograms, HyperLogLogs and
// space-saving tables; nothing grows with the number of clients or paths.
// Memory ceiling: ~360 KiB (histograms 4 KiB, HLLs 6 KiB, heavy-hitter tables
// ~20 KiB, pending baseline sketches 4 × 32 KiB, twice; query names 64 KiB). observe(): O(path+query+UA
// length + log 256), zero allocation (labels are strings the request already holds).
import { OUTCOMES, outcomeOf } from '../core/outcome.js';
import { FNV_OFFSET, fnv1a, mix32, queryShapeHash } from '../core/hash.js';
import { HyperLogLog } from '../core/hyperloglog.js';
import { clientKeyOf } from '../core/ip.js';
import { SpaceSaving } from '../core/space-saving.js';
import { FAMILIES } from './events.js';
import {
  AGE_BUCKETS,
  ageBucket,
  CACHE_FAMILY,
  classIndex,
  familyIndex,
  isFormPost,
  isRecheck,
  type Observed,
} from './observed.js';
import { QueryNames } from './query-names.js';
import type { SeenSources } from './seen-sources.js';
import type { CrowdCount } from './crowd-walk.js';
import { IdWalks, type Walker } from './templates.js';
import { PendingKeys } from './pending-keys.js';

export { AGE_BUCKETS, classIndex } from './observed.js';
export type { Observed } from './observed.js';
export { CM_DEPTH, CM_WIDTH, PendingKeys } from './pending-keys.js';

/** The example label of a fingerprint whose requests claim a browser their headers or TLS/HTTP2 stack contradict (assess.ts reads it as family `spoofed`). */
export const SPOOFED_LABEL = '[spoofed] browser user agent its headers or TLS/HTTP2 stack contradict';

export const HIST = 256;
export class SecondWindow {
  requests = 0;
  forwarded = 0;
  refused = 0;
  newSources = 0;
  withQuery = 0;
  s2xx = 0;
  s3xx = 0;
  s4xx = 0;
  s5xx = 0;
  originSum = 0;
  originMax = 0;
  slow = 0;
  /** Requests that returned the seen cookie, first requests of their client, from clients that drop it, carrying one given to a User-Agent of another shape (identity's cookieMoved). */
  cookied = 0;
  fresh = 0;
  ignored = 0;
  moved = 0;
  /** Of those without the cookie, the ones whose User-Agent claims a browser (a browser keeps cookies). */
  browserFresh = 0;
  browserIgnored = 0;
  /** Requests the cookie check answered again for a client that came back without the cookie it gave it. */
  checkIgnored = 0;
  /** Requests with a query parameter name (queryNameHashes) not seen in the last 10–20 s: random names. */
  novelNames = 0;
  /** Requests the origin answered 404 or 410: paths that do not exist. */
  notFound = 0;
  /** Requests that waited in the admission queue (the origin at its concurrency limit). */
  queued = 0;
  /** Query parameter names seen lately (query-names.ts, 64 KiB). */
  readonly queryNames = new QueryNames();
  /** Form posts (urlencoded or multipart) sent as their client's first request. */
  formFresh = 0;
  /** Requests from clients whose seen cookie carries the assets mark (they loaded a page's assets). */
  marked = 0;
  /** Requests for anything but a static asset from clients without the assets mark. */
  assetless = 0;
  /** Cookie checks (307) sent to browser-claiming clients without the seen cookie. */
  checked = 0;
  /** Requests returning the seen cookie from clients first seen in the last two seconds (a cookie check followed, and what comes next). */
  checkFollowed = 0;
  /** The open second, seconds since the epoch (set by the owner when it opens one): ages are counted from it. */
  epochS = 0;
  /** Requests by first-seen age of their client (AGE_BUCKETS). */
  readonly ages = new Float64Array(AGE_BUCKETS);
  /** Identifier walks per client and path template (templates.ts): kept across seconds, drained into `walkers` at tick. */
  readonly walks = new IdWalks();
  /** Walks reported this second (this process's, and the ones in parts folded in). */
  walkers: Walker[] = [];
  /** Crowd-walk counts of this second folded in from parts (crowd-walk.ts; this process's are drained at tick). */
  crowd: CrowdCount[] = [];
  /** HTTP/2 sessions closed for abuse, and their glitches (src/guard/h2-guard.ts). */
  h2 = 0;
  h2Glitches = 0;
  /** Cluster primary: the newest second (epoch s) of the workers' parts folded in, 0 when none (see window-part.ts). */
  partSecond = 0;
  /** xorshift32 state for sampling the baseline sketches. */
  private rnd = 0x2545f491;
  readonly classes = new Float64Array(7);
  /** Requests per class that were refused (for "is the mitigation holding"). */
  readonly families = new Float64Array(FAMILIES.length);
  /** Requests per outcome (core/outcome.ts OUTCOMES): they add up to `requests`. */
  readonly outcomes = new Float64Array(OUTCOMES.length);
  readonly histPath = new Uint32Array(HIST);
  readonly histQuery = new Uint32Array(HIST);
  readonly histUa = new Uint32Array(HIST);
  readonly histFp = new Uint32Array(HIST);
  readonly sources = new HyperLogLog(12);
  readonly queries = new HyperLogLog(10);
  readonly paths = new HyperLogLog(10);
  readonly topSources = new SpaceSaving(256);
  readonly topPrefixes = new SpaceSaving(64);
  readonly topFps = new SpaceSaving(32);
  readonly topPaths = new SpaceSaving(64);
  readonly topShapes = new SpaceSaving(32);
  /** Sources of connections closed by deadlines (slowloris); cleared by the detector on its own cadence. */
  readonly topSlow = new SpaceSaving(64);
  /** TLS/HTTP2 fingerprints of the connections (JA4 + HTTP/2), for the signature. */
  readonly topClients = new SpaceSaving(32);
  /** Sources of HTTP/2 sessions closed for abuse; cleared with topSlow. */
  readonly topH2 = new SpaceSaving(64);
  /** This second's keys; the detector swaps it out at tick and folds it into the baseline one second later if both seconds were calm. */
  pend = new PendingKeys();
  private readonly seen: SeenSources;

  constructor(seen: SeenSources) {
    this.seen = seen;
  }

  observe(c: Observed): void {
    this.requests++;
    const key = c.clientKey;
    this.sources.addKey(key);
    if (this.seen.visit(key)) this.newSources++;
    this.topSources.offer(key, 1, c.clientIp);
    this.topPrefixes.offer(c.prefixKey, 1, c.clientIp);
    const cls = classIndex(c.routeClass);
    this.clientFacts(c, cls);
    const v = c.verdict;
    const fam = familyIndex(v.rule);
    if (c.cookieMisses > 0 && v.rule.startsWith('challenge/cookie')) this.checkIgnored++;
    this.families[fam]++;
    this.outcomes[outcomeOf(v, c.originMs)]++;
    // Refused: anything but a forward or a cache answer (a challenge page is `serve` but still a refusal).
    if (v.action !== 'allow' && fam !== CACHE_FAMILY) this.refused++;
    const st = c.status;
    if (st >= 500) this.s5xx++;
    else if (st >= 400) {
      this.s4xx++;
      if ((st === 404 || st === 410) && c.originMs >= 0) this.notFound++;
    } else if (st >= 300) this.s3xx++;
    else if (st >= 200) this.s2xx++;
    if (c.queued === true) this.queued++;
    if (c.originMs >= 0) {
      this.forwarded++;
      this.originSum += c.originMs;
      if (c.originMs > this.originMax) this.originMax = c.originMs;
    }
    // A check a browser follows with the same request (isRecheck): counting its path, query and
    // fingerprint twice would halve every uniqueness.
    if (isRecheck(c, fam)) {
      if (c.browser && c.clientState !== 0) this.checked++;
      // The signature still sees who is checked (a flood the surge guard checks from its first request).
      this.offerFingerprint(c, c.req.headers['user-agent']);
      return;
    }
    this.mix(c, cls);
  }

  /** The request against the seen cookie, and how long ago its client was first seen; `cls` its route class's index. */
  private clientFacts(c: Observed, cls: number): void {
    const cs = c.clientState;
    if (cs === 0) this.cookied++;
    else if (cs === 1) {
      this.fresh++;
      if (c.browser) this.browserFresh++;
      if (c.method === 'POST' && isFormPost(c.req.headers['content-type'])) this.formFresh++;
    } else if (cs === 2) {
      this.ignored++;
      if (c.browser) this.browserIgnored++;
    }
    if (c.cookieMoved === true) this.moved++;
    if (c.personLike === true) this.marked++;
    else if (cls !== 0) this.assetless++;
    const age = ageBucket(this.epochS - Math.floor(c.seenAt / 1000));
    if (cs === 0 && age <= 1) this.checkFollowed++;
    this.ages[age]++;
  }

  /** The request's fingerprint in the signature's top list, with an example user agent (classified at tick). */
  private offerFingerprint(c: Observed, ua: string | undefined): void {
    this.topFps.offer(c.fingerprint, 1, c.agent === 'spoofed' ? SPOOFED_LABEL : (ua ?? ''));
  }

  /** What the request adds to the mix: fingerprint, path, query, user agent, route class, identifier walks. */
  private mix(c: Observed, cls: number): void {
    const ua = c.req.headers['user-agent'];
    this.offerFingerprint(c, ua);
    const cf = c.clientFp ?? 0;
    if (cf !== 0) this.topClients.offer(cf, 1, c.transport?.label ?? '');
    // Baseline key shares only need proportions: one request in four (random, weight 4) is enough.
    let x = this.rnd;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rnd = x;
    const sample = (x & 3) === 0;
    if (sample) {
      this.pend.prefix.add(c.prefixKey, 4);
      this.pend.fp.add(c.fingerprint, 4);
    }
    this.histFp[mix32(c.fingerprint) & (HIST - 1)]++;

    const ph = fnv1a(c.path);
    this.topPaths.offer(ph, 1, c.path);
    if (sample) this.pend.path.add(ph, 4);
    this.histPath[mix32(ph) & (HIST - 1)]++;
    this.paths.add(mix32(ph));
    const q = c.query;
    if (q.length > 0) {
      this.withQuery++;
      const qh = fnv1a(q);
      this.queries.add(mix32(qh));
      this.histQuery[mix32(qh) & (HIST - 1)]++;
      if (this.queryNames.novel(q)) this.novelNames++;
      const sh = queryShapeHash(q) ^ ph;
      this.topShapes.offer(sh, 1, c.query);
      if (sample) this.pend.shape.add(sh, 4);
    }
    // The tail of a user agent carries the versions; its length tells most of the rest apart.
    this.histUa[
      (ua === undefined ? 0 : mix32(fnv1a(ua, FNV_OFFSET ^ ua.length, ua.length > 48 ? ua.length - 48 : 0))) &
        (HIST - 1)
    ]++;
    this.walks.observe(c.clientKey, c.clientIp, c.path, this.epochS);
    this.classes[cls]++;
  }

  /**
   * A connection from `ip` closed by a header/body deadline (slowloris, slow POST). `idle`: it never sent a
   * byte. It counts toward the slow-connections vector, but never makes its address a ban candidate:
   * browsers open spare connections they may never use (Chromium's preconnects), and a person's idle
   * spare is closed by the header deadline like a slowloris socket.
   */
  noteSlow(ip: string, idle = false): void {
    this.slow++;
    if (!idle) this.topSlow.offer(clientKeyOf(ip), 1, ip);
  }

  /** An HTTP/2 session from `ip` closed for abuse after `glitches` glitches. */
  noteH2(ip: string, glitches: number): void {
    this.h2++;
    this.h2Glitches += glitches;
    this.topH2.offer(clientKeyOf(ip), 1, ip);
  }

  /** Opens the second that began at `now` (ms): cleared, dated, and the query names' generations turned when due. */
  open(now: number): void {
    this.clear();
    this.queryNames.tick(now);
    this.epochS = Math.floor(now / 1000);
  }

  clear(): void {
    this.requests = this.forwarded = this.refused = this.newSources = this.withQuery = this.novelNames = 0;
    this.s2xx = this.s3xx = this.s4xx = this.s5xx = this.notFound = this.queued = 0;
    this.originSum = this.originMax = this.slow = this.partSecond = this.h2 = this.h2Glitches = 0;
    this.cookied = this.fresh = this.ignored = this.moved = this.browserFresh = this.browserIgnored = 0;
    this.checkIgnored = this.formFresh = this.marked = this.assetless = this.checked = this.checkFollowed = 0;
    this.walkers = [];
    this.crowd = [];
    this.ages.fill(0);
    this.classes.fill(0);
    this.families.fill(0);
    this.outcomes.fill(0);
    this.histPath.fill(0);
    this.histQuery.fill(0);
    this.histUa.fill(0);
    this.histFp.fill(0);
    this.sources.clear();
    this.queries.clear();
    this.paths.clear();
    this.topSources.clear();
    this.topPrefixes.clear();
    this.topFps.clear();
    this.topPaths.clear();
    this.topShapes.clear();
    this.topClients.clear();
    this.pend.clear();
  }
}
