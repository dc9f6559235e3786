// The families control computes itself, from the interfaces it declares
// (admin-types.ts): requests and latency from the traffic recorder, mode and
// bans from shared state, the detector's score and incident. Modules' own
// figures come through their MetricSources instead (metrics.ts). Scrape time only.
import type { Enforcement } from '../core/model.js';
import type { ControlState, DetectorView } from './admin-types.js';
import type { MetricFamilies, Sample } from './metrics-families.js';
import { MAX_ROUTE_CLASSES, type Traffic } from './traffic.js';

const MODES = ['normal', 'elevated', 'under_attack', 'recovering'];

/** One sample per mode: 1 for `active`, 0 for the others. */
const perMode = (active: string | null): Sample[] =>
  MODES.map((mode) => ({ labels: { mode }, value: mode === active ? 1 : 0 }));

export function addTrafficFamilies(out: MetricFamilies, traffic: Traffic): void {
  const t = traffic.totals();
  const requests: Sample[] = [];
  for (let r = 0; r < t.rules.length; r++) {
    for (let c = 0; c < t.classes.length; c++) {
      const v = t.counts[r * MAX_ROUTE_CLASSES + c];
      if (v > 0) requests.push({ labels: { verdict: t.rules[r], route_class: t.classes[c] }, value: v });
    }
  }
  out.set('rampart_requests_total', {
    help: 'Requests finished, by verdict rule and route class.',
    type: 'counter',
    values: requests,
  });
  out.histogram(
    'rampart_request_duration_seconds',
    'Time from arrival to response end (coarse clock).',
    t.totalBuckets,
    t.totalSum,
    t.totalCount,
  );
  out.histogram(
    'rampart_origin_duration_seconds',
    'Origin time to first byte, for requests forwarded to the origin.',
    t.originBuckets,
    t.originSum,
    t.originCount,
  );
  const last = traffic.series(1);
  out.gauge(
    'rampart_distinct_sources',
    'Distinct client addresses in the last complete second (estimate).',
    last.sources[0] ?? 0,
  );
}

export function addStateFamilies(
  out: MetricFamilies,
  state: ControlState,
  now: number,
  enforcement: Enforcement,
): void {
  out.set('rampart_mode', {
    help: 'Current attack mode (1 for the active one).',
    type: 'gauge',
    values: perMode(state.mode()),
  });
  out.gauge(
    'rampart_enforcement_observe',
    '1 when enforcement is observe (shadow mode: configured or set through the API), 0 when enforcing.',
    enforcement === 'observe' ? 1 : 0,
  );
  out.gauge('rampart_bans', 'Active bans.', state.bans().length);
  const health = state.health();
  out.set('rampart_state_connected', {
    help: 'Shared state backend connected (memory is always 1).',
    type: 'gauge',
    values: [{ labels: { backend: health.backend }, value: health.connected ? 1 : 0 }],
  });
  out.gauge('rampart_state_outbox', 'Local state writes not yet confirmed by the shared store.', health.outbox ?? 0);
  out.set('rampart_state_last_sync_age_seconds', {
    help: 'Seconds since the last successful exchange with the shared store.',
    type: 'gauge',
    values: health.lastSyncAt > 0 ? [{ labels: {}, value: Math.max(0, (now - health.lastSyncAt) / 1000) }] : [],
  });
  out.set('rampart_mode_override', {
    help: "The operator's forced mode (1 for it; none when the detector decides).",
    type: 'gauge',
    values: perMode(state.modeOverride?.() ?? null),
  });
}

/** A finite number or a flag as one sample; nothing for anything else. */
function oneSample(v: unknown): Sample[] {
  if (typeof v === 'number' && Number.isFinite(v)) return [{ labels: {}, value: v }];
  if (typeof v === 'boolean') return [{ labels: {}, value: v ? 1 : 0 }];
  return [];
}

export function addDetectorFamilies(out: MetricFamilies, detector: DetectorView): void {
  const snap = detector.snapshot();
  out.set('rampart_detector_score', {
    help: 'Detector anomaly score of the last closed second (>= 1 is anomalous).',
    type: 'gauge',
    values: oneSample(snap.score),
  });
  out.set('rampart_detector_warm', {
    help: '1 once the detector has learned a baseline.',
    type: 'gauge',
    values: oneSample(snap.warm),
  });
  out.gauge('rampart_detector_incident_active', '1 while an attack incident is open.', snap.incident ? 1 : 0);
  out.gauge(
    'rampart_detector_incident_level',
    'Mitigation level of the open incident (0 when none).',
    snap.incident?.level ?? 0,
  );
}
