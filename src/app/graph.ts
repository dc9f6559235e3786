// Builds the data-plane graph for one configuration: stages, forwarder,
// pipeline. A reload builds a new graph beside the old one and swaps it in;
// nothing here listens on a socket (app.ts owns the listeners).
import type { Config } from '../config/schema.js';
import { effectiveEnforcement, type Enforcement, type Observer, type RequestContext } from '../core/model.js';
import type { PolicyView } from '../policy/decide.js';
import { compileChallenge, type Challenge } from '../challenge/stage.js';
import { compileCache, type Cache } from '../cache/stage.js';
import type { Store } from '../cache/store.js';
import { compileAdmission, type Admission } from '../proxy/admission.js';
import { BodyWatch } from '../guard/body-guard.js';
import { compileIdentity, type Identity } from '../identity/stage.js';
import type { ClientBook } from '../identity/client-book.js';
import { createSeenCookie } from '../identity/seen-cookie.js';
import { SurgeGuard } from '../identity/surge-guard.js';
import { createMacRing } from '../core/mac.js';
import type { Geo } from '../identity/geo.js';
import { compilePolicy } from '../policy/decide.js';
import { createPolicyStage, type PolicyStage } from '../policy/stage.js';
import { createForwarder, type Forwarder } from '../proxy/forward.js';
import { compileHosts, compileHygiene } from '../proxy/hygiene.js';
import { createPipeline, type Pipeline } from '../proxy/pipeline.js';
import { tunnel } from '../proxy/tunnel.js';
import type { SharedState } from '../state/index.js';
import type { Logger } from './logger.js';

export interface Graph {
  readonly config: Config;
  readonly pipeline: Pipeline;
  readonly forwarder: Forwarder;
  readonly identity: Identity;
  readonly bodyWatch: BodyWatch;
  /** Route classes, lists, bans, limits, mitigations; stats() and refusesAtAccept() for control and the guard. */
  readonly policy: PolicyStage;
  /** null when `challenge.enabled` is false; stats() feeds control. */
  readonly challenge: Challenge | null;
  /** Origin protection (docs/origin-protection.md); null when disabled. stats() feed control and the detector. */
  readonly cache: Cache | null;
  readonly admission: Admission | null;
  /** The enforcement in force: observe when the configuration or the shared state says so (effectiveEnforcement). */
  enforcement(): Enforcement;
  close(): Promise<void>;
}

export interface GraphDeps {
  now(): number;
  log: Logger;
  observers: readonly Observer[];
  /** The process's shared state (one per app, survives reloads); modules take narrow views of it. */
  state: SharedState;
  /** Country/ASN databases, loaded once per app (src/identity/geo.ts); null when geo.enabled is false. */
  geo?: Geo | null;
  /** The graph a reload replaces: policy keeps its rate-limit buckets from it. */
  previous?: Graph | null;
  /** Processes sharing the origin (cluster workers): each admits origin_protection's limit / this. Default 1. */
  originShares?: number;
  /** The process's client book (created once per app: reloads keep who was seen when); null: none. */
  book?: ClientBook | null;
  /** Opens the response store (cluster workers: the machine's shared one); null: this process's memory. */
  cacheStore?: ((maxBytes: number) => Store) | null;
  /** The detector's book of query names lately seen (Detector.novelQuery), for mitigations of novel names; null: none. */
  novelQuery?: ((q: string) => boolean) | null;
}

/**
 * `rate_limits.tracked` is the machine's: with N workers each tracks 1/N of it
 * (connections spread over the workers, so each sees about 1/N of the
 * distinct clients; a heavy client stays recent in every worker it uses), and
 * the limit tables' memory is the same whatever the number of cores.
 */
function machineShare(policy: Config['policy'], shares: number): Config['policy'] {
  if (shares <= 1) return policy;
  const rl = policy.rateLimits;
  return { ...policy, rateLimits: { ...rl, tracked: Math.max(1024, Math.ceil(rl.tracked / shares)) } };
}

export function buildGraph(config: Config, deps: GraphDeps): Graph {
  const identity = identityOf(config, deps);
  const { bodyWatch, forwarder, forward } = forwardingOf(config, deps, identity);
  const st = deps.state;
  // The configuration's observe holds on the request path too, not only in the detector.
  const configured = config.detector.enforcement;
  const enforcement = () => effectiveEnforcement(configured, st.enforcement());
  const view: PolicyView = {
    mode: () => st.mode(),
    enforcement,
    isBanned: (ip, now) => st.isBanned(ip, now),
    mitigations: () => st.mitigations(),
    version: () => st.version(),
  };
  const challenge = config.challenge.enabled
    ? compileChallenge(config.challenge, {
        now: deps.now,
        keys: () => st.keys(),
        mode: () => st.mode(),
        enforcement,
        surgeSince: () => policy.policy.surgeSince(st, deps.now()),
        sparesPersons: () => policy.policy.sparesPersons(st, deps.now()),
      })
    : null;
  // Policy runs before the challenge stage; unverifiedOnly mitigations ask it whether a pass is valid.
  const policy = createPolicyStage(
    compilePolicy(machineShare(config.policy, deps.originShares ?? 1), {
      verified: challenge === null ? undefined : challenge.verifies,
      previous: deps.previous?.policy.policy ?? null,
      novelQuery: deps.novelQuery ?? null,
    }),
    view,
    deps.now,
  );
  const { cache, admission } = originProtectionOf(config, deps, {
    surgeSince: () => policy.policy.surgeSince(st, deps.now()),
    sparesPersons: () => policy.policy.sparesPersons(st, deps.now()),
  });
  const pipeline = createPipeline({
    slots: {
      parse: compileHygiene(compileHosts(config.hosts), config.limits.maxBodyBytes),
      identity,
      policy,
      challenge: challenge === null ? null : challenge.stage,
      cache: cache === null ? null : cache.stage,
      admission: admission === null ? null : admission.stage,
    },
    forward,
    observers: deps.observers,
    now: deps.now,
    onInternalError: (err, ctx) =>
      deps.log.error({ err, path: ctx.path, method: ctx.method }, 'internal error in pipeline'),
  });
  const close = () => {
    admission?.close();
    return forwarder.close();
  };
  return { config, pipeline, forwarder, identity, bodyWatch, policy, challenge, cache, admission, enforcement, close };
}

/** The identity stage: the seen cookie, the surge guard (per process: a worker sees its share of a crowd). */
function identityOf(config: Config, deps: GraphDeps): Identity {
  const sc = config.identity.seenCookie;
  const seen = sc.enabled
    ? createSeenCookie(
        createMacRing(() => deps.state.keys()),
        sc.name,
        Math.floor(sc.maxAge / 1000),
      )
    : null;
  const sg = config.identity.surgeGuard;
  const surge =
    sg.enabled && seen !== null && config.challenge.enabled
      ? new SurgeGuard(sg.newClients / Math.max(1, deps.originShares ?? 1), (count, usual) =>
          deps.log.warn(
            { newClients: count, usual: Math.round(usual * 10) / 10, slotMs: 250 },
            'surge guard: a crowd of new clients; the ones without the seen cookie get the cookie check for 10 s',
          ),
        )
      : null;
  return compileIdentity({
    trustedProxies: config.trustedProxies,
    geo: deps.geo ?? null,
    book: deps.book ?? null,
    seen,
    surge,
    checkClaims: config.fingerprints.checkBrowserClaims,
  });
}

/** The forwarder to the origin (and tunnels for upgrades), with the slow-body watch. */
function forwardingOf(config: Config, deps: GraphDeps, identity: Identity) {
  const limits = config.limits;
  const bodyWatch = new BodyWatch();
  const origin = new URL(config.origin);
  const forwarder = createForwarder({
    origin: origin.origin,
    connections: limits.originConnections,
    headersTimeout: limits.originTimeout,
    connectTimeout: limits.originConnectTimeout,
    bodyTimeout: limits.originTimeout,
    body: { maxBytes: limits.maxBodyBytes, minRate: limits.bodyMinRate, graceMs: limits.bodyGrace },
    watch: bodyWatch,
    now: deps.now,
  });
  const forward = (ctx: RequestContext): void => {
    const trusted = identity.peerTrusted(ctx);
    if (ctx.upgradeHead !== null) tunnel(ctx, origin, trusted, limits.originConnectTimeout);
    else forwarder.forward(ctx, trusted);
  };
  return { bodyWatch, forwarder, forward };
}

/** Cache and admission control; stored copies survive a reload, but never a change of origin. */
function originProtectionOf(
  config: Config,
  deps: GraphDeps,
  surge: { surgeSince: () => number; sparesPersons: () => boolean },
) {
  const op = config.originProtection;
  const st = deps.state;
  const sameOrigin = deps.previous?.config.origin === config.origin;
  const cacheDeps = {
    now: deps.now,
    mode: st ? () => st.mode() : () => 'normal' as const,
    extraIgnoredCookies: [config.challenge.cookieName, config.identity.seenCookie.name],
    openStore: deps.cacheStore ?? null,
    forget: deps.previous != null && !sameOrigin,
  };
  const cache = op.cache.enabled
    ? compileCache(op.cache, cacheDeps, sameOrigin ? (deps.previous?.cache ?? null) : null)
    : null;
  const admission =
    op.admission.enabled || op.circuit.enabled
      ? compileAdmission(op.admission, op.circuit, {
          now: deps.now,
          shares: deps.originShares,
          previous: deps.previous?.admission ?? null,
          ...surge,
        })
      : null;
  return { cache, admission };
}
