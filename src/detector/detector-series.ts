// The detector's recent seconds: one ring per figure (requests, forwarded,
// refused, sources, ...) `history` seconds long, for the dashboard and for the
// low-and-slow window and surge dating (assess.ts History, surge.ts). Not the
// learned baseline (baseline.ts). Memory: 8 rings × history Float64s, fixed;
// pushed once a second, allocation-free.
import { RingSeries } from '../core/ring-series.js';
import type { History } from './assess.js';
import type { DetectorSnapshot, SecondSample } from './events.js';

/** The figures kept per second, in the dashboard's order. */
const SERIES = ['t', 'requests', 'forwarded', 'refused', 'sources', 'newSources', 'originMs', 'score'] as const;
type SeriesName = (typeof SERIES)[number];

export class DetectorSeries implements History {
  private readonly rings: Record<SeriesName, RingSeries>;

  constructor(seconds: number) {
    this.rings = Object.fromEntries(SERIES.map((k) => [k, new RingSeries(seconds)])) as Record<SeriesName, RingSeries>;
  }

  /** Seconds of requests kept so far (up to `history`). */
  get count(): number {
    return this.rings.requests.count;
  }

  /** Requests of the second `ago` seconds before the newest (0 = newest). */
  requestsAt(ago: number): number {
    return this.rings.requests.at(ago);
  }

  requestsMean(n: number): number {
    return this.rings.requests.mean(n);
  }

  requestsMin(n: number): number {
    const requests = this.rings.requests;
    let min = Infinity;
    for (let i = 0; i < n && i < requests.count; i++) min = Math.min(min, requests.at(i));
    return min;
  }

  /** Every figure of a closed second but its score (pushed once assessed: pushScore). */
  pushSample(s: SecondSample): void {
    for (const k of SERIES) if (k !== 'score') this.rings[k].push(k === 't' ? s.t : (s[k] as number));
  }

  pushScore(score: number): void {
    this.rings.score.push(score);
  }

  toArrays(): DetectorSnapshot['series'] {
    const out = {} as DetectorSnapshot['series'];
    for (const k of SERIES) out[k] = this.rings[k].toArray();
    return out;
  }
}
