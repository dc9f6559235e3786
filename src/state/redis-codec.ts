// Turns redis replies into view data and back: bans and mitigations as JSON,
// mode fields, signing keys (base64), change messages ("<version>|<json>").
// Everything read from the store is validated; bad entries are skipped, never thrown.
import type { Ban, Enforcement, Mitigation, Mode } from '../core/model.js';
import { MODES } from '../core/model.js';
import { checkBan } from './ban-table.js';
import { checkMitigation } from './mitigation-table.js';
import type { ViewSnapshot } from './local-view.js';

export interface ChangeMessage {
  version: number;
  /** Node that wrote it. */
  node: string;
  kind: 'ban' | 'unban' | 'mit' | 'unmit' | 'mode' | 'keys';
  data: unknown;
}

export function encodeMessage(node: string, kind: ChangeMessage['kind'], data: unknown): string {
  return JSON.stringify({ n: node, k: kind, d: data });
}

export function decodeMessage(raw: string): ChangeMessage | null {
  const bar = raw.indexOf('|');
  const version = Number(raw.slice(0, bar));
  if (bar <= 0 || !Number.isSafeInteger(version)) return null;
  try {
    const m = JSON.parse(raw.slice(bar + 1)) as { n?: unknown; k?: unknown; d?: unknown };
    if (typeof m.n !== 'string' || typeof m.k !== 'string') return null;
    return { version, node: m.n, kind: m.k as ChangeMessage['kind'], data: m.d };
  } catch {
    return null;
  }
}

export function decodeBan(json: string): Ban | null {
  try {
    const b = JSON.parse(json) as Ban;
    checkBan(b);
    return b;
  } catch {
    return null;
  }
}

export function decodeMitigation(json: string): Mitigation | null {
  try {
    const m = JSON.parse(json) as Mitigation;
    checkMitigation(m);
    return m;
  } catch {
    return null;
  }
}

const isMode = (v: unknown): v is Mode => MODES.includes(v as Mode);

export interface StoredKeys {
  keys: Buffer[];
  rotatedAt: number;
}

export function decodeKeys(current: unknown, previous: unknown, rotatedAt: unknown): StoredKeys | null {
  const keys: Buffer[] = [];
  for (const k of [current, previous]) if (typeof k === 'string' && k.length > 0) keys.push(Buffer.from(k, 'base64'));
  const at = Number(rotatedAt);
  if (keys.length === 0 || keys[0].length < 16 || !Number.isFinite(at)) return null;
  return { keys, rotatedAt: at };
}

/** Builds a view snapshot from the store's hashes; expired entries are left out. */
export function decodeSnapshot(
  h: {
    bans: Record<string, string>;
    mitigations: Record<string, string>;
    mode: Record<string, string>;
    keys: Record<string, string>;
  },
  now: number,
  fallbackKeys: StoredKeys,
): { snapshot: ViewSnapshot; skipped: number } {
  let skipped = 0;
  const bans: Ban[] = [];
  for (const json of Object.values(h.bans)) {
    const b = decodeBan(json);
    if (!b) skipped++;
    else if (b.until > now) bans.push(b);
  }
  const mitigations: Mitigation[] = [];
  for (const json of Object.values(h.mitigations)) {
    const m = decodeMitigation(json);
    if (!m) skipped++;
    else if (m.until > now) mitigations.push(m);
  }
  const keys = decodeKeys(h.keys.current, h.keys.previous, h.keys.rotated_at) ?? fallbackKeys;
  const snapshot: ViewSnapshot = {
    detectorMode: isMode(h.mode.detector) ? h.mode.detector : 'normal',
    overrideMode: isMode(h.mode.override) ? h.mode.override : null,
    enforcement: (h.mode.enforcement === 'observe' ? 'observe' : 'enforce') as Enforcement,
    bans,
    mitigations,
    keys: keys.keys,
    keysRotatedAt: keys.rotatedAt,
  };
  return { snapshot, skipped };
}
