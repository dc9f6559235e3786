// Several nodes on one Redis/Valkey: every node's detector scores the whole
// attack, not only its share. Just before each tick a node sends its open
// second (its own traffic, its workers' included; other nodes' not yet) to
// the other nodes as a window part without the baseline sketches (~20 KiB,
// on the node bus), then folds in the parts the others sent during the second.
// Another node's second therefore counts about one second late; totals are
// whole. Each node still learns its key shares from its own traffic. Memory:
// at most MAX_QUEUED parts waiting (one per node per second).
import type { Detector } from '../detector/detector.js';
import { isWindowPart, type WindowPart } from '../detector/window-part.js';
import type { Logger } from 'pino';
import type { NodeBus } from './node-bus.js';
import { TOPICS } from './messages.js';

/** Parts waiting for the next tick; more nodes than this in one second: the excess is dropped and counted. */
const MAX_QUEUED = 64;

export interface NodeParts {
  /** Sends this node's open second, then folds in the other nodes' waiting parts. Call right before detector.tick(). */
  beforeTick(): void;
  stats(): { sent: number; received: number; dropped: number; malformed: number };
  close(): void;
}

export function createNodeParts(o: { detector: Detector; bus: NodeBus; log: Logger }): NodeParts {
  let queue: WindowPart[] = [];
  let sent = 0;
  let received = 0;
  let dropped = 0;
  let malformed = 0;
  const off = o.bus.on(TOPICS.detectorPart, (part) => {
    if (!isWindowPart(part)) {
      if (malformed++ === 0)
        o.log.warn('another node sent a detector part this version cannot read (mixed versions?); ignored');
      return;
    }
    if (queue.length >= MAX_QUEUED) return void dropped++;
    queue.push(part);
    received++;
  });
  return {
    beforeTick() {
      const own = o.detector.openPart();
      if (own !== null) {
        o.bus.send(TOPICS.detectorPart, own);
        sent++;
      }
      const parts = queue;
      queue = [];
      for (const p of parts) {
        try {
          o.detector.absorb(p);
        } catch {
          malformed++;
        }
      }
    },
    stats: () => ({ sent, received, dropped, malformed }),
    close: off,
  };
}
