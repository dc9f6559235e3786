// The flood floor (docs/drills.md, "Flood floor"): whether a campaign attack
// was a flood at all by the detector's own definition against what the
// site's people sent meanwhile. Pure.
import type { AttackPlan } from './campaign.js';
import { sig } from './random.js';

/**
 * The detector's definition of a flood, with `rampart start` defaults, applied
 * to what the site's people sent during the attack: the total rate (people
 * plus attack) at `min_ratio` × the site's rate in a second (3×, for an
 * attack that comes and goes: a pulse), or at `slow_ratio` × it held over
 * `slow_window` (1.5×, a steady or ramped attack), and at least `min_rps`. An
 * attack under that is not a flood (a newsletter's readers arriving together
 * look the same): it is scored on what it did to people only, and reported
 * apart with its figures.
 */
export interface FloodFloor {
  /** Legit requests per second sent while the shield listened during the attack. */
  legitRate: number;
  /** min_ratio (pulses) or slow_ratio (steady, ramp). */
  ratio: number;
  /** The smallest attack rate that is a flood: max(min_rps, (ratio − 1) × legitRate). */
  floor: number;
  under: boolean;
}

/**
 * `rampart start`'s detector defaults the floor is read from (src/config/schema/detector.ts; the drill
 * imports core only, so they are repeated here and a test checks they are the schema's).
 */
export const DETECTOR_DEFAULTS = { min_rps: 20, min_ratio: 3, slow_ratio: 1.5 } as const;

export function floodFloorOf(plan: AttackPlan, legitRequests: number, listenedS: number): FloodFloor | null {
  if (plan.kind !== 'requests' || listenedS <= 0) return null;
  const legitRate = legitRequests / listenedS;
  const ratio = plan.shape.kind === 'pulse' ? DETECTOR_DEFAULTS.min_ratio : DETECTOR_DEFAULTS.slow_ratio;
  const floor = Math.max(DETECTOR_DEFAULTS.min_rps, (ratio - 1) * legitRate);
  return { legitRate: sig(legitRate, 3), ratio, floor: sig(floor, 3), under: plan.rate < floor };
}
