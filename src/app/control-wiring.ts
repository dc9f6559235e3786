// The control plane as the app builds it: settings from the config, and the
// counters each module's stats contribute to /metrics (read from the graph in
// force, so a reload's new stages are what is counted; each module declares
// its metrics against its own stats type). Not the control plane
// itself (src/control/control.ts).
import type { Config } from '../config/schema.js';
import type { ControlOptions, ControlSettings } from '../control/control.js';
import type { Edge } from './edge.js';
import type { Graph } from './graph.js';
import type { ConnectionGuard } from '../guard/connections.js';
import { cacheMetricSource } from '../cache/metric-source.js';
import { challengeMetricSource } from '../challenge/metric-source.js';
import { firewallMetricSource, guardMetricSource, h2MetricSource } from '../guard/metric-source.js';
import { policyMetricSource } from '../policy/metric-source.js';
import { admissionMetricSource } from '../proxy/metric-source.js';

export function controlSettings(c: Config): ControlSettings {
  return { admin: c.admin, alerts: c.alerts, log: c.log, dataDir: c.dataDir };
}

/** What the metric sources read: the graph in force, the connection guard, the edge. */
export interface SourceReaders {
  graph(): Graph;
  guard(): ConnectionGuard;
  edge(): Edge;
}

export function metricSources(r: SourceReaders): ControlOptions['sources'] {
  return [
    challengeMetricSource(() => r.graph().challenge?.stats() ?? null),
    cacheMetricSource(() => r.graph().cache?.stats() ?? null),
    admissionMetricSource(() => r.graph().admission?.stats() ?? null),
    policyMetricSource(() => r.graph().policy.stats()),
    guardMetricSource(() => r.guard().stats()),
    firewallMetricSource(() => r.edge().firewall?.stats() ?? null),
    h2MetricSource(() => r.edge().h2?.stats() ?? null),
  ];
}
