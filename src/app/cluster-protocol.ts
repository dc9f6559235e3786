// Messages between the cluster primary (cluster.ts) and its workers
// (cluster-worker.ts) about the app itself; state messages are separate
// (src/state/ipc.ts). Sent with node:cluster's advanced serialization.
import type { Config } from '../config/schema.js';
import type { DetectorEvent, DetectorSnapshot } from '../detector/events.js';
import type { WindowPart } from '../detector/window-part.js';

/** Who a worker is: its slot (1…count, kept by a replacement), the worker count, and whether it writes the incident store. */
export interface WorkerRole {
  index: number;
  count: number;
  /** Exactly one live worker records incidents in data_dir (docs/evidence.md). */
  recorder: boolean;
  /** The machine's shared response store (src/cache/shared-store.ts), made by the primary; '' for none. */
  cacheFile: string;
}

/** The outcome of a reload a worker asked for (POST /api/reload): the file, or the error in plain data. */
export type ReloadReply = {
  rampart: 'app';
  op: 'reloaded';
  id: number;
  file?: string;
  error?: { code: string; message: string; hint: string; issues?: unknown[] };
};

export type ToWorkerApp =
  | { rampart: 'app'; op: 'config'; config: Config; role: WorkerRole }
  | { rampart: 'app'; op: 'reload'; config: Config }
  | { rampart: 'app'; op: 'stop' }
  /** The primary gathers every worker's metric samples (prom-client JSON) for one GET /metrics. */
  | { rampart: 'app'; op: 'metrics-collect'; id: number }
  | { rampart: 'app'; op: 'metrics'; id: number; text?: string; error?: string }
  /** The primary's detector after each tick: its events in order, then its snapshot (src/app/cluster-detector.ts). */
  | { rampart: 'app'; op: 'detector'; events: DetectorEvent[]; snapshot: DetectorSnapshot }
  /** Relayed from the worker in slot `from` (src/app/peers.ts). */
  | { rampart: 'app'; op: 'peer'; from: number; topic: string; data: unknown }
  | ReloadReply;

/** `boot`: the worker's module has loaded and listens for messages ('online' comes too early: messages sent then are lost). */
export type ToPrimaryApp =
  | { rampart: 'app'; op: 'boot' }
  | { rampart: 'app'; op: 'ready'; url: string; pid: number }
  | { rampart: 'app'; op: 'error'; message: string; pid: number }
  | { rampart: 'app'; op: 'reload-request'; id: number }
  | { rampart: 'app'; op: 'metrics-request'; id: number }
  | { rampart: 'app'; op: 'metrics-part'; id: number; json: object[] }
  /** This worker's closed second, for the primary's detector. */
  | { rampart: 'app'; op: 'detector-part'; part: WindowPart }
  /** For the other live workers, or for the recorder slot (1) alone; the primary relays it as is. */
  | { rampart: 'app'; op: 'peer'; to: PeerTarget; topic: string; data: unknown };

export type PeerTarget = 'others' | 'recorder';

export function isAppMessage(m: unknown): m is { rampart: 'app'; op: string } {
  return m !== null && typeof m === 'object' && (m as { rampart?: unknown }).rampart === 'app';
}
