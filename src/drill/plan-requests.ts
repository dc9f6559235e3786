// What an attack plan's requests look like: method, path, body and headers
// for request `seq` from source `i`, and the plan's time shape. Pure and
// deterministic (noise is a hash of the plan's seed and seq); the sender is
// plan-attack.ts. The templated id routes are the demo origin's
// (/api/donors/{1..5000}, /api/receipts/{hex}, /api/volunteers/{uuid}).
import type { AttackPlan, PathStrategy, TimeShape } from './campaign.js';
import { browserHeaders, browserProfile, floodHeaders, type FetchKind } from './profiles.js';
import { hash32 } from './random.js';

export interface PlannedRequest {
  method: string;
  path: string;
  body?: string;
  kind: FetchKind;
}

/** Words of the campaign site's pages and searches (the demo origin's vocabulary). */
export const SEARCH_WORDS = [
  'water',
  'schools',
  'buses',
  'housing',
  'parks',
  'energy',
  'clinics',
  'bikes',
  'river',
  'north',
  'plan',
  'south',
];
const DONORS = 5000;
/** The assets a browser loads with the demo site's pages. */
export const SITE_ASSETS = ['/static/site.css', '/static/app.js', '/static/logo.svg', '/static/hero.svg'] as const;

const noise = (seed: number, seq: number): string => hash32((seed ^ Math.imul(seq + 1, 2654435761)) >>> 0).toString(36);
const hex = (n: number, digits: number): string => (n >>> 0).toString(16).padStart(digits, '0').slice(-digits);

/** The id walked by request `seq`: numeric 1..5000, 16 hex digits, or a UUID (v4 form); in order or scattered. */
export function walkId(
  format: 'numeric' | 'hex' | 'uuid',
  order: 'sequential' | 'random',
  seed: number,
  seq: number,
): string {
  if (order === 'sequential') {
    if (format === 'numeric') return String((seq % DONORS) + 1);
    if (format === 'hex') return (seq + 1).toString(16).padStart(16, '0');
    return `00000000-0000-4000-8000-${(seq + 1).toString(16).padStart(12, '0')}`;
  }
  const h = (k: number) => hash32((seed + Math.imul(seq, 0x9e3779b1) + k * 0x85ebca6b) >>> 0);
  if (format === 'numeric') return String((h(0) % DONORS) + 1);
  if (format === 'hex') return hex(h(0), 8) + hex(h(1), 8);
  return `${hex(h(0), 8)}-${hex(h(1), 4)}-4${hex(h(2), 3)}-8${hex(h(3), 3)}-${hex(h(4), 4)}${hex(h(5), 8)}`;
}

const ID_ROUTES = { numeric: '/api/donors/', hex: '/api/receipts/', uuid: '/api/volunteers/' } as const;

/** Request `seq` of a path strategy. */
export function plannedRequest(p: PathStrategy, seed: number, seq: number): PlannedRequest {
  const r = noise(seed, seq);
  switch (p.kind) {
    case 'hot':
      return { method: 'GET', path: seq % 3 === 2 ? '/search?q=water' : '/', kind: 'page' };
    case 'random-query': {
      const k = seq % 3;
      return {
        method: 'GET',
        path: k === 0 ? `/?${r}` : k === 1 ? `/materials?v=${r}` : `/search?q=${r}`,
        kind: 'page',
      };
    }
    case 'random-path':
      return {
        method: 'GET',
        path: seq % 2 === 0 ? `/${r}` : `/${SEARCH_WORDS[seq % SEARCH_WORDS.length]}/${r}`,
        kind: 'page',
      };
    case 'legit-mix': {
      // People's proportions: home 3, materials 2, search 3, donate form 1.
      const k = hash32(seed + seq) % 9;
      const path =
        k < 3
          ? '/'
          : k < 5
            ? '/materials'
            : k < 8
              ? `/search?q=${SEARCH_WORDS[seq % SEARCH_WORDS.length]}+${SEARCH_WORDS[(seq >> 4) % SEARCH_WORDS.length]}`
              : '/donate';
      return { method: 'GET', path, kind: 'page' };
    }
    case 'id-walk':
      return { method: 'GET', path: ID_ROUTES[p.id] + walkId(p.id, p.order, seed, seq), kind: 'api' };
    case 'login':
      return {
        method: 'POST',
        path: '/login',
        body: new URLSearchParams({ user: `user${seq % 9973}@example.org`, password: r }).toString(),
        kind: 'form',
      };
    case 'donate':
      return {
        method: 'POST',
        path: '/donate',
        body: new URLSearchParams({ name: `Card ${r}`, amount: String(1 + (seq % 5)) }).toString(),
        kind: 'form',
      };
  }
}

/** Headers of request `seq` from source `i`, before Cookie and the drill tag. */
export function plannedHeaders(plan: Pick<AttackPlan, 'headers'>, i: number, seq: number, kind: FetchKind): string[] {
  switch (plan.headers) {
    case 'flood-tool':
      return floodHeaders(i, kind);
    case 'browser-exact':
      return browserHeaders(browserProfile(0), kind);
    case 'browser-per-source':
      return browserHeaders(browserProfile(hash32(i)), kind);
    case 'rotating-browsers':
      // Hashed: a source's requests are `sources` apart in seq, and with a source count that is a
      // multiple of the profile count, seq itself would give every source one fixed profile.
      return browserHeaders(browserProfile(hash32(seq ^ 0x5bd1e995)), kind);
  }
}

/** Rate multiplier at `t` ms since the attack started: 1 steady, 1/0 pulses, 0→1 ramp. */
export function shapeAt(s: TimeShape, t: number): number {
  if (s.kind === 'pulse') return t % ((s.onS + s.offS) * 1000) < s.onS * 1000 ? 1 : 0;
  if (s.kind === 'ramp') return Math.min(1, Math.max(0.02, t / (s.overS * 1000)));
  return 1;
}
