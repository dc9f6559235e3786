// The guard's Prometheus metrics — connections, HTTP/2 sessions, the kernel
// ban set — declared against their stats types: control exports them without
// knowing a field, and a renamed field fails to compile here. Scrape time only.
import { counter, gauge, metricSource, type MetricSource, type ModuleMetric } from '../core/metric-source.js';
import type { GuardStats } from './connections.js';
import type { FirewallSyncStats } from './firewall-sync.js';
import type { H2GuardStats } from './h2-guard.js';

const GUARD_METRICS: readonly ModuleMetric<GuardStats>[] = [
  gauge('rampart_guard_open', 'Open client connections.', (s) => s.open),
  counter(
    'rampart_guard_accepted_total',
    'Connections accepted by the kernel (refused ones included).',
    (s) => s.accepted,
  ),
  counter('rampart_guard_refused_total', 'Sockets refused at accept (bans and the per-address cap).', (s) => s.refused),
  counter('rampart_guard_banned_total', 'Of the refused: by a ban or the deny list.', (s) => s.banned),
  counter(
    'rampart_guard_closed_on_ban_total',
    'Open connections closed because their address was banned after accept.',
    (s) => s.closedOnBan,
  ),
  gauge(
    'rampart_guard_stalled_heads',
    'Plain-HTTP connections holding an unfinished request head at the last sweep.',
    (s) => s.stalledHeads,
  ),
];

const FIREWALL_METRICS: readonly ModuleMetric<FirewallSyncStats>[] = [
  gauge('rampart_firewall_elements', 'Addresses in the kernel ban set.', (s) => s.elements),
  counter('rampart_firewall_syncs_total', 'Full reconciles with the kernel ban set.', (s) => s.syncs),
  counter('rampart_firewall_deltas_total', 'Incremental changes sent to the kernel ban set.', (s) => s.deltas),
  counter('rampart_firewall_failures_total', 'Failed exchanges with the firewall helper.', (s) => s.failures),
  gauge('rampart_firewall_healthy', '1 while the firewall helper answers.', (s) => s.healthy),
];

const H2_METRICS: readonly ModuleMetric<H2GuardStats>[] = [
  counter('rampart_h2_sessions_total', 'HTTP/2 sessions opened.', (s) => s.sessions),
  counter('rampart_h2_streams_total', 'HTTP/2 streams opened.', (s) => s.streams),
  counter(
    'rampart_h2_premature_resets_total',
    'Streams reset by the client before a response.',
    (s) => s.prematureResets,
  ),
  counter('rampart_h2_protocol_errors_total', 'HTTP/2 protocol errors that killed a session.', (s) => s.protocolErrors),
  counter('rampart_h2_control_frames_total', 'HTTP/2 SETTINGS and PING frames received.', (s) => s.controlFrames),
  counter(
    'rampart_h2_glitches_total',
    'HTTP/2 glitches (premature resets, protocol errors, control frames over the allowance, stalls).',
    (s) => s.glitches,
  ),
  counter(
    'rampart_h2_abusive_sessions_total',
    'Sessions closed with GOAWAY(ENHANCE_YOUR_CALM) for abuse.',
    (s) => s.abusiveSessions,
  ),
  counter(
    'rampart_h2_recycled_sessions_total',
    'Sessions closed gracefully at max_streams_per_session.',
    (s) => s.recycledSessions,
  ),
];

/** The connection guard's metrics over its live stats. */
export function guardMetricSource(read: () => GuardStats | null): MetricSource {
  return metricSource(read, GUARD_METRICS);
}

/** The kernel ban set's metrics (`read` returns null when the firewall is off). */
export function firewallMetricSource(read: () => FirewallSyncStats | null): MetricSource {
  return metricSource(read, FIREWALL_METRICS);
}

/** The HTTP/2 guard's metrics (`read` returns null without an HTTP/2 listener). */
export function h2MetricSource(read: () => H2GuardStats | null): MetricSource {
  return metricSource(read, H2_METRICS);
}
