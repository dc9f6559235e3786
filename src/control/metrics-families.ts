// The metric families of one scrape, handed to prom-client as custom metrics:
// each family is registered once, on its first sight, and its samples are
// replaced at every scrape (a family absent now exports no samples). Not the
// figures themselves (metrics.ts, metrics-control.ts). Scrape time only.
import { createRequire } from 'node:module';
import type { Metric, Registry } from 'prom-client';
import type { MetricType } from '../core/metric-source.js';
import { LATENCY_BOUNDS_MS } from './traffic.js';

export type Labels = Record<string, string>;

export interface Sample {
  labels: Labels;
  value: number;
  /** For a histogram's `_bucket`, `_sum` and `_count` lines. */
  metricName?: string;
}

export interface Family {
  help: string;
  type: MetricType | 'histogram';
  values: Sample[];
}

// prom-client (~5 MB of heap and code) is loaded at the first scrape, not at
// start: a shield nobody scrapes never pays for it. Its process metrics (event
// loop lag included) are sampled from that first scrape on.
const require = createRequire(import.meta.url);
let prom: typeof import('prom-client') | null = null;
const promClient = (): typeof import('prom-client') =>
  (prom ??= require('prom-client') as typeof import('prom-client'));

export class MetricFamilies {
  private made: Registry | null = null;
  private current = new Map<string, Family>();

  /** `worker`: the cluster worker slot every sample is labelled with, null in a single process. */
  constructor(private readonly worker: number | null) {}

  /** The prom-client registry, with the process metrics, made at the first scrape. */
  registry(): Registry {
    if (this.made !== null) return this.made;
    const client = promClient();
    const registry = new client.Registry();
    if (this.worker !== null) registry.setDefaultLabels({ worker: String(this.worker) });
    client.collectDefaultMetrics({ register: registry, prefix: 'rampart_process_' });
    this.made = registry;
    return registry;
  }

  /** Starts a scrape: every family is empty until set or added to again. */
  clear(): void {
    this.current = new Map();
  }

  /** Sets a family's samples for this scrape, registering it on its first sight. */
  set(name: string, family: Family): void {
    this.current.set(name, family);
    const registry = this.registry();
    if (registry.getSingleMetric(name)) return;
    const metric = {
      name,
      help: family.help,
      type: family.type,
      aggregator: 'sum',
      get: async () => ({
        name,
        help: family.help,
        type: this.current.get(name)?.type ?? family.type,
        aggregator: 'sum',
        values: this.current.get(name)?.values ?? [],
      }),
      reset() {},
    };
    registry.registerMetric(metric as unknown as Metric<string>);
  }

  /** Adds one sample to a family (created with this help and type when it has none yet this scrape). */
  add(name: string, help: string, type: MetricType, sample: Sample): void {
    const family = this.current.get(name) ?? { help, type, values: [] };
    family.values.push(sample);
    this.set(name, family);
  }

  /** One gauge sample without labels. */
  gauge(name: string, help: string, value: number): void {
    this.set(name, { help, type: 'gauge', values: [{ labels: {}, value }] });
  }

  /** A latency histogram from the traffic recorder's per-bound counts (ms), exported in seconds. */
  histogram(name: string, help: string, buckets: Float64Array, sumMs: number, count: number): void {
    const values: Sample[] = [];
    let cumulative = 0;
    for (let i = 0; i < LATENCY_BOUNDS_MS.length; i++) {
      cumulative += buckets[i];
      const le = Number.isFinite(LATENCY_BOUNDS_MS[i]) ? String(LATENCY_BOUNDS_MS[i] / 1000) : '+Inf';
      values.push({ labels: { le }, value: cumulative, metricName: `${name}_bucket` });
    }
    values.push({ labels: {}, value: sumMs / 1000, metricName: `${name}_sum` });
    values.push({ labels: {}, value: count, metricName: `${name}_count` });
    this.set(name, { help, type: 'histogram', values });
  }
}
