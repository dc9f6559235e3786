// The policy stage's Prometheus metrics, declared against PolicyStats
// (stage.ts): control exports them without knowing a field, and a renamed
// field fails to compile here. Read at scrape time only.
import { counter, gauge, metricSource, type MetricSource, type ModuleMetric } from '../core/metric-source.js';
import type { PolicyStats } from './stage.js';

const POLICY_METRICS: readonly ModuleMetric<PolicyStats>[] = [
  counter('rampart_policy_refused_total', 'Requests refused, by rule (enforce mode).', (s) => s.refused),
  counter(
    'rampart_policy_would_refuse_total',
    'Requests policy would have refused or challenged, by rule (observe mode).',
    (s) => s.wouldRefuse,
  ),
  counter('rampart_policy_challenged_total', 'Requests sent to the challenge, by rule.', (s) => s.challenged),
  counter('rampart_policy_allow_listed_total', 'Requests from allow-listed clients.', (s) => s.allowListed),
  gauge('rampart_policy_tracked', 'Keys in the rate-limit bucket tables, by key type.', (s) => s.tracked),
  counter(
    'rampart_policy_evictions_total',
    'Rate-limit keys forgotten to make room (more clients than rate_limits.tracked).',
    (s) => s.evictions,
  ),
  gauge('rampart_policy_table_bytes', "Ceiling of the bucket tables' memory, bytes.", (s) => s.tableBytes),
];

/** The policy's metrics over its live stats. */
export function policyMetricSource(read: () => PolicyStats | null): MetricSource {
  return metricSource(read, POLICY_METRICS);
}
