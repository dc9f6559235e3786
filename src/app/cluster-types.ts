// What startCluster (cluster.ts) takes and gives: the primary's options and
// the handle on the running cluster (its workers, state and one detector).
import type { Config } from '../config/schema.js';
import type { HubState } from '../state/index.js';
import type { Detector } from '../detector/detector.js';
import type { ClusterDetectorStats } from './cluster-detector.js';
import type { Logger } from './logger.js';

export interface ClusterHandle {
  /** http://host:port the workers share. */
  readonly url: string;
  /** Pids of the live workers. */
  pids(): number[];
  /** Workers forked to replace dead ones since start. */
  restarts(): number;
  /** Per live worker: the newest second it reported traffic counts for (0: none yet). */
  reports(): number[];
  readonly state: HubState;
  /** The cluster's one detector (every worker's traffic); null when detector.enabled is false. */
  readonly detector: Detector | null;
  /** Worker seconds folded into the detector since start (and parts refused as malformed). */
  detectorParts(): ClusterDetectorStats;
  /** Sends a validated configuration to every worker; throws E_RELOAD_LISTEN when listen addresses or TLS files change. */
  reload(config: Config): void;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  log?: Logger;
  startTimeout?: number;
  /** Re-reads the configuration (file plus flags) for POST /api/reload on any worker; absent: 409 as without a file. */
  load?: (() => Config | Promise<Config>) | null;
  /** The file `load` reads, named in the reload reply. */
  file?: string;
}
