// Prometheus exposition (prom-client) built at scrape time: nothing here runs
// per request. Requests, latency histograms and top figures come from the
// traffic recorder; mode and bans from shared state; everything else from the
// modules' stats() through MetricsSource (numeric leaves become gauges, named
// counters become counters), so control never knows a module's internals.
import { createRequire } from 'node:module';
import type { Metric, Registry } from 'prom-client';
import type { DetectorView, ControlState, MetricsSource, WorkerInfo } from './admin-types.js';
import { LATENCY_BOUNDS_MS, MAX_ROUTE_CLASSES, type Traffic } from './traffic.js';

type Labels = Record<string, string>;
interface Sample {
  labels: Labels;
  value: number;
  metricName?: string;
}
interface Family {
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  values: Sample[];
}

export interface MetricsDeps {
  traffic: Traffic;
  state?: ControlState | null;
  detector?: DetectorView | null;
  sources: readonly MetricsSource[];
  inFlight?: () => number;
  /** In a cluster worker: every sample carries `worker="<slot>"` so that Prometheus can sum the workers. */
  worker?: WorkerInfo | null;
  now?: () => number;
}

export interface MetricsExporter {
  contentType: string;
  scrape(): Promise<string>;
  /** The same samples as prom-client JSON (registry.getMetricsAsJSON), for the cluster primary to aggregate. */
  json(): Promise<object[]>;
}

// prom-client (~5 MB of heap and code) is loaded at the first scrape, not at
// start: a shield nobody scrapes never pays for it. Its process metrics (event
// loop lag included) are sampled from that first scrape on.
const require = createRequire(import.meta.url);
let prom: typeof import('prom-client') | null = null;
const promClient = (): typeof import('prom-client') =>
  (prom ??= require('prom-client') as typeof import('prom-client'));
/** prom-client's Registry.PROMETHEUS_CONTENT_TYPE, known without loading it. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const MAX_KEYS = 64;
const snake = (s: string): string =>
  s
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^a-zA-Z0-9_]/g, '_')
    .toLowerCase();
const MODES = ['normal', 'elevated', 'under_attack', 'recovering'];

export function createMetrics(d: MetricsDeps): MetricsExporter {
  let made: Registry | null = null;
  function reg(): Registry {
    if (made !== null) return made;
    const client = promClient();
    const registry = new client.Registry();
    if (d.worker) registry.setDefaultLabels({ worker: String(d.worker.index) });
    client.collectDefaultMetrics({ register: registry, prefix: 'rampart_process_' });
    return (made = registry);
  }
  const now = d.now ?? Date.now;
  let current = new Map<string, Family>();

  function ensure(name: string, f: Family): void {
    current.set(name, f);
    const registry = reg();
    if (registry.getSingleMetric(name)) return;
    const metric = {
      name,
      help: f.help,
      type: f.type,
      aggregator: 'sum',
      get: async () => ({
        name,
        help: f.help,
        type: current.get(name)?.type ?? f.type,
        aggregator: 'sum',
        values: current.get(name)?.values ?? [],
      }),
      reset() {},
    };
    registry.registerMetric(metric as unknown as Metric<string>);
  }

  function histogram(name: string, help: string, buckets: Float64Array, sum: number, count: number): void {
    const values: Sample[] = [];
    let acc = 0;
    for (let i = 0; i < LATENCY_BOUNDS_MS.length; i++) {
      acc += buckets[i];
      const le = Number.isFinite(LATENCY_BOUNDS_MS[i]) ? String(LATENCY_BOUNDS_MS[i] / 1000) : '+Inf';
      values.push({ labels: { le }, value: acc, metricName: `${name}_bucket` });
    }
    values.push(
      { labels: {}, value: sum / 1000, metricName: `${name}_sum` },
      { labels: {}, value: count, metricName: `${name}_count` },
    );
    ensure(name, { help, type: 'histogram', values });
  }

  function fromTraffic(): void {
    const t = d.traffic.totals();
    const req: Sample[] = [];
    for (let r = 0; r < t.rules.length; r++) {
      for (let c = 0; c < t.classes.length; c++) {
        const v = t.counts[r * MAX_ROUTE_CLASSES + c];
        if (v > 0) req.push({ labels: { verdict: t.rules[r], route_class: t.classes[c] }, value: v });
      }
    }
    ensure('rampart_requests_total', {
      help: 'Requests finished, by verdict rule and route class.',
      type: 'counter',
      values: req,
    });
    histogram(
      'rampart_request_duration_seconds',
      'Time from arrival to response end (coarse clock).',
      t.totalBuckets,
      t.totalSum,
      t.totalCount,
    );
    histogram(
      'rampart_origin_duration_seconds',
      'Origin time to first byte, for requests forwarded to the origin.',
      t.originBuckets,
      t.originSum,
      t.originCount,
    );
    const last = d.traffic.series(1);
    ensure('rampart_distinct_sources', {
      help: 'Distinct client addresses in the last complete second (estimate).',
      type: 'gauge',
      values: [{ labels: {}, value: last.sources[0] ?? 0 }],
    });
  }

  function fromState(s: ControlState): void {
    const mode = s.mode();
    ensure('rampart_mode', {
      help: 'Current attack mode (1 for the active one).',
      type: 'gauge',
      values: MODES.map((m) => ({ labels: { mode: m }, value: m === mode ? 1 : 0 })),
    });
    ensure('rampart_enforcement_observe', {
      help: '1 when enforcement is observe (shadow mode), 0 when enforcing.',
      type: 'gauge',
      values: [{ labels: {}, value: s.enforcement() === 'observe' ? 1 : 0 }],
    });
    ensure('rampart_bans', { help: 'Active bans.', type: 'gauge', values: [{ labels: {}, value: s.bans().length }] });
    const h = s.health();
    ensure('rampart_state_connected', {
      help: 'Shared state backend connected (memory is always 1).',
      type: 'gauge',
      values: [{ labels: { backend: h.backend }, value: h.connected ? 1 : 0 }],
    });
    ensure('rampart_state_outbox', {
      help: 'Local state writes not yet confirmed by the shared store.',
      type: 'gauge',
      values: [{ labels: {}, value: h.outbox ?? 0 }],
    });
    ensure('rampart_state_last_sync_age_seconds', {
      help: 'Seconds since the last successful exchange with the shared store.',
      type: 'gauge',
      values: h.lastSyncAt > 0 ? [{ labels: {}, value: Math.max(0, (now() - h.lastSyncAt) / 1000) }] : [],
    });
    const override = s.modeOverride?.() ?? null;
    ensure('rampart_mode_override', {
      help: "The operator's forced mode (1 for it; none when the detector decides).",
      type: 'gauge',
      values: MODES.map((m) => ({ labels: { mode: m }, value: m === override ? 1 : 0 })),
    });
  }

  function fromDetector(det: DetectorView): void {
    const snap = det.snapshot();
    const one = (v: unknown): Sample[] =>
      typeof v === 'number' && Number.isFinite(v)
        ? [{ labels: {}, value: v }]
        : typeof v === 'boolean'
          ? [{ labels: {}, value: v ? 1 : 0 }]
          : [];
    ensure('rampart_detector_score', {
      help: 'Detector anomaly score of the last closed second (>= 1 is anomalous).',
      type: 'gauge',
      values: one(snap.score),
    });
    ensure('rampart_detector_warm', {
      help: '1 once the detector has learned a baseline.',
      type: 'gauge',
      values: one(snap.warm),
    });
    ensure('rampart_detector_incident_active', {
      help: '1 while an attack incident is open.',
      type: 'gauge',
      values: [{ labels: {}, value: snap.incident ? 1 : 0 }],
    });
    ensure('rampart_detector_incident_level', {
      help: 'Mitigation level of the open incident (0 when none).',
      type: 'gauge',
      values: [{ labels: {}, value: snap.incident?.level ?? 0 }],
    });
  }

  /** Numeric leaves of a stats() object, one or two levels deep (see header). */
  function fromSource(src: MetricsSource): void {
    const stats = src.read();
    if (!stats) return;
    const counters = new Set(src.counters ?? []);
    const base = `rampart_${snake(src.name)}`;
    const put = (field: string, labels: Labels, value: number, counterKey: string) => {
      const counter = counters.has(counterKey);
      const name = `${base}_${snake(field)}${counter ? '_total' : ''}`;
      const f = current.get(name) ?? {
        help: `${src.name} ${field} (from ${src.name} stats()).`,
        type: counter ? 'counter' : 'gauge',
        values: [],
      };
      f.values.push({ labels, value });
      ensure(name, f);
    };
    for (const [k, v] of Object.entries(stats)) {
      if (typeof v === 'number' && Number.isFinite(v)) put(k, {}, v, k);
      else if (typeof v === 'boolean') put(k, {}, v ? 1 : 0, k);
      else if (v && typeof v === 'object' && !Array.isArray(v)) {
        for (const [key, inner] of Object.entries(v).slice(0, MAX_KEYS)) {
          const labels = { [src.labels?.[k] ?? 'key']: key };
          if (typeof inner === 'number' && Number.isFinite(inner)) put(k, labels, inner, k);
          else if (inner && typeof inner === 'object') {
            for (const [f, x] of Object.entries(inner))
              if (typeof x === 'number' && Number.isFinite(x)) put(`${k}_${f}`, labels, x, `${k}.${f}`);
          }
        }
      }
    }
  }

  function refresh(): void {
    current = new Map();
    fromTraffic();
    if (d.state) fromState(d.state);
    if (d.detector) fromDetector(d.detector);
    if (d.worker)
      ensure('rampart_workers', {
        help: 'Cluster workers running on this node (each exports its own counters, labelled worker).',
        type: 'gauge',
        values: [{ labels: {}, value: d.worker.count }],
      });
    if (d.inFlight)
      ensure('rampart_in_flight', {
        help: 'Requests in flight on this process.',
        type: 'gauge',
        values: [{ labels: {}, value: d.inFlight() }],
      });
    for (const s of d.sources) fromSource(s);
  }

  return {
    contentType: METRICS_CONTENT_TYPE,
    async scrape() {
      refresh();
      // Families seen at an earlier scrape but absent now export no samples.
      return reg().metrics();
    },
    async json() {
      refresh();
      return (await reg().getMetricsAsJSON()) as object[];
    },
  };
}
