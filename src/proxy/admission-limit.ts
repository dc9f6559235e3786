// The concurrency limit towards the origin: fixed, or adaptive from origin
// latency in the spirit of Netflix concurrency-limits' Gradient2 (and Envoy's
// adaptive concurrency): each window compares the short-run latency with a
// slowly moving long-run one; growth while latency holds, a multiplicative
// cut when it rises (or requests fail/time out), bounded by [min, max].
// Pure arithmetic, O(1) per sample, time injected.

export interface LimitOptions {
  initial: number;
  min: number;
  max: number;
  /** Short latency may reach tolerance × long latency before the limit falls. */
  tolerance: number;
  /** A window closes after this many samples or windowMs, whichever comes first (with ≥ minSamples). */
  windowSamples?: number;
  windowMs?: number;
  minSamples?: number;
}

export interface Limit {
  /** Current whole limit. */
  get(): number;
  /** One completed origin request: latency ms, whether it failed, in-flight count when it was admitted. */
  sample(rttMs: number, failed: boolean, inFlight: number, now: number): void;
  readonly adaptive: boolean;
  /** For stats: the baseline and the short-run latency the last window saw. */
  readonly longRtt: number;
  readonly shortRtt: number;
}

export function fixedLimit(n: number): Limit {
  return { get: () => n, sample: () => {}, adaptive: false, longRtt: 0, shortRtt: 0 };
}

export class GradientLimit implements Limit {
  readonly adaptive = true;
  private limit: number;
  private readonly o: Required<LimitOptions>;
  longRtt = 0;
  shortRtt = 0;
  private sum = 0;
  private count = 0;
  private failures = 0;
  private maxInFlight = 0;
  private windowStart = -1;
  windows = 0;

  constructor(o: LimitOptions) {
    this.o = { windowSamples: 100, windowMs: 1000, minSamples: 10, ...o };
    this.limit = Math.min(o.max, Math.max(o.min, o.initial));
  }

  get(): number {
    return Math.floor(this.limit);
  }

  sample(rttMs: number, failed: boolean, inFlight: number, now: number): void {
    if (this.windowStart < 0) this.windowStart = now;
    this.sum += Math.max(1, rttMs);
    this.count++;
    if (failed) this.failures++;
    if (inFlight > this.maxInFlight) this.maxInFlight = inFlight;
    const o = this.o;
    if (this.count >= o.windowSamples || (this.count >= o.minSamples && now - this.windowStart >= o.windowMs))
      this.close(now);
  }

  private close(now: number): void {
    const short = this.sum / this.count;
    this.shortRtt = short;
    this.windows++;
    // Baseline latency (Envoy's minRTT, Vegas' base RTT): follows a faster
    // origin at once; it rises only from windows measured under light load
    // (app-limited, or at the minimum limit), so queueing caused by a growing
    // limit shows up as a gradient below 1 instead of becoming the baseline.
    const light = this.maxInFlight < this.limit / 2 || this.limit <= this.o.min;
    if (this.longRtt === 0 || short < this.longRtt) this.longRtt = short;
    else if (light) this.longRtt += (short - this.longRtt) * 0.1;
    const limit = this.limit;
    let next: number;
    if (this.failures / this.count > 0.1) {
      next = limit * 0.8; // timeouts and refused connections: back off multiplicatively (AIMD)
    } else {
      const gradient = Math.max(0.5, Math.min(1, (this.o.tolerance * this.longRtt) / short));
      // Headroom (√limit, as Envoy) only while latency is within tolerance:
      // added to a cut it would hold small limits above the knee for good.
      next = gradient < 1 ? limit * gradient : limit + Math.sqrt(limit);
      // App-limited: with less than half the limit in use, latency says nothing about more load.
      if (this.maxInFlight < limit / 2) next = Math.min(next, limit);
    }
    this.limit = Math.min(this.o.max, Math.max(this.o.min, limit * 0.8 + next * 0.2));
    this.sum = 0;
    this.count = 0;
    this.failures = 0;
    this.maxInFlight = 0;
    this.windowStart = now;
  }
}
