// Prometheus exposition (prom-client) built at scrape time: nothing here runs
// per request. Control's own families (requests, latency, mode, bans, detector:
// metrics-control.ts), then every module's MetricSource (src/core/metric-
// source.ts): each module declares its metrics beside its code, typed against
// its stats, so control never names a module's field.
import type { Enforcement } from '../core/model.js';
import type { MetricSource, MetricSpec, MetricValue } from '../core/metric-source.js';
import type { ControlState, DetectorView, WorkerInfo } from './admin-types.js';
import { addDetectorFamilies, addStateFamilies, addTrafficFamilies } from './metrics-control.js';
import { MetricFamilies } from './metrics-families.js';
import type { Traffic } from './traffic.js';

export interface MetricsDeps {
  traffic: Traffic;
  state?: ControlState | null;
  /** The enforcement in force; absent: the shared state's. */
  enforcement?: () => Enforcement;
  detector?: DetectorView | null;
  sources: readonly MetricSource[];
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

/** prom-client's Registry.PROMETHEUS_CONTENT_TYPE, known without loading it. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** At most this many keys (label values) of one per-key figure are exported. */
const MAX_KEYS = 64;

export function createMetrics(d: MetricsDeps): MetricsExporter {
  const families = new MetricFamilies(d.worker ? d.worker.index : null);
  const now = d.now ?? Date.now;
  function refresh(): void {
    families.clear();
    addTrafficFamilies(families, d.traffic);
    if (d.state) addStateFamilies(families, d.state, now(), d.enforcement?.() ?? d.state.enforcement());
    if (d.detector) addDetectorFamilies(families, d.detector);
    if (d.worker)
      families.gauge(
        'rampart_workers',
        'Cluster workers running on this node (each exports its own counters, labelled worker).',
        d.worker.count,
      );
    if (d.inFlight) families.gauge('rampart_in_flight', 'Requests in flight on this process.', d.inFlight());
    for (const source of d.sources) addSource(families, source);
  }
  return {
    contentType: METRICS_CONTENT_TYPE,
    async scrape() {
      refresh();
      // Families seen at an earlier scrape but absent now export no samples.
      return families.registry().metrics();
    },
    async json() {
      refresh();
      return (await families.registry().getMetricsAsJSON()) as object[];
    },
  };
}

/** A module's metrics: nothing while it is off; a family only when it has a sample now. */
function addSource(out: MetricFamilies, source: MetricSource): void {
  const values = source.read();
  if (values === null) return;
  for (let i = 0; i < source.metrics.length; i++) addValue(out, source.metrics[i], values[i]);
}

function addValue(out: MetricFamilies, spec: MetricSpec, v: MetricValue): void {
  if (typeof v === 'number') {
    if (Number.isFinite(v)) out.add(spec.name, spec.help, spec.type, { labels: {}, value: v });
  } else if (typeof v === 'boolean') out.add(spec.name, spec.help, spec.type, { labels: {}, value: v ? 1 : 0 });
  else if (v) {
    const label = spec.label ?? 'key';
    for (const [key, n] of Object.entries(v).slice(0, MAX_KEYS))
      if (Number.isFinite(n)) out.add(spec.name, spec.help, spec.type, { labels: { [label]: key }, value: n });
  }
}
