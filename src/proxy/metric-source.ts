// Origin admission's Prometheus metrics, declared against AdmissionStats
// (admission.ts): control exports them without knowing a field, and a renamed
// field fails to compile here. Read at scrape time only.
import { counter, gauge, metricSource, type MetricSource, type ModuleMetric } from '../core/metric-source.js';
import type { AdmissionStats } from './admission.js';

const ADMISSION_METRICS: readonly ModuleMetric<AdmissionStats>[] = [
  gauge('rampart_admission_in_flight', 'Requests at the origin now.', (s) => s.inFlight),
  gauge('rampart_admission_limit', 'Concurrency limit in force.', (s) => s.limit),
  gauge('rampart_admission_adaptive', '1 when the limit adapts to origin latency.', (s) => s.adaptive),
  gauge(
    'rampart_admission_origin_ms',
    'Origin latency (ms, admission to first byte) the adaptive limit last saw, short and long run.',
    (s) => s.originMs,
  ),
  gauge('rampart_admission_queued', 'Requests waiting for the origin, by priority.', (s) => s.queued),
  counter('rampart_admission_shed_total', 'Requests refused for lack of origin capacity, by priority.', (s) => s.shed),
  counter('rampart_admission_expired_total', 'Of the shed: those that waited until their deadline.', (s) => s.expired),
  counter('rampart_admission_admitted_total', 'Requests let through to the origin.', (s) => s.admitted),
  counter('rampart_admission_abandoned_total', 'Clients that left while queued.', (s) => s.abandoned),
  counter(
    'rampart_admission_stale_instead_of_shed_total',
    'Requests answered from a stale copy instead of being shed.',
    (s) => s.staleInsteadOfShed,
  ),
  counter(
    'rampart_admission_circuit_refused_total',
    'Requests refused while the circuit breaker was open.',
    (s) => s.circuitRefused,
  ),
  gauge(
    'rampart_admission_circuit_state',
    'Circuit breaker: 0 closed, 1 half-open, 2 open, -1 disabled.',
    (s) => s.circuitState,
  ),
  counter('rampart_admission_circuit_opened_total', 'Times the circuit breaker opened.', (s) => s.circuitOpened),
  gauge(
    'rampart_admission_circuit',
    'Circuit breaker figures: since, openUntil (ms timestamps), opened, consecutiveFailures.',
    (s) =>
      s.circuit && {
        since: s.circuit.since,
        openUntil: s.circuit.openUntil,
        opened: s.circuit.opened,
        consecutiveFailures: s.circuit.consecutiveFailures,
      },
  ),
];

/** Admission's metrics over its live stats (`read` returns null when admission is off). */
export function admissionMetricSource(read: () => AdmissionStats | null): MetricSource {
  return metricSource(read, ADMISSION_METRICS);
}
