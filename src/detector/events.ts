// Typed events of the detector, for the incident store, dashboard and alerts:
// attack start / update (one per second while active, with the full sample) /
// end, escalation (mode change) and mitigation (an action with its reason and
// figures). Complete enough that an incident can be rebuilt from them alone.
// Plain JSON-safe data; built once per second at most (never per request).
import type { Ban, Enforcement, Mitigation, Mode } from '../core/model.js';

/** `login_stuffing`: a flood of the login class (credential stuffing); `form_flood`: of the donate class (a donation-form flood). */
export const VECTORS = [
  'single_source_flood',
  'distributed_flood',
  'cache_busting',
  'login_stuffing',
  'form_flood',
  'enumeration',
  'slow_connections',
  'pulse_wave',
  'low_and_slow',
  'h2_abuse',
] as const;
export type Vector = (typeof VECTORS)[number];

/** The route classes the detector keeps separate series for; anything else counts as `other`. */
export const ROUTE_CLASSES = ['static', 'page', 'api', 'login', 'donate', 'sensitive', 'other'] as const;
/** Verdict families counted per second (`family/name` rule prefix). */
export const FAMILIES = [
  'default',
  'ban',
  'limit',
  'mitigate',
  'challenge',
  'cache',
  'origin',
  'mode',
  'other',
] as const;

/** One closed second of traffic as the detector saw it. */
export interface SecondSample {
  /** Start of the second, ms since the epoch. */
  t: number;
  requests: number;
  /** Requests that reached the origin (originMs ≥ 0). */
  forwarded: number;
  /** Requests answered by Rampart instead of the origin, cache answers aside (bans, limits, challenges, sheds). */
  refused: number;
  /** Distinct client addresses (HyperLogLog estimate). */
  sources: number;
  /** Addresses not seen in the last ~10–20 minutes. */
  newSources: number;
  status: { s2xx: number; s3xx: number; s4xx: number; s5xx: number };
  /** Mean and max origin time to first byte (ms) over forwarded requests; 0 when none. */
  originMs: number;
  originMaxMs: number;
  /** Requests per route class (ROUTE_CLASSES). */
  classes: Record<string, number>;
  /** Requests per verdict family (FAMILIES). */
  families: Record<string, number>;
  /** Requests per outcome (core/outcome.ts: forwarded, cache, challenged, shed, refused by family), non-zero ones: they add up to `requests`. */
  outcomes: Record<string, number>;
  /** Normalised Shannon entropy (0..1) of paths, query strings, user agents, fingerprints. */
  entropy: { path: number; query: number; ua: number; fingerprint: number };
  /** Distinct paths / requests (1 = every path unique: random paths, enumeration). */
  pathUniqueness: number;
  /** Requests carrying a query string. */
  withQuery: number;
  /** Distinct query strings / requests carrying one (1 = every query unique, cache-busting). */
  queryUniqueness: number;
  /** Requests whose query's parameter names were not seen in the last 10–20 s (random names: a cache-busting tool's). */
  novelNames: number;
  /** Requests the origin answered 404 or 410 (absent from samples stored by older versions). */
  notFound?: number;
  /** Requests that waited in the admission queue: the origin at its concurrency limit (absent from samples stored by older versions). */
  queued?: number;
  /** Connections closed by header/body deadlines this second. */
  slowConnections: number;
  /**
   * Requests against the seen cookie (docs/detector.md): `cookie` returned it,
   * `fresh` were a client's first request, `ignored` came from clients that
   * were given it and dropped it (`browser…`: of those, the ones whose
   * User-Agent claims a browser); `checkIgnored` were answered by the cookie
   * check again, for clients that came back without the cookie it gave them;
   * `formFresh` are form posts sent as their client's first request;
   * `marked` came from clients whose seen cookie says they loaded a page's
   * assets, `assetless` are requests for anything but an asset from clients
   * without that mark; `checked` are cookie checks (307) sent to
   * browser-claiming clients without the cookie, `checkFollowed` requests
   * returning it from clients first seen in the last two seconds; `moved`
   * carried a genuine seen cookie issued to a User-Agent of another shape
   * (one cookie jar under rotating User-Agents);
   * `recent` came from clients first seen in the last 15 s.
   */
  clients: {
    cookie: number;
    fresh: number;
    ignored: number;
    browserFresh: number;
    browserIgnored: number;
    checkIgnored: number;
    formFresh: number;
    marked: number;
    assetless: number;
    checked: number;
    checkFollowed: number;
    moved: number;
    recent: number;
  };
  /** HTTP/2 sessions closed with GOAWAY for abuse this second (rapid reset, CONTINUATION floods, glitches: src/guard/h2-guard.ts). */
  h2Abuse: number;
  /** Anomaly score: ≥ 1 means anomalous (volume and composition); see docs/detector.md. */
  score: number;
}

/** A key over-represented in the current traffic, with the figures against its baseline. */
export interface SignatureItem {
  /** uint32 key: address, /24 prefix, fingerprint, path hash, query-shape hash. */
  key: number;
  /** Human form: address, "203.0.113.0/24", path, an example query, fingerprint in hex. */
  label: string;
  /** Requests in the sampled window. */
  count: number;
  /** Share of the window's requests. */
  share: number;
  /** Share in the learned baseline (0 when never seen). */
  baselineShare: number;
  /** share / max(baselineShare, 0.001). */
  lift: number;
  /** Fingerprints only: the user-agent family of an example request (chrome, firefox, safari, edge, curl, python, go, node, bot, other, none). */
  family?: string;
  /** Fingerprints only: over-represented enough to blame (a tool, or a browser look-alike at 10× min_lift). */
  suspicious?: boolean;
}

export interface ClassShare {
  name: string;
  share: number;
  baselineShare: number;
  lift: number;
}

export interface Signature {
  sources: SignatureItem[];
  prefixes: SignatureItem[];
  fingerprints: SignatureItem[];
  paths: SignatureItem[];
  queryShapes: SignatureItem[];
  /** Connections' TLS/HTTP2 fingerprints (JA4 and the HTTP/2 fingerprint) over-represented this second; no baseline. */
  clients?: SignatureItem[];
  routeClasses: ClassShare[];
}

/** One classified vector and the numbers behind it. */
export interface VectorFinding {
  vector: Vector;
  reason: string;
  figures: Record<string, number>;
  /** `enumeration` found by the template watch: the path templates walked (e.g. `/api/donors/{id}`). */
  templates?: string[];
}

/** An action taken (or, in observe enforcement, that would have been taken). */
export interface MitigationAction {
  kind: 'ban' | 'mitigation' | 'remove_mitigation';
  /** Verdict rule the action enforces (`ban/auto-flood`, `mitigate/limit-signature`…). */
  rule: string;
  /** 1 = scoped to the signature, 2 = the attacked route classes, 3 = every unverified client. */
  level: number;
  ban: Ban | null;
  mitigation: Mitigation | null;
  reason: string;
  figures: Record<string, number>;
  /** False in observe enforcement: recorded, not written to state. */
  applied: boolean;
}

interface EventBase {
  incidentId: string;
  /** ms since the epoch (the tick's clock read). */
  at: number;
}

export interface AttackStartEvent extends EventBase {
  type: 'attack_start';
  /** The same attack as before a restart, going on under its id (its earlier seconds are already recorded). */
  resumed?: boolean;
  mode: Mode;
  enforcement: Enforcement;
  vectors: VectorFinding[];
  signature: Signature;
  sample: SecondSample;
  baseline: BaselineFigures;
}

export interface AttackUpdateEvent extends EventBase {
  type: 'attack_update';
  mode: Mode;
  vectors: VectorFinding[];
  signature: Signature;
  sample: SecondSample;
  /** Incident totals so far. */
  totals: IncidentTotals;
}

export interface AttackEndEvent extends EventBase {
  type: 'attack_end';
  startedAt: number;
  durationMs: number;
  vectors: Vector[];
  totals: IncidentTotals;
  /** Top sources, prefixes, fingerprints, paths over the whole incident. */
  signature: Signature;
}

export interface EscalationEvent extends EventBase {
  type: 'escalation';
  from: Mode;
  to: Mode;
  reason: string;
  figures: Record<string, number>;
  /** False in observe enforcement (the shared mode was not written). */
  applied: boolean;
}

export interface MitigationEvent extends EventBase {
  type: 'mitigation';
  action: MitigationAction;
}

export type DetectorEvent = AttackStartEvent | AttackUpdateEvent | AttackEndEvent | EscalationEvent | MitigationEvent;

/** An incident's totals before its first second. */
export function zeroIncidentTotals(): IncidentTotals {
  return {
    seconds: 0,
    requests: 0,
    refused: 0,
    forwarded: 0,
    peakRps: 0,
    peakSources: 0,
    distinctSources: 0,
    bans: 0,
    mitigations: 0,
  };
}

export interface IncidentTotals {
  seconds: number;
  requests: number;
  refused: number;
  forwarded: number;
  peakRps: number;
  /** Peak distinct sources in one second. */
  peakSources: number;
  /** Distinct sources over the whole incident (HyperLogLog union). */
  distinctSources: number;
  bans: number;
  mitigations: number;
}

/** The learned baseline at a moment, for reports ("normal is 80 rps ± 12"). */
export interface BaselineFigures {
  rps: number;
  rpsStd: number;
  sources: number;
  forwarded: number;
  originMs: number;
  /** Seconds learned so far. */
  learnedSeconds: number;
  warm: boolean;
}

export interface IncidentSummary {
  id: string;
  startedAt: number;
  seconds: number;
  mode: Mode;
  level: number;
  vectors: VectorFinding[];
  signature: Signature;
  totals: IncidentTotals;
  actions: MitigationAction[];
}

export interface DetectorSnapshot {
  at: number;
  mode: Mode;
  enforcement: Enforcement;
  warm: boolean;
  score: number;
  baseline: BaselineFigures;
  /** The newest seconds, oldest first. */
  series: {
    t: number[];
    requests: number[];
    forwarded: number[];
    refused: number[];
    sources: number[];
    newSources: number[];
    originMs: number[];
    score: number[];
  };
  top: { prefixes: SignatureItem[]; fingerprints: SignatureItem[]; paths: SignatureItem[]; sources: SignatureItem[] };
  incident: IncidentSummary | null;
  /** Recent actions of any incident, newest last (bounded). */
  recentActions: MitigationAction[];
}
