// The one detector of a cluster, run by the primary: workers' closed seconds
// (window parts) fold into its open second as they arrive, it ticks once a
// second on the primary's clock (80 ms after each wall-clock second, when
// the workers' parts of it are in: they tick 5 ms after it), writes bans, mitigations and mode to the
// primary's state (the hub relays them to every worker), and sends each
// worker its events and snapshot. A worker's second lands in the primary's
// second it arrives in: a late part (a worker's loop blocked > 75 ms) moves
// a second's boundary, totals stay exact.
// Memory: one detector (~1 MiB fixed); parts are merged, never queued.
import { createDetector, type Detector } from '../detector/detector.js';
import type { DetectorEvent, DetectorSnapshot } from '../detector/events.js';
import type { WindowPart } from '../detector/window-part.js';
import type { Config } from '../config/schema.js';
import type { SharedState } from '../state/index.js';
import type { Logger } from './logger.js';
import { createNodeParts } from '../exchange/node-parts.js';
import { everyAligned, PRIMARY_TICK_PHASE_MS } from '../core/clock.js';
import type { NodeBus } from '../exchange/node-bus.js';

export interface ClusterDetector {
  readonly detector: Detector;
  /** A part from the worker in `slot`; a malformed one is counted and dropped. */
  absorb(part: WindowPart, slot: number): void;
  /** Parts folded in (in all and per worker slot), and refused as malformed, since start. */
  stats(): ClusterDetectorStats;
  stop(): void;
}

export interface ClusterDetectorStats {
  parts: number;
  refused: number;
  /** Parts and requests folded in per worker slot ("1", "2", …): proof that every worker's traffic reaches the detector. */
  bySlot: Record<string, { parts: number; requests: number }>;
}

export interface ClusterDetectorOptions {
  config: Config['detector'];
  state: SharedState;
  log: Logger;
  /** Sends one tick's events and the snapshot after it to every live worker. */
  broadcast(events: DetectorEvent[], snapshot: DetectorSnapshot): void;
  now?: () => number;
  /** Several nodes share the state (redis): exchange open seconds with them (src/exchange/node-parts.ts). */
  bus?: NodeBus | null;
  /** Tick period, ms (tests). Default 1000. */
  interval?: number;
}

export function createClusterDetector(o: ClusterDetectorOptions): ClusterDetector {
  const now = o.now ?? Date.now;
  const detector = createDetector(o.config, {
    state: o.state,
    onListenerError: (err) => o.log.error({ err }, 'detector event listener failed'),
  });
  const nodeParts = o.bus ? createNodeParts({ detector, bus: o.bus, log: o.log }) : null;
  let batch: DetectorEvent[] = [];
  detector.onEvent((e) => void batch.push(e));
  let parts = 0;
  let refused = 0;
  const bySlot: Record<string, { parts: number; requests: number }> = {};
  const cancel = everyAligned(o.interval ?? 1000, PRIMARY_TICK_PHASE_MS, () => {
    try {
      nodeParts?.beforeTick();
      detector.tick(now());
    } catch (err) {
      o.log.error({ err }, 'detector tick failed');
    }
    const events = batch;
    batch = [];
    o.broadcast(events, detector.snapshot());
  });
  return {
    detector,
    absorb(part, slot) {
      try {
        detector.absorb(part);
        parts++;
        const s = (bySlot[slot] ??= { parts: 0, requests: 0 }); // slots are 1…workers: bounded
        s.parts++;
        s.requests += part.n[0];
      } catch (err) {
        if (refused++ === 0)
          o.log.error({ err }, 'a worker sent a detector part of another shape (mixed versions?); dropped');
      }
    },
    stats: () => ({ parts, refused, bySlot: structuredClone(bySlot) }),
    stop() {
      cancel();
      nodeParts?.close();
    },
  };
}
