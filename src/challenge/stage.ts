// The challenge stage: serves /.rampart/challenge/*, marks requests with a
// valid pass (or an API token / origin session) as verified, and — only when
// policy set ctx.challengeRequired or `challenge.require` matches the mode
// (sparing the clients known before the detector's surge, as admission and the
// mitigations do) — answers unverified, non-exempt requests with the proof-of-work page
// (GET/HEAD) or a 429 (others). Observe enforcement counts instead of serving.
// Exempt: configured paths, API tokens, the origin session cookie, and (opt-in)
// crawlers verified by reverse DNS in the background (crawlers.ts).
// Per request without a cookie: a startsWith and a few checks; with a pass ~1.2 µs
// (bench/micro/challenge.bench.ts).
import type { Enforcement, Mode, RequestContext, Stage, StageResult } from '../core/model.js';
import type { ChallengeConfig } from '../config/schema/challenge.js';
import { loadAssets } from './assets.js';
import { clientTagOf } from '../core/client-tag.js';
import { compileCrawlers, type Crawlers, type Resolver } from './crawlers.js';
import { compileEndpoints } from './endpoints.js';
import { appealPaths, compileExemptions } from './exempt.js';
import { createMacRing } from '../core/mac.js';
import { StatsRecorder, type ChallengeStats } from './metrics.js';
import { createNoncePool } from './nonce-pool.js';
import { createNonceStore } from './nonce-store.js';
import { CHALLENGE_PREFIX, compileChallengePage, compileFailurePage } from './page.js';
import { cookieValue, createPasses } from './pass.js';
import { challengeVerdicts, sendCookieCheck, sendHtml, sendMarkCheck, sendUnsafe } from './respond.js';
import { CLIENT_COOKIE, COOKIE_MISS_LIMIT } from '../core/model.js';
import { compileLanguages, mergeTexts } from './text.js';
import { createTokens } from './token.js';

export type { Enforcement, Mode };

export interface ChallengeDeps {
  /** Coarse clock, ms since the epoch. */
  now(): number;
  /** HMAC signing keys shared by all nodes, newest first; the newest signs, all verify. */
  keys(): readonly Buffer[];
  mode(): Mode;
  /** 'observe' (shadow mode): count the challenges this stage would serve, serve none. Default enforce. */
  enforcement?(): Enforcement;
  /** DNS for the optional crawler verification; node:dns when absent. */
  resolver?: Resolver;
  /**
   * When the detector's surge began (ms; 0 none): `challenge.require` spares the clients known before
   * it (seen before the surge, returning the seen cookie), as admission and the mitigations do.
   */
  surgeSince?(): number;
  /** The surge's mitigations spare person-like clients (a young detector): those count as known too (ctx.personLike, ctx.markPending). */
  sparesPersons?(): boolean;
}

export interface Challenge {
  stage: Stage;
  stats(): ChallengeStats;
  /** Reverse-DNS crawler verification; null unless exempt.crawlers.enabled. */
  crawlers: Crawlers | null;
  /**
   * For policy, which runs first (unverifiedOnly mitigations): true when the
   * request carries a valid pass, API token or session cookie; sets
   * ctx.verified so the stage does not check twice. ~1 µs with a pass cookie.
   */
  verifies(ctx: RequestContext): boolean;
}

/** Everything compiled once from the config: crypto, stores, pages, exemptions, endpoints. */
function compileParts(config: ChallengeConfig, deps: ChallengeDeps) {
  const ring = createMacRing(deps.keys);
  const passes = createPasses(ring, Math.ceil(config.passTtl / 1000));
  const tokens = createTokens(ring, createNoncePool());
  const store = createNonceStore();
  const stats = new StatsRecorder();
  const texts = mergeTexts(config);
  const pages = compileLanguages(
    texts.map((t) => t.lang),
    texts.map((t) => ({
      challenge: compileChallengePage(t, config.metaRefresh, config.brand),
      failure: compileFailurePage(t, config.brand),
    })),
  );
  const exempt = compileExemptions(config.exempt, appealPaths(texts.map((t) => t.appealUrl)));
  const endpoints = compileEndpoints({
    tokens,
    passes,
    store,
    stats,
    assets: loadAssets(),
    now: deps.now,
    cookieName: config.cookieName,
    passTtlMs: config.passTtl,
    metaRefresh: config.metaRefresh,
    failurePage: (ctx) => pages.pick(ctx.req.headers['accept-language']).failure,
  });
  const crawlers = compileCrawlers(config.exempt.crawlers, deps.now, deps.resolver);
  return { passes, tokens, store, stats, pages, exempt, endpoints, crawlers };
}

/** Assets checks a client is sent before the proof of work (a browser needs one). */
export const MARK_CHECKS = 3;

export function compileChallenge(config: ChallengeConfig, deps: ChallengeDeps): Challenge {
  return new ChallengeStage(config, deps);
}

type Parts = ReturnType<typeof compileParts>;

/**
 * The stage and what it compiled, as one object with fields fixed in the
 * constructor: the pipeline calls `run` on it; `verifies` is made once,
 * bound, because policy calls it detached.
 */
class ChallengeStage implements Challenge, Stage {
  readonly name = 'challenge';
  readonly stage: Stage;
  readonly crawlers: Crawlers | null;
  readonly verifies: (ctx: RequestContext) => boolean;
  private readonly config: ChallengeConfig;
  private readonly deps: ChallengeDeps;
  private readonly passes: Parts['passes'];
  private readonly tokens: Parts['tokens'];
  private readonly store: Parts['store'];
  private readonly counters: Parts['stats'];
  private readonly pages: Parts['pages'];
  private readonly exempt: Parts['exempt'];
  private readonly endpoints: Parts['endpoints'];
  private readonly bitsFor: () => number;
  private readonly requiredByConfig: () => boolean;
  private readonly enforcement: () => Enforcement;

  constructor(config: ChallengeConfig, deps: ChallengeDeps) {
    const parts = compileParts(config, deps);
    this.stage = this;
    this.crawlers = parts.crawlers;
    this.config = config;
    this.deps = deps;
    this.passes = parts.passes;
    this.tokens = parts.tokens;
    this.store = parts.store;
    this.counters = parts.stats;
    this.pages = parts.pages;
    this.exempt = parts.exempt;
    this.endpoints = parts.endpoints;
    this.bitsFor = difficulty(config, deps.mode);
    this.requiredByConfig = requirement(config.require, deps.mode);
    this.enforcement = deps.enforcement ?? (() => 'enforce');
    this.verifies = (ctx) => this.isVerified(ctx);
  }

  run(ctx: RequestContext): StageResult {
    if (ctx.path.startsWith(CHALLENGE_PREFIX)) return this.endpoints(ctx);
    if (this.isVerified(ctx)) return null;
    if (!ctx.challengeRequired) {
      if (this.requiredByConfig() && !this.knownBeforeSurge(ctx)) {
        ctx.challengeRequired = true; // later stages and observers see why the request stopped
        ctx.askedBy = REQUIRE;
      } else if (!ctx.cookieCheck) return null;
    }
    if (this.exempt.path(ctx.path)) return null;
    if (this.crawlers?.allowed(ctx.req.headers['user-agent'], ctx.clientIp)) return null;
    if (!ctx.challengeRequired) return this.cookieCheck(ctx);
    if (this.enforcement() === 'observe') {
      this.counters.counts.wouldChallenge++;
      return null;
    }
    return this.challenge(ctx);
  }

  stats(): ChallengeStats {
    return this.counters.snapshot(this.store, this.crawlers?.stats ?? null);
  }

  private isVerified(ctx: RequestContext): boolean {
    if (ctx.verified) return true;
    const cookie = ctx.req.headers.cookie;
    if ((cookie !== undefined && this.hasPass(ctx, cookie)) || this.exempt.credential(ctx, cookie) !== null)
      ctx.verified = true;
    return ctx.verified;
  }

  private hasPass(ctx: RequestContext, cookie: string): boolean {
    const v = cookieValue(cookie, this.config.cookieName);
    if (v === '') return false;
    const ok = this.passes.verify(v, ctx.prefixKey, clientTagOf(ctx.req), Math.floor(this.deps.now() / 1000));
    if (ok) this.counters.counts.passesAccepted++;
    else this.counters.counts.passesRejected++;
    return ok;
  }

  /** The proof-of-work page (GET), its headers only (HEAD), or a 429 for other methods. */
  private challenge(ctx: RequestContext): StageResult {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return sendUnsafe(ctx);
    // A young detector's ladder before the proof of work: the cookie check for a client without the
    // seen cookie (a browser follows it unnoticed), then the assets check for one without the mark. Not
    // for a jar that moved between User-Agents: it follows both and proves no person by it.
    if (this.young() && !ctx.cookieMoved) {
      if (ctx.clientState !== CLIENT_COOKIE && ctx.issueSeen !== null) {
        const cookie = ctx.issueSeen(ctx);
        // A page's first request gets the assets check at once, with the seen cookie: the stylesheet comes
        // back with it and marks it, one round trip fewer than the cookie check's redirect first. A client
        // back without the cookie, or not asking for a page, gets the cookie check (its 403 after three misses).
        if (firstPage(ctx)) {
          this.counters.counts.markChecks++;
          return sendMarkCheck(ctx, cookie);
        }
        this.counters.counts.cookieChecks++;
        return sendCookieCheck(ctx, cookie, COOKIE_MISS_LIMIT);
      }
      if (this.markCheckable(ctx)) {
        this.counters.counts.markChecks++;
        ctx.noteMarkCheck!(ctx);
        return sendMarkCheck(ctx);
      }
    }
    if (ctx.method === 'HEAD') return sendHtml(ctx, challengeVerdicts.required, '');
    const route = this.counters.routeIndex(ctx.routeClass);
    const bits = this.bitsFor();
    const tag = clientTagOf(ctx.req);
    const issued = this.tokens.issue(ctx.prefixKey, tag, bits, route, this.deps.now(), this.config.challengeTtl);
    this.counters.issued(route);
    const page = this.pages.pick(ctx.req.headers['accept-language']).challenge;
    return sendHtml(ctx, challengeVerdicts.required, page.render(issued.token, issued.seed, bits, ctx.target));
  }

  /**
   * The assets check instead of the proof of work: a young detector's mitigations know people by the assets
   * mark, and this client returns the seen cookie without it on one of its first pages (a person whose
   * first page came after the challenge began; JavaScript or not, a browser loads the stylesheet and
   * reloads, marked). Past MARK_CHECKS pages it gets the proof of work like anyone.
   */
  private markCheckable(ctx: RequestContext): boolean {
    return ctx.noteMarkCheck !== null && ctx.markChecks < MARK_CHECKS && !ctx.personLike;
  }

  /** The live mitigations are a young detector's (they spare persons by the assets mark). */
  private young(): boolean {
    return this.deps.sparesPersons?.() === true;
  }

  /** A client seen before the surge began that returns its seen cookie (a flood's new clients are not). */
  private knownBeforeSurge(ctx: RequestContext): boolean {
    const deps = this.deps;
    if (deps.surgeSince === undefined || ctx.clientState !== CLIENT_COOKIE || ctx.seenAt <= 0) return false;
    const since = deps.surgeSince();
    if (since > 0 && ctx.seenAt < since) return true;
    // A young surge's mitigations spare persons: a client returning the marked cookie is one, however the
    // surge is dated — also when no mitigation dates it (only the cookie check is live, whose "new since" is
    // not the surge's), where the mode's challenge would otherwise give persons the proof of work.
    return (ctx.personLike || ctx.markPending) && deps.sparesPersons !== undefined && deps.sparesPersons();
  }

  /** Only the cookie check was asked: a request with the seen cookie passes; others get the check. */
  private cookieCheck(ctx: RequestContext): StageResult {
    const counts = this.counters.counts;
    if (ctx.clientState === CLIENT_COOKIE) {
      counts.cookieChecksPassed++;
      return null;
    }
    const issue = ctx.issueSeen;
    if (issue === null) return null; // the seen cookie is off: nothing to check with
    if (this.enforcement() === 'observe') {
      counts.wouldCheck++;
      return null;
    }
    // While the live mitigations know people by the assets mark, a page's first request gets the assets
    // check with the cookie at once, as in challenge(): a browser's way in is then the check, its
    // stylesheet and the reload — not a 307 first, then the assets check that the cookie meets next.
    if (this.young() && firstPage(ctx)) {
      counts.markChecks++;
      return sendMarkCheck(ctx, issue(ctx));
    }
    if (ctx.cookieMisses >= COOKIE_MISS_LIMIT) counts.cookieRefused++;
    else counts.cookieChecks++;
    return sendCookieCheck(ctx, issue(ctx), COOKIE_MISS_LIMIT);
  }
}

/** ctx.askedBy when `challenge.require` (the mode) asked for the challenge. */
const REQUIRE = 'challenge/require';

/** A page's first request without the seen cookie: a GET for HTML from a client never given the cookie before. */
function firstPage(ctx: RequestContext): boolean {
  return ctx.cookieMisses === 0 && ctx.method === 'GET' && ctx.req.headers.accept?.includes('text/html') === true;
}

/** `challenge.require`: when this stage asks for a challenge without policy asking. */
function requirement(req: ChallengeConfig['require'], mode: () => Mode): () => boolean {
  if (req === 'off') return () => false;
  if (req === 'always') return () => true;
  if (req === 'elevated') return () => mode() !== 'normal';
  return () => {
    const m = mode();
    return m === 'under_attack' || m === 'recovering';
  };
}

/** Difficulty follows the mode: normal means policy asked for a challenge by hand. */
function difficulty(config: ChallengeConfig, mode: () => Mode): () => number {
  const d = config.difficulty;
  return () => {
    const m = mode();
    return m === 'elevated' ? d.elevated : m === 'under_attack' || m === 'recovering' ? d.underAttack : d.manual;
  };
}
