// The micro-cache's Prometheus metrics, declared against CacheStats (stage.ts):
// control exports them without knowing a field, and a renamed field fails to
// compile here. Read at scrape time only.
import { counter, gauge, metricSource, type MetricSource, type ModuleMetric } from '../core/metric-source.js';
import type { CacheStats } from './stage.js';

const CACHE_METRICS: readonly ModuleMetric<CacheStats>[] = [
  counter('rampart_cache_hits_total', 'Requests answered from the cache.', (s) => s.hits),
  counter('rampart_cache_misses_total', 'Cacheable requests not found in the cache.', (s) => s.misses),
  counter(
    'rampart_cache_stale_served_total',
    'Stale copies served (origin slow, failing or shed).',
    (s) => s.staleServed,
  ),
  counter('rampart_cache_coalesced_total', 'Requests that waited for a fill already under way.', (s) => s.coalesced),
  counter(
    'rampart_cache_bypassed_total',
    'Requests not looked up (credentials on a non-public route, or a class not stored).',
    (s) => s.bypassed,
  ),
  counter('rampart_cache_stored_total', 'Responses stored.', (s) => s.stored),
  counter('rampart_cache_uncacheable_total', 'Origin responses that could not be stored.', (s) => s.uncacheable),
  counter(
    'rampart_cache_passed_total',
    "Misses sent straight to the origin because the URL's last answer was not storable.",
    (s) => s.passed,
  ),
  gauge('rampart_cache_bytes', 'Bytes stored.', (s) => s.bytes),
  gauge('rampart_cache_max_bytes', 'The store ceiling, bytes.', (s) => s.maxBytes),
  gauge('rampart_cache_entries', 'Responses stored.', (s) => s.entries),
  counter('rampart_cache_evictions_total', 'Entries dropped to make room.', (s) => s.evictions),
  gauge('rampart_cache_pending_fills', 'Origin fetches filling the cache now.', (s) => s.pendingFills),
  gauge('rampart_cache_waiting', 'Requests waiting for a fill now.', (s) => s.waiting),
];

/** The cache's metrics over its live stats (`read` returns null while the cache is off). */
export function cacheMetricSource(read: () => CacheStats | null): MetricSource {
  return metricSource(read, CACHE_METRICS);
}
