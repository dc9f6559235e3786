// The detector of a cluster worker: observe() fills this worker's open second
// exactly as the full detector does (O(1), no allocation), tick() sends it as
// a part to the one detector that runs in the primary and clears it; the
// primary's events and snapshot come back through deliver(), so status,
// dashboard, alerts and evidence in every worker see the same detector.
// Memory: one SecondWindow (~290 KiB) and the seen-set (512 KiB), fixed.
import type { Mode } from '../core/model.js';
import type { Detector } from './detector.js';
import type { DetectorEvent, DetectorSnapshot } from './events.js';
import { createListeners } from './listeners.js';
import { SeenSources } from './seen-sources.js';
import { SecondWindow } from './window.js';
import { exportPart, type WindowPart } from './window-part.js';

export interface RemoteDetector extends Detector {
  /** The primary's events of its last tick, in order, and its snapshot after that tick. */
  deliver(events: readonly DetectorEvent[], snapshot: DetectorSnapshot): void;
}

export interface RemoteDetectorOptions {
  /** Sends this worker's closed second to the primary's detector. */
  send(part: WindowPart): void;
  onListenerError?(err: unknown): void;
}

/** What status shows before the primary's first snapshot arrives (about a second after start). */
export function emptySnapshot(): DetectorSnapshot {
  return {
    at: 0,
    mode: 'normal',
    enforcement: 'enforce',
    warm: false,
    score: 0,
    baseline: { rps: 0, rpsStd: 0, sources: 0, forwarded: 0, originMs: 0, learnedSeconds: 0, warm: false },
    series: { t: [], requests: [], forwarded: [], refused: [], sources: [], newSources: [], originMs: [], score: [] },
    top: { prefixes: [], fingerprints: [], paths: [], sources: [] },
    incident: null,
    recentActions: [],
  };
}

export function createRemoteDetector(o: RemoteDetectorOptions): RemoteDetector {
  const seen = new SeenSources();
  const w = new SecondWindow(seen);
  w.epochS = Math.floor(Date.now() / 1000);
  const listeners = createListeners(o.onListenerError);
  let snap = emptySnapshot();

  return {
    observe: (ctx) => w.observe(ctx),
    noteSlowConnection: (ip, idle) => w.noteSlow(ip, idle),
    noteH2Abuse: (ip, glitches) => w.noteH2(ip, glitches),
    novelQuery: (q) => w.queryNames.peek(q),
    absorb() {
      throw new RangeError("a cluster worker's detector sends its seconds to the primary; it does not absorb parts");
    },
    openPart: () => exportPart(w, false),
    tick(now) {
      // Labelled like this process's traffic counts (state/traffic-counts.ts): the second before now.
      const part = exportPart(w, true, Math.floor(now / 1000) - 1);
      if (part !== null) o.send(part);
      w.open(now);
      w.topSlow.clear();
      w.topH2.clear();
      seen.tick(now);
    },
    deliver(events, snapshot) {
      snap = snapshot;
      for (const e of events) listeners.emit(e);
    },
    onEvent: listeners.on,
    // The primary's detector learns and is persisted there.
    learned: () => null,
    restore: () => ({ learnedSeconds: 0, ageMs: 0, attack: null }),
    snapshot: () => snap,
    mode: (): Mode => snap.mode,
  };
}
