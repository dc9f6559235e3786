// compilePolicy(config) → Policy, and its decide(ctx, view, now): route class,
// allow list, deny list, bans, the detector's mitigations, then rate limits.
// Returns the verdict policy would give (allow/limit/deny/drop/challenge) or
// null to go on; enforcement (observe vs enforce) is the stage's business.
// Hot path: synchronous, nothing retained per request (measured ≤ ~36 B of short-lived boxed doubles), reads the view only
// through synchronous methods (never awaits a store).
import { compileCidrSet, type CidrSet } from '../core/cidr-set.js';
import type { Ban, Enforcement, Mitigation, Mode, RequestContext, Verdict } from '../core/model.js';
import type { PolicyConfig } from '../config/schema/policy.js';
import type { TakeSink, TokenBuckets } from '../core/token-bucket.js';
import { compileLimits, type Limits, type LimitStats, type LimitTables } from './limits.js';
import { compileMitigation, createMitigationSet, matches, type MitigationSet } from './mitigations.js';
import { compileRoutes, type RouteClassifier } from './routes.js';
import { createBanVerdicts, policyVerdicts } from './verdicts.js';

/** What policy reads from shared state (src/state's SharedState fits). */
export interface PolicyView {
  mode(): Mode;
  enforcement(): Enforcement;
  isBanned(ip: string, now: number): Ban | null;
  mitigations(): readonly Mitigation[];
  version(): number;
}

export interface PolicyOptions {
  /**
   * Tells whether a request carries a valid pass, for limit/deny mitigations
   * marked unverifiedOnly (the challenge stage runs after policy). Absent: an
   * unverifiedOnly `deny` asks for a challenge instead (a verified client
   * walks through, an unverified one cannot), and an unverifiedOnly `limit`
   * applies to every matching client (per-client rates sit above human pace).
   */
  verified?: (ctx: RequestContext) => boolean;
  /** The policy this one replaces (config reload): its bucket tables are kept. */
  previous?: Policy | null;
  /**
   * Whether a query carries a parameter name not seen lately (the detector's book of names, without
   * marking): asked only for a live mitigation of novel names. Absent: such a mitigation matches nothing.
   */
  novelQuery?: ((q: string) => boolean) | null;
}

export interface Policy {
  readonly routes: RouteClassifier;
  /** Sets ctx.routeClass; returns the verdict policy would give, or null. */
  decide(ctx: RequestContext, view: PolicyView, now: number): Verdict | null;
  /** Accept-time check (guard): true when `ip` is denied or banned and not allow-listed. */
  refusesAtAccept(ip: string, view: PolicyView, now: number): boolean;
  limitStats(): LimitStats | null;
  /** When the surge the live mitigations answer began (ms), 0 when none says: clients first seen before it are "known" (admission). */
  surgeSince(view: PolicyView, now: number): number;
  /** The live mitigations of new clients spare person-like ones (a young detector): they count as known (challenge, admission). */
  sparesPersons(view: PolicyView, now: number): boolean;
  /** Bucket tables handed to the next policy on reload. */
  readonly tables: {
    limits: LimitTables | null;
    mitigations(): TokenBuckets | null;
    watchMitigations(sink: TakeSink | null): void;
  };
}

export function compilePolicy(config: PolicyConfig, opts: PolicyOptions = {}): Policy {
  return new CompiledPolicy(config, opts);
}

/** The compiled rules; fields fixed in the constructor, decide() and its steps are prototype methods. */
class CompiledPolicy implements Policy {
  readonly routes: RouteClassifier;
  readonly tables: Policy['tables'];
  private readonly names: RouteClassifier['names'];
  private readonly allow: CidrSet | null;
  private readonly deny: CidrSet | null;
  private readonly limits: Limits | null;
  private readonly banVerdict: (rule: string) => Verdict;
  private readonly mitigations: MitigationSet;
  private readonly verified: ((ctx: RequestContext) => boolean) | null;
  private readonly novelQuery: ((q: string) => boolean) | null;

  constructor(config: PolicyConfig, opts: PolicyOptions) {
    this.routes = compileRoutes(config.routes);
    this.names = this.routes.names;
    this.allow = config.allow.length > 0 ? compileCidrSet(config.allow) : null;
    this.deny = config.deny.length > 0 ? compileCidrSet(config.deny) : null;
    const prev = opts.previous?.tables ?? null;
    const limits = compileLimits(config.rateLimits, this.names, prev?.limits ?? null);
    const mitigations = createMitigationSet(
      Math.max(1024, config.rateLimits.tracked >>> 2),
      prev?.mitigations() ?? null,
    );
    this.limits = limits;
    this.banVerdict = createBanVerdicts(config.bans.action === 'drop');
    this.mitigations = mitigations;
    this.verified = opts.verified ?? null;
    this.novelQuery = opts.novelQuery ?? null;
    this.tables = {
      limits: limits === null ? null : limits.tables,
      mitigations: () => mitigations.buckets(),
      watchMitigations: (s) => mitigations.watch(s),
    };
  }

  decide(ctx: RequestContext, view: PolicyView, now: number): Verdict | null {
    const cls = this.routes.classify(ctx);
    const name = this.names[cls];
    ctx.routeClass = name;
    const ip = ctx.clientIp;
    if (this.allow?.has(ip)) return policyVerdicts.allowList;
    if (this.deny?.has(ip)) return policyVerdicts.denyList;
    const ban = view.isBanned(ip, now);
    if (ban !== null) return this.banVerdict(ban.rule);
    // A challenge mitigation does not stop the limits: a verdict that refuses wins over it.
    const m = this.mitigate(ctx, view, now, name);
    if (m !== null && m.action !== 'challenge') return m;
    const l = this.limits === null ? null : this.limits.check(ctx, cls, now);
    return l !== null ? l : m;
  }

  refusesAtAccept(ip: string, view: PolicyView, now: number): boolean {
    if (this.allow?.has(ip)) return false;
    if (this.deny?.has(ip)) return true;
    return view.isBanned(ip, now) !== null;
  }

  limitStats(): LimitStats | null {
    return this.limits === null ? null : this.limits.stats();
  }

  surgeSince(view: PolicyView, now: number): number {
    return this.mitigations.surgeSince(view.version(), view, now);
  }

  sparesPersons(view: PolicyView, now: number): boolean {
    return this.mitigations.sparesPersons(view.version(), view, now);
  }

  /**
   * The detector's live mitigations for this request: the first refusing
   * limit/deny wins; else a challenge (or the cookie check) to ask for.
   */
  private mitigate(ctx: RequestContext, view: PolicyView, now: number, cls: string): Verdict | null {
    const list = this.mitigations.current(view.version(), view);
    if (list.length === 0) return null;
    const verified = this.verified;
    let challenge: Verdict | null = null;
    let check: Verdict | null = null;
    let since = 0;
    for (let i = 0; i < list.length; i++) {
      const c = list[i];
      if (now >= c.until) continue;
      if (c.novelNames && ctx.novelName === 0) ctx.novelName = this.namesOf(ctx);
      if (!matches(c, ctx, cls)) continue;
      if (c.action === 'check') {
        if (check === null) check = c.verdict;
        continue;
      }
      if (c.action === 'challenge') {
        if (challenge === null) {
          challenge = c.verdict;
          since = c.newSince > 0 ? c.newSince : c.createdAt - KNOWN_BEFORE_MS;
        }
        continue;
      }
      if (c.unverifiedOnly) {
        if (verified !== null) {
          if (verified(ctx)) continue;
        } else if (c.action === 'deny') {
          // Cannot tell who holds a pass here: ask for one instead of denying everyone.
          if (challenge === null) challenge = challengeOf(c.verdict);
          continue;
        }
        // A limit without a verifier applies to every matching client: a person
        // stays under a per-client rate the detector sets above human pace.
      }
      const v = c.action === 'deny' ? c.verdict : this.mitigations.limit(c, ctx.clientKey, now);
      if (v !== null) return v;
    }
    if (challenge !== null && this.sparesKnownForm(ctx, cls, since)) {
      return this.mitigations.limit(KNOWN_FORM, ctx.clientKey, now);
    }
    return challenge ?? check;
  }

  /** ctx.novelName for a mitigation of novel query names: 1 a name not seen lately, 2 none (or no query, or no book). */
  private namesOf(ctx: RequestContext): number {
    const peek = this.novelQuery;
    return ctx.query.length > 0 && peek !== null && peek(ctx.query) ? 1 : 2;
  }

  /**
   * A person mid-donation or mid-login cannot pass a challenge with a form POST (its body
   * would be lost): a client first seen before the surge (or 5 s before the mitigation) is
   * rate-limited instead.
   */
  private sparesKnownForm(ctx: RequestContext, cls: string, since: number): boolean {
    const verified = this.verified;
    return (
      FORM_CLASSES.has(cls) &&
      UNSAFE.has(ctx.method) &&
      ctx.seenAt > 0 &&
      ctx.seenAt < since &&
      (verified === null || !verified(ctx))
    );
  }
}

/** Route classes whose form posts are spared a challenge mitigation for clients seen before it (built-in class names). */
const FORM_CLASSES = new Set(['login', 'donate']);
const UNSAFE = new Set(['POST', 'PUT', 'PATCH']);
/** Clients first seen this long before a challenge mitigation (without a surge time) count as browsing before it. */
const KNOWN_BEFORE_MS = 5_000;
/** One form post per 2 s per known client (burst 1): a person submits once; a flood from known addresses stays small. */
const KNOWN_FORM = compileMitigation({
  id: 'known-form',
  action: 'limit',
  rule: 'mitigate/known-form-limit',
  match: { prefixKeys: [], fingerprints: [], routeClasses: [], paths: [], unverifiedOnly: true },
  rate: 0.5,
  createdAt: 0,
  until: Infinity,
  reason: 'form posts of clients seen before a challenge mitigation',
  figures: {},
});

// A limit/deny mitigation for unverified clients, without a way to check passes: challenge instead.
const asChallenge = new WeakMap<Verdict, Verdict>();
function challengeOf(v: Verdict): Verdict {
  let c = asChallenge.get(v);
  if (c === undefined) {
    c = Object.freeze({ rule: v.rule, action: 'challenge' as const, status: 403, retryAfter: 0 });
    asChallenge.set(v, c);
  }
  return c;
}
