// Exponentially weighted mean and variance (West 1979 / Finch 2009 form):
// the learned baseline of one per-second metric. `alpha` from a half-life in
// samples: alpha = 1 − 2^(−1/halfLife). Memory: four numbers.
// update() is O(1), no allocation.

export function alphaForHalfLife(samples: number): number {
  if (!(samples > 0)) throw new RangeError('half-life must be positive');
  return 1 - 2 ** (-1 / samples);
}

export class Ewma {
  readonly alpha: number;
  mean = 0;
  variance = 0;
  /** Samples seen (for warm-up decisions). */
  n = 0;

  constructor(alpha: number) {
    if (!(alpha > 0 && alpha <= 1)) throw new RangeError('ewma alpha must be in (0, 1]');
    this.alpha = alpha;
  }

  update(x: number): void {
    if (this.n === 0) {
      this.mean = x;
      this.variance = 0;
    } else {
      // Early samples get a larger weight (1/n) so the baseline does not start biased toward 0.
      const a = Math.max(this.alpha, 1 / (this.n + 1));
      const diff = x - this.mean;
      const incr = a * diff;
      this.mean += incr;
      this.variance = (1 - a) * (this.variance + diff * incr);
    }
    this.n++;
  }

  get std(): number {
    return Math.sqrt(this.variance);
  }

  /** Standard score of x against the baseline, with `floor` added to the deviation to avoid dividing by ~0. */
  z(x: number, floor = 1): number {
    return (x - this.mean) / (this.std + floor);
  }

  reset(): void {
    this.mean = 0;
    this.variance = 0;
    this.n = 0;
  }
}
