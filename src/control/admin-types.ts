// The small interfaces the control plane needs from the rest of Rampart.
// Control declares them; modules (state, detector, challenge, cache, incidents)
// satisfy them structurally and the app hands them over. Control never imports
// a module's internals, and the data plane never imports control.
import type { IncomingMessage } from 'node:http';
import type { Ban, Enforcement, Mode } from '../core/model.js';

/** One request to the admin API, already authenticated. */
export interface AdminRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Parsed JSON body (null when none was sent). */
  readonly body: unknown;
  readonly ip: string;
  readonly raw: IncomingMessage;
}

/** What a handler returns: JSON (default) or raw bytes with a content type. */
export interface AdminReply {
  status?: number;
  json?: unknown;
  body?: string | Buffer;
  type?: string;
  headers?: Record<string, string>;
}

/**
 * A route contributed to the admin API (Caddy AdminRouter style): modules and
 * the evidence engine add theirs (e.g. GET /api/incidents/:id) through the
 * `routes` option. `auth: false` is only for static assets.
 */
export interface AdminRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Literal segments and `:name` parameters, e.g. `/api/bans/:target`. */
  readonly path: string;
  readonly auth?: boolean;
  handler(req: AdminRequest): AdminReply | Promise<AdminReply>;
}

/** The slice of SharedState (src/state) that the control plane reads and writes. */
export interface ControlState {
  mode(): Mode;
  enforcement(): Enforcement;
  bans(): readonly Ban[];
  isBanned(ip: string, now: number): Ban | null;
  addBan(ban: Ban): void;
  removeBan(target: string): boolean;
  overrideMode(mode: Mode | null): void;
  /** The operator's forced mode, null when the detector decides (optional: older states lack it). */
  modeOverride?(): Mode | null;
  setEnforcement(e: Enforcement): void;
  health(): { backend: string; connected: boolean; lastSyncAt: number; error: string; outbox?: number };
}

/** The cluster worker answering (null in a single process): control's counters are this worker's only. */
export interface WorkerInfo {
  index: number;
  count: number;
  pid: number;
}

/** The detector's view as control shows it; every field optional so the shapes can evolve. */
export interface DetectorView {
  snapshot(): DetectorSnapshotLike;
}

export interface DetectorSnapshotLike {
  mode?: string;
  /** Anomaly score of the last closed second (≥ 1 anomalous). */
  score?: number;
  warm?: boolean;
  /** The running incident with its classified vectors, or null. */
  incident?: {
    id: string;
    startedAt?: number;
    level?: number;
    vectors?: readonly { vector: string; reason?: string }[];
  } | null;
}

/** The active incident, shown in /api/status (the incident store supplies it). */
export interface IncidentsView {
  active(): { id: string; [key: string]: unknown } | null;
}

/** Outcome of POST /api/reload: the app re-reads its file and swaps, or throws. */
export type Reloader = () => Promise<{ file: string }>;
