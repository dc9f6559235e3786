// Cluster workers' evidence as one: once a tick while an incident is open (and
// shortly after it ends), each worker that does not record sends the recorder
// slot its evidence part (attribution rows and sketch, impact, exposure rows
// with their ID bitmaps, a 48 KiB sample of sources: ~60–90 KiB); the recorder keeps the latest per slot
// and merges them into the record (control/evidence-parts.ts, evidence-merge.ts).
// Never per request; nothing is sent while no incident is open.
import type { Logger } from 'pino';
import type { Peers } from './peers.js';
import type { Evidence } from '../control/incidents.js';
import type { EvidencePart } from '../control/evidence-merge.js';
import type { TickPart } from './tick-part.js';
import { TOPICS } from './messages.js';

export interface EvidencePeersDeps {
  peers: Peers;
  now: () => number;
  log: Logger;
  evidence: Evidence;
}

const TOPIC = TOPICS.evidence;

/** The shape check of a part from another process (the primary relays what workers send, untouched). */
export function isEvidencePart(d: unknown): d is EvidencePart {
  const p = d as EvidencePart | null;
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof p.incident === 'string' &&
    typeof p.pid === 'number' &&
    typeof p.during === 'object' &&
    p.during !== null &&
    typeof p.during.verified === 'object' &&
    typeof p.during.others === 'object'
  );
}

export function createEvidencePeers(d: EvidencePeersDeps): TickPart {
  let warned = false;
  const off = d.peers.recorder
    ? d.peers.on(TOPIC, (data, from) => {
        if (isEvidencePart(data)) return d.evidence.absorb(from, data, d.now());
        if (!warned) d.log.warn({ from }, 'evidence part of an unknown shape ignored (workers of different versions?)');
        warned = true;
      })
    : () => {};
  return {
    tick(now) {
      if (d.peers.recorder) return;
      const part = d.evidence.part(now);
      if (part) d.peers.send(TOPIC, part, 'recorder');
    },
    close: off,
  };
}
