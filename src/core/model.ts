// Shared types of the data plane: Verdict, RequestContext, Stage, and the
// interfaces that middle-layer modules implement for each other.
// Not behaviour: the pipeline (src/proxy/pipeline.ts) drives these.
// Hot path: one RequestContext per request, fixed shape, no deletes.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a stage decided. `serve` means the stage already wrote the response. */
export type Action = 'allow' | 'limit' | 'deny' | 'challenge' | 'drop' | 'serve' | 'error';

/**
 * A refusal or an outcome, named after its rule (`ban/auto-flood`,
 * `limit/login`, `default/allow`). The same name goes into the
 * `rampart-verdict` header, metric labels, logs and incident evidence.
 * Verdicts are built once at compile time and shared: never mutate one.
 */
export interface Verdict {
  readonly rule: string;
  readonly action: Action;
  readonly status: number;
  /** Seconds for Retry-After (limit/shed), 0 for none. */
  readonly retryAfter: number;
}

const RULE_RE = /^[a-z0-9-]+\/[a-z0-9._:-]+$/;

/** Builds a frozen verdict; rule names are `family/name` in lower case. */
export function verdict(rule: string, action: Action, status: number, retryAfter = 0): Verdict {
  if (!RULE_RE.test(rule)) throw new TypeError(`bad verdict rule name: ${rule}`);
  return Object.freeze({ rule, action, status, retryAfter });
}

export const ALLOW: Verdict = verdict('default/allow', 'allow', 200);

/** The request carried a valid seen cookie (src/identity/seen-cookie.ts). */
export const CLIENT_COOKIE = 0;
/** No cookie, and the first request from this address this process knows of. */
export const CLIENT_FRESH = 1;
/** No cookie, though it was sent to this address in an earlier second: the client drops cookies. */
export const CLIENT_IGNORED = 2;
/** No cookie, seen before (the cookie not sent yet, just sent, or cookies off). */
export const CLIENT_OTHER = 3;
/** Requests in a row without the seen cookie after it was given before the cookie check answers 403 instead of redirecting again; identity offers the cookie again on each of them (a second browser behind the address). */
export const COOKIE_MISS_LIMIT = 3;

/** Route classes known to every module; config may add custom names. */
export type RouteClass = 'static' | 'page' | 'api' | 'login' | 'donate' | 'sensitive' | (string & {});

/** Either an HTTP/1 or an HTTP/2-compat request; both have the same surface we use. */
export type Req = IncomingMessage;
export type Res = ServerResponse;

/**
 * Everything the pipeline knows about one request. All fields are set in the
 * constructor so that V8 keeps one hidden class; stages fill them in order.
 */
export class RequestContext {
  /** Coarse clock (ms since epoch) at arrival. */
  startedAt = 0;
  method = '';
  /** Origin-form request target (path and query) as forwarded. */
  target = '';
  /** Path without the query string, as sent (not decoded). */
  path = '';
  /** Query string without '?', '' when absent. */
  query = '';
  host = '';
  /** Address of the TCP peer. */
  peerIp = '';
  /** Address of the client after trusted-proxy handling. */
  clientIp = '';
  /** 32-bit key of the client address (IPv4 as uint32, IPv6 hashed /64). */
  clientKey = 0;
  /** 32-bit key of the client prefix (/24 IPv4, /48 IPv6 hashed). */
  prefixKey = 0;
  /** 32-bit request fingerprint (header names/order, UA family, Accept-* shape). */
  fingerprint = 0;
  /** The User-Agent claims a browser (chrome, firefox, safari, edge): what a browser does (keep cookies) is expected of it. */
  browser = false;
  /** The connection's passive TLS/HTTP2 fingerprints (src/identity/transport.ts); null for plain HTTP or when off. */
  transport: TransportFacts | null = null;
  /** 32-bit key of the connection's TLS/HTTP2 fingerprints (a limit and signature key); 0 when none. */
  clientFp = 0;
  /** User-agent family after the browser check: 'chrome', 'curl', … or 'spoofed' (a browser claim its TLS/HTTP2 stack contradicts). */
  agent = '';
  /** ISO country code or '' when unknown. */
  country = '';
  /** Autonomous system number or 0 when unknown. */
  asn = 0;
  routeClass: RouteClass = 'page';
  /** 'https' when the client reached us over TLS (or a trusted proxy says so). */
  proto: 'http' | 'https' = 'http';
  httpVersion = '1.1';
  /** The client carries a valid pass (challenge solved) or an origin session. */
  verified = false;
  /** When this client was first seen (ms since epoch): its seen cookie or this process's client book; this request's time for a newcomer. */
  seenAt = 0;
  /** The request against the seen cookie: CLIENT_COOKIE, CLIENT_FRESH, CLIENT_IGNORED or CLIENT_OTHER. */
  clientState = 3;
  /** The client book slot identity found for this client (-1: none); the response notes a cookie sent there. */
  clientSlot = -1;
  /** Requests in a row this address sent without the cookie it was given (identity's client book). */
  cookieMisses = 0;
  /**
   * Its cookie jar moved between User-Agents: it carried a genuine seen cookie of its prefix issued to a
   * User-Agent of another shape (src/identity/seen-cookie.ts `moved`), or a valid one given after such a move
   * (`rotated`, "r"). A person's browser keeps its User-Agent; a tool drawing one per request does not.
   */
  cookieMoved = false;
  /** The seen cookie it returned says it loaded a page's assets with it (what a browser does, most floods do not). */
  personLike = false;
  /**
   * A client with the seen cookie but no assets mark yet asks for an asset with it: the answer marks the
   * cookie, so the request is spared like a person-like one (challenging it would keep a person from ever
   * earning the mark).
   */
  markPending = false;
  /**
   * Its query against the names lately seen, asked by policy only while a mitigation matches on it
   * (Mitigation match.novelNames): 0 not asked, 1 it carries a parameter name not seen lately, 2 it does not.
   */
  novelName = 0;
  /** It waited in the admission queue for a free slot at the origin (admission found the origin at its concurrency limit). */
  queued = false;
  /** A GET with the seen cookie but no assets mark: how many assets checks its client was sent (identity's client book). */
  markChecks = 0;
  /** Set by identity on such a GET: the challenge stage calls it when it sends the assets check. */
  noteMarkCheck: ((ctx: RequestContext) => void) | null = null;
  /** Set by identity for a request without a valid seen cookie: returns a Set-Cookie value for it (and notes that it was sent). */
  issueSeen: ((ctx: RequestContext) => string) | null = null;
  /** A served response (origin or cache) should carry the seen cookie (identity: not sent to this client in the last minute). */
  offerSeen = false;
  /** Policy or mode asks the challenge stage to require a pass. */
  challengeRequired = false;
  /** Policy asks the challenge stage for the no-JavaScript cookie check (weaker than challengeRequired, which wins). */
  cookieCheck = false;
  /**
   * What asked for the challenge or the cookie check ('' nothing): a mitigation's rule, the surge guard's
   * (`surge/…`) or the mode's (`challenge/require`). The access log says it with each refusal.
   */
  askedBy = '';
  /** Observe (shadow) mode: the rule policy would have applied, '' when none. Nothing was refused. */
  shadowRule = '';
  /** Final verdict; `default/allow` unless a stage refused or served. */
  verdict: Verdict = ALLOW;
  /** Status sent to the client (set when the response ends). */
  status = 0;
  /** Origin time to first byte in ms; -1 when the origin was not asked. */
  originMs = -1;
  bytesOut = 0;
  /** Called once when the response is finished or aborted (admission release, cache fill). */
  onDone: ((ctx: RequestContext) => void) | null = null;
  /** Bytes after the head of an Upgrade request (WebSocket); null for ordinary requests. */
  upgradeHead: Buffer | null = null;
  /** Set by the cache stage to receive the origin response for storing. */
  cacheSink: CacheSink | null = null;
  req: Req;
  res: Res;

  constructor(req: Req, res: Res) {
    this.req = req;
    this.res = res;
  }
}

/** A connection's passive fingerprints as the data plane reads them (src/identity/transport.ts Transport fits). */
export interface TransportFacts {
  readonly ja4: string;
  readonly h2: string;
  readonly key: number;
  readonly family: string;
  /** "ja4 h2" (signatures, evidence). */
  readonly label: string;
}

/** Receives a forwarded origin response (the cache fills itself from it). */
export interface CacheSink {
  /** Return false to stop receiving (e.g. not cacheable). */
  start(status: number, headers: Record<string, string | string[] | undefined>): boolean;
  data(chunk: Buffer): void;
  end(): void;
  abort(): void;
  /** Serves a stored copy past its freshness (origin failed, shed, circuit open); true when it did. */
  serveStale(ctx: RequestContext): boolean;
}

/** null: go on to the next stage. A Verdict: stop (respond unless action is `serve`). */
export type StageResult = Verdict | null | PromiseLike<Verdict | null>;

/** One step of the request lifecycle; `run` is synchronous unless it does I/O. */
export interface Stage {
  readonly name: string;
  run(ctx: RequestContext): StageResult;
}

/** Called after the response has ended; must be O(1) and never throw. */
export type Observer = (ctx: RequestContext) => void;

export function isThenable<T>(v: unknown): v is PromiseLike<T> {
  return v !== null && typeof v === 'object' && typeof (v as { then?: unknown }).then === 'function';
}

// ---------------------------------------------------------------------------
// Shared defense types. The detector writes them, shared state carries them
// between workers and nodes, policy/challenge/guard read them, control shows
// them. Plain data (JSON-safe), so every backend can store them.

/** The attack mode: the detector steps it, an operator may force it. */
export type Mode = 'normal' | 'elevated' | 'under_attack' | 'recovering';
export const MODES: readonly Mode[] = ['normal', 'elevated', 'under_attack', 'recovering'];

/** A ban of one address or CIDR, refused at accept time until `until`. */
export interface Ban {
  /** An address ("203.0.113.7", "2001:db8::1") or CIDR ("203.0.113.0/24"). */
  readonly target: string;
  /** The verdict rule that names it, e.g. `ban/manual`, `ban/auto-flood`. */
  readonly rule: string;
  /** ms since the epoch. */
  readonly createdAt: number;
  readonly until: number;
  /** Why, in words, with the figures that triggered it. */
  readonly reason: string;
  readonly source: 'manual' | 'auto';
}

/**
 * A mitigation scoped to an attack's signature, chosen by the detector (or an
 * operator) and applied by policy to matching requests until `until`.
 * Empty match lists mean "any"; all non-empty lists must match.
 */
export interface Mitigation {
  readonly id: string;
  /**
   * `check`: the no-JavaScript cookie check (a redirect that sets the seen
   * cookie; a browser follows it unnoticed, a client that drops cookies never
   * gets past it); `challenge`: the proof-of-work interstitial.
   */
  readonly action: 'limit' | 'challenge' | 'deny' | 'check';
  /** Verdict rule, e.g. `mitigate/limit-signature`, `mitigate/challenge-route`. */
  readonly rule: string;
  readonly match: {
    readonly prefixKeys: readonly number[];
    readonly fingerprints: readonly number[];
    readonly routeClasses: readonly string[];
    /** Raw path prefixes. */
    readonly paths: readonly string[];
    /** Only clients without a pass or origin session (ctx.verified false). */
    readonly unverifiedOnly: boolean;
    /** Only clients first seen at or after this time (ms since the epoch; ctx.seenAt): the ones who arrived with the surge. 0 or absent: any. */
    readonly newSince?: number;
    /** Only requests without a valid seen cookie. */
    readonly cookieless?: boolean;
    /** With newSince: clients whose seen cookie says they loaded a page's assets (ctx.personLike) pass too (a young detector's "known"), and so do the asset requests that earn the mark (ctx.markPending). */
    readonly sparesPersons?: boolean;
    /** Only requests whose query carries a parameter name not seen in the last 10–20 s (a cache-busting tool's random names; src/detector/query-names.ts). */
    readonly novelNames?: boolean;
    /** Only requests from a cookie jar that moved between User-Agents (ctx.cookieMoved). */
    readonly moved?: boolean;
  };
  /** For `limit`: requests per second allowed per client address. */
  readonly rate: number;
  /** For `limit`: requests allowed at once (default: one second's worth). */
  readonly burst?: number;
  readonly createdAt: number;
  readonly until: number;
  readonly reason: string;
  /** The numbers behind the decision (e.g. { rps: 4100, baseline: 80, share: 0.93 }). */
  readonly figures: Readonly<Record<string, number>>;
}

/** Enforce acts on requests; observe (shadow mode) only records what it would do. */
export type Enforcement = 'enforce' | 'observe';

/**
 * What every part that touches requests follows, as the detector does: observe when the configuration
 * says so (`detector.enforcement: observe`) or the shared state does (the admin API, `rampart mode
 * observe`, another node).
 */
export function effectiveEnforcement(configured: Enforcement, shared: Enforcement): Enforcement {
  return configured === 'observe' || shared === 'observe' ? 'observe' : 'enforce';
}
