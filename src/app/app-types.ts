// What createApp takes and gives (app.ts): the options a caller may set and
// the running app's face (listeners, state, detector, control, evidence).
import type { Clock } from '../core/clock.js';
import type { Observer } from '../core/model.js';
import type { Config, HostPort } from '../config/schema.js';
import type { PolicyStats } from '../policy/stage.js';
import type { SharedState } from '../state/index.js';
import type { ChallengeStats } from '../challenge/metrics.js';
import type { CacheStats } from '../cache/stage.js';
import type { AdmissionStats } from '../proxy/admission.js';
import type { Detector } from '../detector/detector.js';
import type { Geo } from '../identity/geo.js';
import type { Evidence } from '../control/incidents.js';
import type { Control } from '../control/control.js';
import type { Logger } from './logger.js';
import type { Topology } from './topology.js';

export interface AppOptions {
  log?: Logger;
  /** The clock of every module and of the tick (a test's manual clock drives the tick as it moves). */
  clock?: Clock;
  /** Extra observers (tests, metrics); run after every response. */
  observers?: Observer[];
  /** A state made by the caller (cluster worker, tests); the caller then closes it. Default: from config.state. */
  state?: SharedState;
  /** The YAML file the config came from: POST /api/reload re-reads it. */
  configFile?: string;
  /** Where this process stands (topology.ts); default: a single process, or a node when state.backend is redis. */
  topology?: Topology;
}

export interface App {
  start(): Promise<void>;
  stop(): Promise<void>;
  reload(config: Config): Promise<void>;
  address(kind?: 'http' | 'tls'): HostPort | null;
  url(kind?: 'http' | 'tls'): string;
  readonly config: Config;
  readonly log: Logger;
  /** Bans, mitigations, mode, keys and counters shared by this process's graphs (and by nodes, with redis). */
  readonly state: SharedState;
  inFlight(): number;
  /** Challenge counters of the current graph (reset by a reload); null when the challenge is disabled. */
  challengeStats(): ChallengeStats | null;
  /** The detector (snapshot(), onEvent(), noteSlowConnection()); null when detector.enabled is false. Created once: reloads keep it and its baselines. */
  readonly detector: Detector | null;
  /** Policy counters of the current graph (reset by a reload): refused / would-refuse per rule, tracked keys. */
  policyStats(): PolicyStats;
  /** Origin protection counters of the current graph (reset by a reload); null when disabled. */
  cacheStats(): CacheStats | null;
  admissionStats(): AdmissionStats | null;
  /** The control plane: admin API, dashboard, metrics, alerts (src/control). */
  readonly control: Control;
  /** Incident store, recorder and report routes (src/control/incidents.ts); null when evidence or the detector is off. */
  readonly evidence: Evidence | null;
  /** Country/ASN databases (src/identity/geo.ts); null when geo.enabled is false. */
  readonly geo: Geo | null;
  /** The parts of the one-second tick, in order. */
  tickParts(): string[];
}
