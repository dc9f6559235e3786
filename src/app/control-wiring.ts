// The control plane as the app builds it: settings from the config, and the
// counters each module's stats contribute to /metrics (read from the graph in
// force, so a reload's new stages are what is counted). Not the control plane
// itself (src/control/control.ts).
import type { Config } from '../config/schema.js';
import { createControl, type Control, type ControlOptions, type ControlSettings } from '../control/control.js';
import type { Edge } from './edge.js';
import type { Graph } from './graph.js';
import type { ConnectionGuard } from '../guard/connections.js';

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
    {
      name: 'challenge',
      counters: ['issued', 'solved', 'solvedNoJs', 'failed', 'replayed', 'expired', 'passesAccepted', 'passesRejected'],
      labels: { byRouteClass: 'route_class', solvedVia: 'via' },
      read: () => r.graph().challenge?.stats() ?? null,
    },
    {
      name: 'cache',
      counters: [
        'hits',
        'misses',
        'staleServed',
        'coalesced',
        'bypassed',
        'stored',
        'uncacheable',
        'passed',
        'evictions',
      ],
      read: () => r.graph().cache?.stats() ?? null,
    },
    {
      name: 'admission',
      counters: ['admitted', 'abandoned', 'staleInsteadOfShed', 'circuitRefused', 'circuitOpened', 'shed', 'expired'],
      read: () => r.graph().admission?.stats() ?? null,
    },
    {
      name: 'policy',
      counters: ['refused', 'wouldRefuse', 'challenged', 'allowListed', 'evictions'],
      read: () => r.graph().policy.stats(),
    },
    { name: 'guard', counters: ['accepted', 'refused', 'banned', 'closedOnBan'], read: () => r.guard().stats() },
    { name: 'firewall', counters: ['syncs', 'deltas', 'failures'], read: () => r.edge().firewall?.stats() ?? null },
    {
      name: 'h2',
      counters: [
        'sessions',
        'streams',
        'prematureResets',
        'protocolErrors',
        'controlFrames',
        'glitches',
        'abusiveSessions',
        'recycledSessions',
      ],
      read: () => r.edge().h2?.stats() ?? null,
    },
  ];
}

export { createControl, type Control };
