// A randomized drill campaign (`rampart drill --campaign N --seed S`): N
// attack plans with random parameters — sources, per-source rate, what is
// requested, which headers, cookie and asset behaviour, time shape, warm-up,
// and when the shield starts (before the attack, while it already runs, or
// restarted mid-attack). Pure and deterministic: plan k of seed S is the same
// on every run and for any N > k. Fixed plans per attack family: families.ts.
import { hash32, intBetween, logUniform, mulberry32, pick, sig, weighted, type Rng } from './random.js';

export type IdFormat = 'numeric' | 'hex' | 'uuid';

/** What an attacker requests. */
export type PathStrategy =
  /** `/` and `/search?q=water`: the hot page and the costly search. */
  | { kind: 'hot' }
  /** Random query strings on `/`, `/materials`, `/search`, so no cache answers. */
  | { kind: 'random-query' }
  /** Random paths (404s at the origin). */
  | { kind: 'random-path' }
  /** The pages people visit, in people's proportions (home, materials, searches, donate form). */
  | { kind: 'legit-mix' }
  /** Walks a templated route id by id: `/api/donors/{n}`, `/api/receipts/{hex}`, `/api/volunteers/{uuid}`. */
  | { kind: 'id-walk'; id: IdFormat; order: 'sequential' | 'random' }
  /** Credential stuffing: `POST /login`. */
  | { kind: 'login' }
  /** Card testing / form spam: `POST /donate`. */
  | { kind: 'donate' };

/**
 * Header profile: a flood tool's; one browser's exact navigation headers for
 * every source; one real browser profile per source (like people); or a
 * different real browser on every request (rotating UAs).
 */
export type HeaderStrategy = 'flood-tool' | 'browser-exact' | 'browser-per-source' | 'rotating-browsers';

export type TimeShape =
  | { kind: 'steady' }
  | { kind: 'pulse'; onS: number; offS: number }
  | { kind: 'ramp'; overS: number };

/**
 * normal: the shield is up before anything; running-at-start: legit users and
 * the attack start before the shield listens, the shield starts a few seconds
 * later; restart: the shield is stopped and started again mid-attack.
 */
export type StartMode = 'normal' | 'running-at-start' | 'restart';

export interface AttackPlan {
  /** `s7-2` (seed 7, plan 2), or the family and timing (`botnet@cold10`). */
  id: string;
  /** `random` for campaign plans, else the attack family or newsletter name. */
  family: string;
  /** One line saying what the plan does. */
  label: string;
  kind: 'requests' | 'slowloris' | 'none';
  /** Seed for the traffic's own randomness (query noise, random id order). */
  seed: number;
  sources: number;
  connectionsPerSource: number;
  /** Requests per second per source, after the cap (slowloris: unused). */
  perSourceRate: number;
  /** Requests per second over all sources while on, after the cap (slowloris: new connections per second). */
  rate: number;
  /** sources × the drawn per-source rate, before the cap. */
  requestedRate: number;
  path: PathStrategy;
  headers: HeaderStrategy;
  /** ignore: no cookies kept; jar: keeps cookies and follows redirects like a browser. */
  cookies: 'ignore' | 'jar';
  /** pages: pages only; assets: loads the site's assets after a page, once per source, like a browser. */
  assets: 'pages' | 'assets';
  shape: TimeShape;
  /** Seconds of legit traffic with the shield up before the attack (0 in running-at-start). */
  warmupS: number;
  startMode: StartMode;
  /** running-at-start: seconds after the attack started that the shield is started. */
  shieldStartAfterS: number;
  /** restart: seconds into the attack that the shield is stopped and started again. */
  restartAtS: number;
  durationS: number;
  /** Newsletter bursts: readers arriving from the attack start over `arrivalS`, `sharedSlash24` of them in one /24. */
  newsletter: { readers: number; sharedSlash24: number; arrivalS: number } | null;
  /** Time to mitigation allowed: 5 s for low-and-slow (each source under 1 request/s), else 2 s. */
  ttmGoalS: number;
  /** Anything the planner changed or wants said (the rate cap, a forced warm-up). */
  notes: string[];
}

export interface CampaignOptions {
  /** Ceiling on the total attack rate, requests/s (default 2500): what one drill process can send here. */
  maxRate?: number;
  /** Ceiling on slowloris connections held at once (default 3000). */
  maxConnections?: number;
  /** Attack duration range in seconds (default 20–40). */
  durationS?: readonly [number, number];
}

export const WARMUPS = [0, 10, 120] as const;
export const DEFAULT_MAX_RATE = 2500;

/**
 * The smallest total a random attack is given: the detector's documented
 * floor (detector.min_rps, 20 req/s: below it nothing is called a flood —
 * twenty visitors acting in step are not an attack). Smaller draws are
 * scaled up to it, and the plan says so.
 */
export const MIN_ATTACK_RATE = 20;

/** Keeps MIN_ATTACK_RATE ≤ sources × perSource ≤ maxRate by scaling the per-source rate, and says so. */
export function capRate(
  sources: number,
  perSource: number,
  maxRate: number,
): { perSourceRate: number; rate: number; note: string | null } {
  const requested = sources * perSource;
  if (requested < MIN_ATTACK_RATE && sources > 0) {
    const up = sig(MIN_ATTACK_RATE / sources, 3);
    return {
      perSourceRate: up,
      rate: sig(sources * up, 4),
      note: `per-source rate scaled from ${perSource}/s to ${up}/s: ${sig(requested, 4)}/s in total is under the ${MIN_ATTACK_RATE}/s floor below which nothing is a flood (detector.min_rps)`,
    };
  }
  if (requested <= maxRate) return { perSourceRate: perSource, rate: sig(requested, 4), note: null };
  const scaled = sig(maxRate / sources, 3);
  return {
    perSourceRate: scaled,
    rate: maxRate,
    note: `per-source rate scaled from ${perSource}/s to ${scaled}/s: ${sig(requested, 4)}/s in total is over the ${maxRate}/s cap`,
  };
}

/** Low-and-slow: every source under one request per second, so no per-address limit sees it. */
export const isLowAndSlow = (p: Pick<AttackPlan, 'kind' | 'perSourceRate'>): boolean =>
  p.kind === 'requests' && p.perSourceRate < 1;

/** The plan's timing, as the matrix names it: cold0/cold10/cold120 (attack W s after start), running, restart. */
export function timingOf(p: Pick<AttackPlan, 'startMode' | 'warmupS'>): string {
  return p.startMode === 'running-at-start' ? 'running' : p.startMode === 'restart' ? 'restart' : `cold${p.warmupS}`;
}

export function describePath(p: PathStrategy): string {
  return p.kind === 'id-walk' ? `id-walk:${p.id}:${p.order === 'sequential' ? 'seq' : 'rand'}` : p.kind;
}

export function describeShape(s: TimeShape): string {
  return s.kind === 'pulse' ? `pulse ${s.onS}/${s.offS}s` : s.kind === 'ramp' ? `ramp ${s.overS}s` : 'steady';
}

export function labelOf(p: Omit<AttackPlan, 'label' | 'id'>): string {
  if (p.kind === 'none')
    return `no attack: ${p.newsletter?.readers ?? 0} newsletter readers in ${p.newsletter?.arrivalS ?? 0} s${p.newsletter?.sharedSlash24 ? `, ${p.newsletter.sharedSlash24} sharing one /24` : ''}`;
  if (p.kind === 'slowloris') return `slowloris: ${p.sources}×${p.connectionsPerSource} connections, ${p.rate}/s new`;
  return `${describePath(p.path)} · ${p.headers} · ${p.cookies === 'jar' ? 'cookie jar' : 'no cookies'}${p.assets === 'assets' ? ' + assets' : ''} · ${describeShape(p.shape)}`;
}

const PATHS: readonly (readonly [PathStrategy['kind'], number])[] = [
  ['hot', 3],
  ['random-query', 2],
  ['random-path', 1],
  ['legit-mix', 3],
  ['id-walk', 2],
  ['login', 2],
  ['donate', 1],
];
const HEADERS: readonly HeaderStrategy[] = ['flood-tool', 'browser-exact', 'browser-per-source', 'rotating-browsers'];
const PAGE_PATHS = new Set(['hot', 'random-query', 'legit-mix']);

function drawPath(r: Rng): PathStrategy {
  const kind = weighted(r, PATHS);
  if (kind === 'id-walk')
    return {
      kind,
      id: pick(r, ['numeric', 'hex', 'uuid'] as const),
      order: pick(r, ['sequential', 'random'] as const),
    };
  return { kind } as PathStrategy;
}

function drawShape(r: Rng): TimeShape {
  const k = weighted(r, [
    ['steady', 5],
    ['pulse', 3],
    ['ramp', 2],
  ] as const);
  if (k === 'pulse') return { kind: 'pulse', onS: intBetween(r, 2, 6), offS: intBetween(r, 5, 15) };
  if (k === 'ramp') return { kind: 'ramp', overS: intBetween(r, 5, 15) };
  return { kind: 'steady' };
}

type Volume = Pick<
  AttackPlan,
  'kind' | 'sources' | 'connectionsPerSource' | 'perSourceRate' | 'rate' | 'requestedRate'
>;

/** A slowloris plan's connections: at most 2,000 sources, `maxConnections` in all; draws its opening rate. */
function drawSlowloris(r: Rng, sources: number, opts: CampaignOptions, notes: string[]): Volume {
  const maxConn = opts.maxConnections ?? 3000;
  const s = Math.min(sources, 2000);
  const per = Math.max(1, Math.min(10, Math.floor(maxConn / s)));
  const openRate = Math.round(logUniform(r, 50, 500));
  if (s < sources) notes.push(`slowloris sources capped from ${sources} to ${s}`);
  return {
    kind: 'slowloris',
    sources: s,
    connectionsPerSource: per,
    perSourceRate: 0,
    rate: openRate,
    requestedRate: openRate,
  };
}

/** A request plan's rates, the total capped at `maxRate`. */
function requestVolume(sources: number, drawnRate: number, maxRate: number, notes: string[]): Volume {
  const c = capRate(sources, drawnRate, maxRate);
  if (c.note) notes.push(c.note);
  return {
    kind: 'requests',
    sources,
    connectionsPerSource: Math.max(1, Math.min(16, Math.ceil(c.perSourceRate / 10))),
    perSourceRate: c.perSourceRate,
    rate: c.rate,
    requestedRate: sig(sources * drawnRate, 4),
  };
}

/** Plan `k` of `seed`: its own PRNG stream, so it does not depend on N. */
export function planOne(seed: number, k: number, opts: CampaignOptions = {}): AttackPlan {
  const r = mulberry32(hash32((seed * 0x9e3779b1 + k * 0x85ebca6b) >>> 0));
  const maxRate = opts.maxRate ?? DEFAULT_MAX_RATE;
  const [dLo, dHi] = opts.durationS ?? [20, 40];
  const notes: string[] = [];
  const slow = r() < 0.08;
  const sources = Math.round(logUniform(r, 20, 20_000));
  const drawnRate = sig(logUniform(r, 0.1, 50));
  const path = drawPath(r);
  const headers = pick(r, HEADERS);
  const cookies = r() < 0.4 ? 'jar' : 'ignore';
  let assets: AttackPlan['assets'] = r() < 0.35 ? 'assets' : 'pages';
  if (assets === 'assets' && !PAGE_PATHS.has(path.kind)) assets = 'pages'; // only pages have assets to load
  const shape = drawShape(r);
  let warmupS: number = pick(r, WARMUPS);
  const startMode = weighted(r, [
    ['normal', 2],
    ['running-at-start', 1],
    ['restart', 1],
  ] as const);
  const durationS = intBetween(r, dLo, dHi);
  const shieldStartAfterS = startMode === 'running-at-start' ? intBetween(r, 2, 5) : 0;
  const restartAtS =
    startMode === 'restart' ? intBetween(r, Math.round(durationS * 0.3), Math.round(durationS * 0.6)) : 0;
  if (startMode === 'running-at-start') warmupS = 0; // the attack runs before the shield starts
  const base = slow ? drawSlowloris(r, sources, opts, notes) : requestVolume(sources, drawnRate, maxRate, notes);
  const plan: Omit<AttackPlan, 'label' | 'id'> = {
    family: 'random',
    seed: hash32(seed * 31 + k),
    ...base,
    path,
    headers,
    cookies,
    assets,
    shape,
    warmupS,
    startMode,
    shieldStartAfterS,
    restartAtS,
    durationS,
    newsletter: null,
    ttmGoalS: 2,
    notes,
  };
  plan.ttmGoalS = isLowAndSlow(plan) ? 5 : 2;
  return { id: `s${seed}-${k + 1}`, label: labelOf(plan), ...plan };
}

/** N random attack plans for `seed`: `s<seed>-1` … `s<seed>-N`. */
export function planCampaign(seed: number, n: number, opts: CampaignOptions = {}): AttackPlan[] {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new RangeError(`seed must be a whole number from 0 to 2^32-1, got ${seed}`);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`number of attacks must be a whole number, got ${n}`);
  return Array.from({ length: n }, (_, k) => planOne(seed, k, opts));
}
