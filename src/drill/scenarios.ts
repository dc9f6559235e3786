// The attack scenarios a drill can run: what each simulated attacker sends
// (method, path, body, header profile), from how many sources, at what rate
// and with what time shape. Data and small pure functions only; attack.ts
// and slowloris.ts send the traffic. `newsletter` is the no-attack run.
import { SEARCH_WORDS as WORDS } from './plan-requests.js';

export type ScenarioName =
  | 'single-source'
  | 'botnet'
  | 'cache-busting'
  | 'login'
  | 'enumeration'
  | 'slowloris'
  | 'pulse'
  | 'low-and-slow'
  | 'newsletter';

export interface AttackRequest {
  method: string;
  path: string;
  body?: string;
}

export interface Scenario {
  name: ScenarioName;
  description: string;
  kind: 'requests' | 'slowloris' | 'none';
  /** Requests per second over all sources (slowloris: new connections per second). */
  rate: number;
  sources: number;
  /** Connections each attacking source may hold. */
  connectionsPerSource: number;
  /** Header list before x-drill-role (a bot tool's or a browser's). */
  headers(sourceIndex: number): string[];
  /** Rate multiplier at `t` ms since the attack started (1 = steady). */
  shape(t: number): number;
  request(seq: number, sourceIndex: number): AttackRequest;
}

/** Scenario names in the order `--scenario all` runs them. */
export const SCENARIOS: readonly ScenarioName[] = [
  'single-source',
  'botnet',
  'cache-busting',
  'login',
  'enumeration',
  'slowloris',
  'pulse',
  'low-and-slow',
  'newsletter',
];

const BOT_UAS = [
  'Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/49.0.2623.112 Safari/537.36',
  'python-requests/2.31.0',
  'Go-http-client/1.1',
];
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** A flood tool: one of a few user agents, "accept: any", nothing else. */
const bot = (i: number) => ['user-agent', BOT_UAS[i % BOT_UAS.length], 'accept', '*/*'];
/** A headless browser: the same headers as a real Chrome navigation (hard mode for a fingerprint). */
const browserLike = () => [
  'user-agent',
  CHROME,
  'accept',
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
  'accept-language',
  'en-US,en;q=0.9',
  'accept-encoding',
  'gzip, deflate, br',
];
const steady = () => 1;
/** Cheap deterministic noise from a sequence number (no shared RNG state). */
const noise = (seq: number) => ((Math.imul(seq + 1, 2654435761) >>> 0) / 2 ** 32).toString(36).slice(2, 10);

const DEFS: Record<ScenarioName, Omit<Scenario, 'name'>> = {
  'single-source': {
    description: 'one address floods the home page and search over many connections',
    kind: 'requests',
    rate: 800,
    sources: 1,
    connectionsPerSource: 48,
    headers: bot,
    shape: steady,
    request: (seq) => ({ method: 'GET', path: seq % 4 === 3 ? '/search?q=water' : '/' }),
  },
  botnet: {
    description: 'thousands of addresses, each at a modest rate, flood the home page and search',
    kind: 'requests',
    rate: 1500,
    sources: 2000,
    connectionsPerSource: 1,
    headers: bot,
    shape: steady,
    request: (seq) => ({ method: 'GET', path: seq % 3 === 2 ? '/search?q=water' : '/' }),
  },
  'cache-busting': {
    description: 'random query strings and paths so no cache can answer',
    kind: 'requests',
    rate: 800,
    sources: 300,
    connectionsPerSource: 1,
    headers: bot,
    shape: steady,
    request: (seq) => {
      const r = noise(seq);
      const k = seq % 4;
      return {
        method: 'GET',
        path: k === 0 ? `/?${r}` : k === 1 ? `/materials?v=${r}` : k === 2 ? `/search?q=${r}` : `/${r}`,
      };
    },
  },
  login: {
    description: 'credential stuffing: POST /login with leaked user/password pairs',
    kind: 'requests',
    rate: 600,
    sources: 500,
    connectionsPerSource: 1,
    headers: (i) => [...bot(i), 'content-type', 'application/x-www-form-urlencoded'],
    shape: steady,
    request: (seq) => ({
      method: 'POST',
      path: '/login',
      body: new URLSearchParams({ user: `user${seq % 9973}@example.org`, password: noise(seq) }).toString(),
    }),
  },
  enumeration: {
    description: 'scrapers walk the sensitive donor API id by id',
    kind: 'requests',
    rate: 400,
    sources: 40,
    connectionsPerSource: 1,
    headers: (i) => ['user-agent', BOT_UAS[1 + (i % 2)], 'accept', 'application/json'],
    shape: steady,
    request: (seq) => ({ method: 'GET', path: `/api/donors/${(seq % 5000) + 1}` }),
  },
  slowloris: {
    description: 'many connections each trickling header bytes, never finishing a request',
    kind: 'slowloris',
    rate: 200,
    sources: 100,
    connectionsPerSource: 10,
    headers: bot,
    shape: steady,
    request: () => ({ method: 'GET', path: '/' }),
  },
  pulse: {
    description: 'short full-strength bursts (2 s on, 4 s off) from a botnet, to dodge slow detectors',
    kind: 'requests',
    rate: 2500,
    sources: 1000,
    connectionsPerSource: 1,
    headers: bot,
    shape: (t) => (t % 6000 < 2000 ? 1 : 0),
    request: (seq) => ({ method: 'GET', path: seq % 2 === 0 ? '/search?q=water' : '/' }),
  },
  'low-and-slow': {
    description: 'thousands of browser-like sources, each far under any per-address limit, on the costly search',
    kind: 'requests',
    rate: 300,
    sources: 3000,
    connectionsPerSource: 1,
    headers: browserLike,
    shape: steady,
    request: (seq) => ({
      method: 'GET',
      path: `/search?q=${WORDS[seq % WORDS.length]}+${WORDS[(seq >> 4) % WORDS.length]}`,
    }),
  },
  newsletter: {
    description: 'no attack: regular users plus a newsletter burst of new visitors half-way',
    kind: 'none',
    rate: 0,
    sources: 0,
    connectionsPerSource: 0,
    headers: bot,
    shape: steady,
    request: () => ({ method: 'GET', path: '/' }),
  },
};

export function isScenarioName(s: string): s is ScenarioName {
  return (SCENARIOS as readonly string[]).includes(s);
}

export function scenario(name: ScenarioName): Scenario {
  return { name, ...DEFS[name] };
}
