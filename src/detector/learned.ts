// What a detector learned, as one blob that survives a restart: the
// baselines (EWMAs, hour-of-day profile, key-share sketches), the seen-source
// generations, and the attack in progress (its id, surge, vectors, signature
// keys, level and mitigations), so a shield restarted in the middle of an
// attack goes on with it, and one restarted into another attack does not
// stitch the two together. Encoded with v8's structured serializer under a
// format tag; anything that does not decode to the expected shape is
// refused as a whole (the detector then starts afresh). Pure; ~0.7 MB a blob.
import { deserialize, serialize } from 'node:v8';
import type { Mitigation, Mode } from '../core/model.js';
import type { BaselineState } from './baseline.js';
import type { IncidentTotals, Vector } from './events.js';
import type { Surge } from './mitigate.js';

const FORMAT = 'rampart-detector-learned/1';

/** The attack in progress when the blob was written. */
export interface AttackMemory {
  id: string;
  startedAt: number;
  lastAnomalousAt: number;
  mode: Mode;
  surge: Surge;
  vectors: Vector[];
  /** Keys of its signature: fingerprints, paths, /24 prefixes, path templates. */
  keys: { fingerprints: number[]; paths: string[]; prefixes: number[]; templates: string[] };
  level: number;
  mitigations: Mitigation[];
  bursts: number;
  burstStarts: number[];
  totals: IncidentTotals;
}

export interface LearnedState {
  savedAt: number;
  baselines: BaselineState;
  seen: { cur: Uint32Array; prev: Uint32Array; rotatedAt: number };
  attack: AttackMemory | null;
}

export function encodeLearned(st: LearnedState): Uint8Array {
  return serialize({ format: FORMAT, ...st });
}

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** The state in `bytes`, or null when it is not a detector blob of this format. */
export function decodeLearned(bytes: Uint8Array): LearnedState | null {
  let x: Record<string, unknown>;
  try {
    x = deserialize(bytes) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (x === null || typeof x !== 'object' || x.format !== FORMAT || !isNum(x.savedAt)) return null;
  const b = x.baselines as BaselineState;
  const seen = x.seen as LearnedState['seen'];
  const okBaselines =
    b !== null &&
    typeof b === 'object' &&
    b.ewmas !== null &&
    typeof b.ewmas === 'object' &&
    b.hourDays instanceof Uint16Array &&
    b.hourLastDay instanceof Float64Array &&
    Array.isArray(b.sketches) &&
    b.sketches.length === 4 &&
    b.sketches.every((c) => c !== null && typeof c === 'object' && c.cells instanceof Uint32Array && isNum(c.total)) &&
    isNum(b.sinceHalve) &&
    isNum(b.learned) &&
    isNum(b.shareRequests);
  const okSeen =
    seen !== null &&
    typeof seen === 'object' &&
    seen.cur instanceof Uint32Array &&
    seen.prev instanceof Uint32Array &&
    isNum(seen.rotatedAt);
  if (!okBaselines || !okSeen) return null;
  return { savedAt: x.savedAt, baselines: b, seen, attack: attackOf(x.attack) };
}

function attackOf(a: unknown): AttackMemory | null {
  if (a === null || typeof a !== 'object') return null;
  const m = a as AttackMemory;
  const strings = (l: unknown) => Array.isArray(l) && l.every((s) => typeof s === 'string');
  const nums = (l: unknown) => Array.isArray(l) && l.every(isNum);
  const ok =
    typeof m.id === 'string' &&
    m.id.length > 0 &&
    m.id.length <= 128 &&
    isNum(m.startedAt) &&
    isNum(m.lastAnomalousAt) &&
    typeof m.mode === 'string' &&
    m.surge !== null &&
    typeof m.surge === 'object' &&
    isNum(m.surge.since) &&
    isNum(m.surge.newShare) &&
    strings(m.vectors) &&
    m.keys !== null &&
    typeof m.keys === 'object' &&
    nums(m.keys.fingerprints) &&
    strings(m.keys.paths) &&
    nums(m.keys.prefixes) &&
    strings(m.keys.templates) &&
    isNum(m.level) &&
    Array.isArray(m.mitigations) &&
    isNum(m.bursts) &&
    nums(m.burstStarts) &&
    m.totals !== null &&
    typeof m.totals === 'object' &&
    Object.values(m.totals).every(isNum);
  return ok ? m : null;
}

/** Vectors grouped by the kind of attack they describe (a botnet's flood, pulse and low-and-slow seconds are one attack). */
const FAMILY: Record<Vector, string> = {
  single_source_flood: 'single',
  distributed_flood: 'distributed',
  pulse_wave: 'distributed',
  low_and_slow: 'distributed',
  cache_busting: 'cache',
  login_stuffing: 'login',
  form_flood: 'form',
  enumeration: 'enumeration',
  slow_connections: 'slow',
  h2_abuse: 'h2',
};

/**
 * Is the attack seen now the one remembered from before a restart? The same
 * kind of attack (a vector family in common) and, when both have signature
 * keys of a dimension (fingerprints, paths, path templates), at least one key
 * in common in one of them.
 */
export function sameAttack(was: AttackMemory, vectors: readonly Vector[], keys: AttackMemory['keys']): boolean {
  const fams = new Set(was.vectors.map((v) => FAMILY[v]));
  if (!vectors.some((v) => fams.has(FAMILY[v]))) return false;
  let compared = false;
  // Not the /24 prefixes: a botnet's seconds each show a different handful of its thousands.
  for (const dim of ['fingerprints', 'paths', 'templates'] as const) {
    const a = was.keys[dim] as readonly (number | string)[];
    const b = keys[dim] as readonly (number | string)[];
    if (a.length === 0 || b.length === 0) continue;
    compared = true;
    if (b.some((k) => (a as (number | string)[]).includes(k))) return true;
  }
  return !compared;
}
