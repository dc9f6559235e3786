// The message catalogue: everything that crosses between processes and nodes,
// on the three transports (docs/topology.md draws them). 1) Cluster IPC, app
// messages (`rampart: 'app'`) between the primary (src/app/cluster.ts) and its
// workers (src/app/cluster-worker.ts); 2) the topics of the once-a-tick
// channels, carried by the primary's peer relay between workers (peers.ts) and
// by the node bus between nodes (node-bus.ts); 3) cluster IPC state messages
// (`rampart: 'state'`), declared by the state backend (src/state/ipc.ts, a layer
// below this one) and re-exported here. Advanced serialization / v8: plain
// objects and typed arrays. Data received is `unknown` until its guard passes.
import type { Config } from '../config/schema.js';
import type { DetectorEvent, DetectorSnapshot } from '../detector/events.js';
import type { WindowPart } from '../detector/window-part.js';
import type { EvidencePart } from '../control/evidence-merge.js';
import type { UsageList } from '../policy/limits-usage.js';
import type { TableName } from '../policy/usage-tap.js';

export type { ToPrimary as ToPrimaryState, ToWorker as ToWorkerState, WriteOp } from '../state/ipc.js';

/** One tick's rate-limit usage of a worker or node: a list per table that had any (limits-peers.ts). */
export type UsageMessage = Partial<Record<TableName, UsageList>>;

/** What each topic of the peer relay and the node bus carries. */
export interface TopicData {
  /** Tokens handed out this tick, debited by the others (limits-peers.ts): workers ↔ workers, nodes ↔ nodes. */
  'limits/usage': UsageMessage;
  /** A worker's evidence of the open incident, for the recorder slot (evidence-peers.ts): workers → slot 1. */
  'evidence-part': EvidencePart;
  /** A node's open second for the other nodes' detectors (node-parts.ts): nodes ↔ nodes. */
  'detector/part': WindowPart;
}
export type Topic = keyof TopicData;

/** The topics by name. */
export const TOPICS = {
  limits: 'limits/usage',
  evidence: 'evidence-part',
  detectorPart: 'detector/part',
} as const satisfies Record<string, Topic>;

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
  /** Relayed from the worker in slot `from` (src/exchange/peers.ts). */
  | { rampart: 'app'; op: 'peer'; from: number; topic: Topic; data: unknown }
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
  | { rampart: 'app'; op: 'peer'; to: PeerTarget; topic: Topic; data: unknown };

export type PeerTarget = 'others' | 'recorder';

export function isAppMessage(m: unknown): m is { rampart: 'app'; op: string } {
  return m !== null && typeof m === 'object' && (m as { rampart?: unknown }).rampart === 'app';
}
