// Fixed plans for the eight attack families of issue 13 and the two
// no-attack newsletter bursts, and the four timings the matrix runs each in
// (attack 10 s after start, 120 s after start, already running when the
// shield starts, across a restart mid-attack). Pure data built into the same
// AttackPlan shape as the random campaign, so one runner drives both.
import { capRate, DEFAULT_MAX_RATE, labelOf, type AttackPlan, type StartMode } from './campaign.js';

export const FAMILIES = [
  'single-source',
  'botnet',
  'cache-busting',
  'login',
  'id-walk',
  'pulse',
  'low-and-slow',
  'slowloris',
] as const;
export const NEWSLETTERS = ['newsletter', 'newsletter-nat'] as const;
export type FamilyName = (typeof FAMILIES)[number] | (typeof NEWSLETTERS)[number];

export interface Timing {
  name: string;
  startMode: StartMode;
  warmupS: number;
  shieldStartAfterS: number;
  /** restart: seconds into the attack. */
  restartAtS: number;
  description: string;
}

export const TIMINGS: readonly Timing[] = [
  {
    name: 'cold10',
    startMode: 'normal',
    warmupS: 10,
    shieldStartAfterS: 0,
    restartAtS: 0,
    description: 'attack 10 s after the shield started',
  },
  {
    name: 'cold120',
    startMode: 'normal',
    warmupS: 120,
    shieldStartAfterS: 0,
    restartAtS: 0,
    description: 'attack 120 s after the shield started',
  },
  {
    name: 'running',
    startMode: 'running-at-start',
    warmupS: 0,
    shieldStartAfterS: 3,
    restartAtS: 0,
    description: 'attack already running when the shield starts (3 s later)',
  },
  {
    name: 'restart',
    startMode: 'restart',
    warmupS: 10,
    shieldStartAfterS: 0,
    restartAtS: 10,
    description: 'attack 10 s after start, shield restarted 10 s into it',
  },
];

/** Newsletters run at these timings unless others are asked for. */
export const NEWSLETTER_TIMINGS = ['cold120'] as const;

export const isFamilyName = (s: string): s is FamilyName =>
  (FAMILIES as readonly string[]).includes(s) || (NEWSLETTERS as readonly string[]).includes(s);

/**
 * Requests per second `users` legit people send: a session is ~5.4 requests
 * (home, materials, search, donate form and post; login for one in five) with
 * a think after each, so about one request per mean think time.
 */
export function legitRateEstimate(users: number, thinkMs: readonly [number, number]): number {
  return users / ((thinkMs[0] + thinkMs[1]) / 2000 + 0.05);
}

export interface FamilyOptions {
  timing: Timing;
  durationS?: number;
  maxRate?: number;
  /** The legit users' request rate (low-and-slow sends 10× it in total). */
  legitRate: number;
  /** Newsletter readers (default 600). */
  readers?: number;
  seed?: number;
}

type Shape = Pick<
  AttackPlan,
  'kind' | 'sources' | 'connectionsPerSource' | 'path' | 'headers' | 'cookies' | 'assets' | 'shape'
> & { perSource: number };

/** What every family shares unless it says otherwise: steady requests for pages, one connection, no cookies. */
const steadyPages = () => ({
  kind: 'requests' as const,
  connectionsPerSource: 1,
  cookies: 'ignore' as const,
  assets: 'pages' as const,
  shape: { kind: 'steady' as const },
});

/** The newsletters: people only, no attack. */
const noAttack = (): Shape => ({
  ...steadyPages(),
  kind: 'none',
  sources: 0,
  connectionsPerSource: 0,
  perSource: 0,
  path: { kind: 'hot' },
  headers: 'flood-tool',
});

/** Each family's attack: sources, rate per source (perSource), paths and headers. */
const SHAPES: Record<FamilyName, (o: FamilyOptions) => Shape> = {
  'single-source': () => ({
    ...steadyPages(),
    sources: 1,
    connectionsPerSource: 256,
    perSource: 800,
    path: { kind: 'hot' },
    headers: 'flood-tool',
  }),
  botnet: () => ({
    ...steadyPages(),
    sources: 2000,
    perSource: 2,
    path: { kind: 'hot' },
    headers: 'browser-per-source',
  }),
  'cache-busting': () => ({
    ...steadyPages(),
    sources: 200,
    perSource: 4,
    path: { kind: 'random-query' },
    headers: 'rotating-browsers',
  }),
  login: () => ({ ...steadyPages(), sources: 500, perSource: 1.2, path: { kind: 'login' }, headers: 'flood-tool' }),
  'id-walk': () => ({
    ...steadyPages(),
    sources: 50,
    connectionsPerSource: 2,
    perSource: 20,
    path: { kind: 'id-walk', id: 'numeric', order: 'sequential' },
    headers: 'flood-tool',
  }),
  pulse: () => ({
    ...steadyPages(),
    sources: 500,
    perSource: 5,
    path: { kind: 'hot' },
    headers: 'flood-tool',
    shape: { kind: 'pulse', onS: 5, offS: 10 },
  }),
  'low-and-slow': (o) => ({
    ...steadyPages(),
    sources: 3000,
    perSource: (10 * o.legitRate) / 3000,
    path: { kind: 'legit-mix' },
    headers: 'browser-per-source',
  }),
  slowloris: () => ({
    ...steadyPages(),
    kind: 'slowloris',
    sources: 200,
    connectionsPerSource: 10,
    perSource: 0,
    path: { kind: 'hot' },
    headers: 'flood-tool',
  }),
  newsletter: noAttack,
  'newsletter-nat': noAttack,
};

function shapeOf(name: FamilyName, o: FamilyOptions): Shape {
  return (Object.hasOwn(SHAPES, name) ? SHAPES[name] : noAttack)(o);
}

/** The fixed plan of one family (or newsletter) at one timing. */
export function familyPlan(name: FamilyName, o: FamilyOptions): AttackPlan {
  const s = shapeOf(name, o);
  const notes: string[] = [];
  const t = o.timing;
  let rate = 0;
  let perSourceRate = 0;
  if (s.kind === 'requests') {
    const c = capRate(s.sources, Math.round(s.perSource * 10_000) / 10_000, o.maxRate ?? DEFAULT_MAX_RATE);
    if (c.note) notes.push(c.note);
    rate = c.rate;
    perSourceRate = c.perSourceRate;
  } else if (s.kind === 'slowloris') rate = 400; // new connections per second: 2,000 held within ~5 s
  const readers = o.readers ?? 600;
  const newsletter =
    s.kind === 'none'
      ? { readers, sharedSlash24: name === 'newsletter-nat' ? Math.min(250, readers) : 0, arrivalS: 15 }
      : null;
  const plan: Omit<AttackPlan, 'id' | 'label'> = {
    family: name,
    kind: s.kind,
    seed: o.seed ?? 1,
    sources: s.sources,
    connectionsPerSource: s.connectionsPerSource,
    perSourceRate,
    rate,
    requestedRate: s.kind === 'requests' ? Math.round(s.sources * s.perSource * 100) / 100 : rate,
    path: s.path,
    headers: s.headers,
    cookies: s.cookies,
    assets: s.assets,
    shape: s.shape,
    warmupS: t.warmupS,
    startMode: t.startMode,
    shieldStartAfterS: t.shieldStartAfterS,
    restartAtS: t.restartAtS,
    durationS: o.durationS ?? 30,
    newsletter,
    ttmGoalS: name === 'low-and-slow' ? 5 : 2,
    notes,
  };
  return { id: `${name}@${t.name}`, label: labelOf(plan), ...plan };
}

export function timingNamed(name: string): Timing | undefined {
  return TIMINGS.find((t) => t.name === name);
}
