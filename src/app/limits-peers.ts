// Cluster workers share their rate-limit usage (placeholder: filled in by the
// global-limits work; until then limits stay per worker).
import type { Logger } from './logger.js';
import type { Peers } from './peers.js';
import type { PolicyStage } from '../policy/stage.js';

export interface LimitPeersDeps {
  peers: Peers;
  now: () => number;
  log: Logger;
  /** The current graph's policy stage (a reload swaps it). */
  policy: () => PolicyStage;
}

export interface PeerSync {
  /** Once a second, from the app's tick. */
  tick(now: number): void;
  close(): void;
}

export function createLimitPeers(_deps: LimitPeersDeps): PeerSync {
  return { tick() {}, close() {} };
}
