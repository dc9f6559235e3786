// What the traffic recorder (traffic.ts) hands the dashboard and /metrics:
// per-second series, the top lists of a 60-second window, and the cumulative
// counts and latency histograms. Shapes only; the recorder fills them from its
// fixed-size ring and tables, the readers never write them.

export interface SeriesOut {
  /** Epoch seconds of the first point. */
  start: number;
  seconds: number[];
  total: number[];
  byVerdict: Record<string, number[]>;
  /** Distinct client addresses seen in that second (estimate). */
  sources: number[];
  originP50: (number | null)[];
  originP95: (number | null)[];
  mode: string[];
}

export interface TopOut {
  windowStart: number;
  prefixes: { key: string; count: number }[];
  asns: { key: string; count: number }[];
  countries: { key: string; count: number }[];
  paths: { key: string; count: number }[];
}

export interface TrafficTotals {
  rules: readonly string[];
  classes: readonly string[];
  /** counts[r * 32 + c]: requests of rule r and route class c. */
  counts: Float64Array;
  /** Cumulative histograms (per bucket, not cumulative across buckets). */
  originBuckets: Float64Array;
  originSum: number;
  originCount: number;
  totalBuckets: Float64Array;
  totalSum: number;
  totalCount: number;
}
