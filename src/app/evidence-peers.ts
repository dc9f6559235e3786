// Cluster workers send their evidence parts to the recorder slot (placeholder:
// filled in by the cluster-evidence work; until then the recorder's own share).
import type { Logger } from './logger.js';
import type { Peers } from './peers.js';
import type { Evidence } from '../control/incidents.js';
import type { PeerSync } from './limits-peers.js';

export interface EvidencePeersDeps {
  peers: Peers;
  now: () => number;
  log: Logger;
  evidence: Evidence;
}

export function createEvidencePeers(_deps: EvidencePeersDeps): PeerSync {
  return { tick() {}, close() {} };
}
