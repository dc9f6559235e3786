// Messages between the cluster primary's state hub (hub.ts) and the workers'
// states (worker-state.ts). Plain objects tagged `rampart: 'state'`, sent over
// node:cluster IPC; keys travel as base64. Not a network protocol: one machine.
import type { Ban, Enforcement, Mitigation, Mode } from '../core/model.js';
import type { StateHealth } from './types.js';
import type { ViewSnapshot } from './local-view.js';

/** A change a worker asks for, or the primary relays (the same shapes as LocalView deltas). */
export type WriteOp =
  | { k: 'ban'; ban: Ban }
  | { k: 'unban'; target: string }
  | { k: 'mit'; m: Mitigation }
  | { k: 'unmit'; id: string }
  | { k: 'mode'; field: 'detector' | 'override' | 'enforcement'; value: string };

export interface WireSnapshot extends Omit<ViewSnapshot, 'keys'> {
  keys: string[];
}

export type ToPrimary =
  | { rampart: 'state'; op: 'hello' }
  | { rampart: 'state'; op: 'write'; w: WriteOp }
  | { rampart: 'state'; op: 'counts'; second: number; counts: Record<string, number> }
  | { rampart: 'state'; op: 'nextId'; id: number; name: string }
  | { rampart: 'state'; op: 'incident'; id: number; at: number; ttl: number };

export type ToWorker =
  | { rampart: 'state'; op: 'snapshot'; s: WireSnapshot; health: StateHealth }
  | { rampart: 'state'; op: 'write'; w: WriteOp }
  | { rampart: 'state'; op: 'keys'; keys: string[]; rotatedAt: number }
  | { rampart: 'state'; op: 'sums'; sums: [number, Record<string, number>][]; acked: number; health: StateHealth }
  | { rampart: 'state'; op: 'id'; id: number; value?: number; error?: string }
  | { rampart: 'state'; op: 'incident'; id: number; value?: { id: string; startedAt: number }; error?: string };

export function isStateMessage(m: unknown): m is { rampart: 'state'; op: string } {
  return (
    m !== null &&
    typeof m === 'object' &&
    (m as { rampart?: unknown }).rampart === 'state' &&
    typeof (m as { op?: unknown }).op === 'string'
  );
}

export function toWire(s: ViewSnapshot): WireSnapshot {
  return { ...s, keys: s.keys.map((k) => k.toString('base64')) };
}

export function fromWire(s: WireSnapshot): ViewSnapshot {
  return { ...s, keys: s.keys.map((k) => Buffer.from(k, 'base64')) };
}

/** One end of an IPC channel (a cluster Worker on the primary, `process` in a worker). */
export interface Port {
  send(msg: unknown): void;
}

/** What a relayed write is applied to: the primary's state (hub.ts) or a worker's view (worker-state.ts). */
export interface WriteTarget {
  addBan(ban: Ban): unknown;
  removeBan(target: string): unknown;
  putMitigation(m: Mitigation): unknown;
  removeMitigation(id: string): unknown;
  setMode(mode: Mode): unknown;
  overrideMode(mode: Mode | null): unknown;
  setEnforcement(e: Enforcement): unknown;
}

/** Applies one write; its values are checked by the target (a bad one throws there). */
export function applyWrite(to: WriteTarget, w: WriteOp): void {
  if (w.k === 'ban') to.addBan(w.ban);
  else if (w.k === 'unban') to.removeBan(w.target);
  else if (w.k === 'mit') to.putMitigation(w.m);
  else if (w.k === 'unmit') to.removeMitigation(w.id);
  else if (w.field === 'detector') to.setMode(w.value as Mode);
  else if (w.field === 'override') to.overrideMode(w.value ? (w.value as Mode) : null);
  else if (w.field === 'enforcement') to.setEnforcement(w.value as Enforcement);
}
