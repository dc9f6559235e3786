// A detector driven second by second on a manual clock, for the detector's
// unit tests: each second's synthetic requests (trace.ts) are observed, then
// the clock moves one second and the detector ticks. A test file's name, with
// no test of its own, because it builds the detector on the memory state,
// which the detector's own code never imports (test/architecture.test.ts);
// no timer, no socket.
import { camelize } from '../config/camelize.js';
import { detectorSchema } from '../config/schema/detector.js';
import { createMemoryState } from '../state/memory.js';
import { createDetector } from './detector.js';
import type { AttackStartEvent, DetectorEvent, MitigationEvent } from './events.js';
import { rng } from './trace.js';
import type { Observed } from './window.js';

/** The tests' epoch: a Monday at noon, UTC. */
export const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

/**
 * `seconds` seconds of `traffic` (which pushes second `sec`'s requests into `out`, drawing from `r`, an
 * rng of `seed`) through a detector with the default configuration and `overrides`.
 */
export function driveDetector(
  seconds: number,
  traffic: (sec: number, r: () => number, out: Observed[]) => void,
  { seed = 17, overrides = {} }: { seed?: number; overrides?: Record<string, unknown> } = {},
) {
  let t = T0;
  const state = createMemoryState({ now: () => t });
  const detector = createDetector(camelize(detectorSchema.parse(overrides)), { state });
  const events: DetectorEvent[] = [];
  detector.onEvent((e) => events.push(e));
  const r = rng(seed);
  for (let sec = 0; sec < seconds; sec++) {
    const out: Observed[] = [];
    traffic(sec, r, out);
    for (const o of out) detector.observe(o);
    t = T0 + (sec + 1) * 1000;
    detector.tick(t);
  }
  const start = events.find((e): e is AttackStartEvent => e.type === 'attack_start');
  const actions = events.filter((e): e is MitigationEvent => e.type === 'mitigation');
  return { state, detector, events, start, actions, startSecond: start ? (start.sample.t - T0) / 1000 : -1 };
}
