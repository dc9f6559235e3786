// The exporter over typed metric sources: numbers, flags and per-key figures
// become samples (non-finite ones are dropped, at most 64 keys), a module that
// is off exports nothing; and every module's declared metrics have valid,
// unique names, counters ending in _total.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cacheMetricSource } from '../cache/metric-source.js';
import { challengeMetricSource } from '../challenge/metric-source.js';
import { counter, gauge, metricSource, type MetricSource } from '../core/metric-source.js';
import { firewallMetricSource, guardMetricSource, h2MetricSource } from '../guard/metric-source.js';
import { policyMetricSource } from '../policy/metric-source.js';
import { admissionMetricSource } from '../proxy/metric-source.js';
import { alertsMetricSource } from './alerts.js';
import { createMetrics } from './metrics.js';
import { Traffic } from './traffic.js';

interface Stats {
  done: number;
  broken: number;
  up: boolean;
  perKey: Record<string, number>;
}

/** The sample lines of one family, without the process metrics. */
const lines = (text: string, name: string): string[] =>
  text.split('\n').filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));

test('a source exports numbers, flags and per-key figures; an absent module exports nothing', async () => {
  let stats: Stats | null = {
    done: 4,
    broken: Number.NaN,
    up: true,
    perKey: Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`k${i}`, i])),
  };
  const source = metricSource(
    () => stats,
    [
      counter('t_done_total', 'Done.', (s: Stats) => s.done),
      gauge('t_broken', 'Not a number.', (s: Stats) => s.broken),
      gauge('t_up', 'Up.', (s: Stats) => s.up),
      gauge('t_per_key', 'Per key.', (s: Stats) => s.perKey, 'thing'),
    ],
  );
  const m = createMetrics({ traffic: new Traffic({ now: () => 0 }), sources: [source], now: () => 0 });
  const text = await m.scrape();
  assert.deepEqual(lines(text, 't_done_total'), ['t_done_total 4']);
  assert.match(text, /# TYPE t_done_total counter/);
  assert.deepEqual(lines(text, 't_broken'), []);
  assert.doesNotMatch(text, /# TYPE t_broken /, 'a family without samples is not made');
  assert.deepEqual(lines(text, 't_up'), ['t_up 1']);
  const perKey = lines(text, 't_per_key');
  assert.equal(perKey.length, 64);
  assert.equal(perKey[0], 't_per_key{thing="k0"} 0');
  stats = null;
  const off = await m.scrape();
  assert.deepEqual(lines(off, 't_done_total'), [], 'a module that is off exports no samples');
});

test("every module's metrics: valid unique names, counters end in _total, gauges do not", () => {
  const none = () => null;
  const sources: MetricSource[] = [
    challengeMetricSource(none),
    cacheMetricSource(none),
    admissionMetricSource(none),
    policyMetricSource(none),
    guardMetricSource(none),
    firewallMetricSource(none),
    h2MetricSource(none),
    alertsMetricSource(none),
  ];
  const names = new Set<string>();
  for (const spec of sources.flatMap((s) => s.metrics)) {
    assert.match(spec.name, /^rampart_[a-z0-9_]+$/, spec.name);
    assert.ok(!names.has(spec.name), `declared twice: ${spec.name}`);
    names.add(spec.name);
    assert.equal(spec.name.endsWith('_total'), spec.type === 'counter', spec.name);
    assert.ok(spec.help.length > 0 && spec.help.endsWith('.'), `help of ${spec.name}`);
    if (spec.label !== undefined) assert.match(spec.label, /^[a-z_]+$/, spec.name);
  }
});
