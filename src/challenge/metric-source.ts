// The challenge's Prometheus metrics, declared against ChallengeStats
// (metrics.ts): control exports them without knowing a field, and a renamed
// field fails to compile here. Read at scrape time only.
import {
  column,
  counter,
  gauge,
  metricSource,
  type MetricSource,
  type ModuleMetric,
  type NumberField,
} from '../core/metric-source.js';
import type { ChallengeStats, RouteStats } from './metrics.js';

type M = ModuleMetric<ChallengeStats>;

/** A column of the per-route-class table, labelled route_class. */
const perRouteClass = (name: string, field: NumberField<RouteStats>, help: string): M =>
  gauge(name, help, (s: ChallengeStats) => column(s.byRouteClass, field), 'route_class');

const CHALLENGE_METRICS: readonly M[] = [
  counter('rampart_challenge_issued_total', 'Challenges served.', (s) => s.issued),
  counter('rampart_challenge_solved_total', 'Challenges solved with proof of work.', (s) => s.solved),
  counter('rampart_challenge_solved_no_js_total', 'Clients that passed the no-JS check.', (s) => s.solvedNoJs),
  counter('rampart_challenge_failed_total', 'Bad solutions, forged or mismatched tokens.', (s) => s.failed),
  counter('rampart_challenge_replayed_total', 'Solutions sent again.', (s) => s.replayed),
  counter('rampart_challenge_expired_total', 'Solutions sent after their challenge expired.', (s) => s.expired),
  counter('rampart_challenge_passes_accepted_total', 'Pass cookies that verified.', (s) => s.passesAccepted),
  counter(
    'rampart_challenge_passes_rejected_total',
    'Pass cookies that did not verify (expired, other network, forged).',
    (s) => s.passesRejected,
  ),
  gauge(
    'rampart_challenge_would_challenge',
    'Observe mode: challenges that would have been served.',
    (s) => s.wouldChallenge,
  ),
  gauge(
    'rampart_challenge_cookie_checks',
    'Cookie checks answered (redirects setting the cookie).',
    (s) => s.cookieChecks,
  ),
  gauge(
    'rampart_challenge_cookie_checks_passed',
    'Requests that came back with the cookie while a check was asked.',
    (s) => s.cookieChecksPassed,
  ),
  gauge(
    'rampart_challenge_mark_checks',
    'Assets checks answered (a page that loads a stylesheet marking the seen cookie, then reloads).',
    (s) => s.markChecks,
  ),
  gauge(
    'rampart_challenge_cookie_refused',
    'Clients refused for coming back without the cookie several times in a row.',
    (s) => s.cookieRefused,
  ),
  gauge(
    'rampart_challenge_would_check',
    'Observe mode: cookie checks that would have been answered.',
    (s) => s.wouldCheck,
  ),
  gauge(
    'rampart_challenge_abandoned',
    'Challenges issued and never answered (approximate: reloads re-issue).',
    (s) => s.abandoned,
  ),
  gauge(
    'rampart_challenge_median_solve_ms',
    'Median ms from issue to verify over the last 256 solves (0 before any).',
    (s) => s.medianSolveMs,
  ),
  gauge(
    'rampart_challenge_solved_via',
    'Proof-of-work solves by how the page computed them.',
    (s) => s.solvedVia,
    'via',
  ),
  perRouteClass('rampart_challenge_by_route_class_issued', 'issued', 'Challenges served, by route class.'),
  perRouteClass('rampart_challenge_by_route_class_solved', 'solved', 'Challenges solved, by route class.'),
  perRouteClass('rampart_challenge_by_route_class_failed', 'failed', 'Failed, replayed or expired, by route class.'),
  perRouteClass('rampart_challenge_by_route_class_abandoned', 'abandoned', 'Never answered, by route class.'),
  perRouteClass(
    'rampart_challenge_by_route_class_median_solve_ms',
    'medianSolveMs',
    "Median ms from issue to verify over the route class's last 64 solves.",
  ),
  gauge('rampart_challenge_nonce_store_size', 'Single-use nonces remembered.', (s) => s.nonceStoreSize),
  gauge(
    'rampart_challenge_nonce_evicted_live',
    'Nonces forgotten before they expired (store full).',
    (s) => s.nonceEvictedLive,
  ),
  gauge(
    'rampart_challenge_crawlers',
    'Reverse-DNS crawler checks by outcome (absent when exempt.crawlers is off).',
    (s) => s.crawlers,
  ),
];

/** The challenge's metrics over its live stats (`read` returns null while the challenge is off). */
export function challengeMetricSource(read: () => ChallengeStats | null): MetricSource {
  return metricSource(read, CHALLENGE_METRICS);
}
