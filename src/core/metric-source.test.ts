// Typed metric sources: one stats() read per scrape, values in declaration
// order, null while the module is off; column() picks one field of every row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { column, counter, gauge, metricSource } from './metric-source.js';

interface Stats {
  hits: number;
  open: boolean;
  byClass: Record<string, { served: number; ms: number }>;
}

test('a source reads the stats once per read and gives one value per metric, in order', () => {
  let reads = 0;
  let on = true;
  const stats: Stats = { hits: 3, open: true, byClass: { page: { served: 2, ms: 5 }, api: { served: 1, ms: 9 } } };
  const source = metricSource(() => {
    reads++;
    return on ? stats : null;
  }, [
    counter('x_hits_total', 'Hits.', (s: Stats) => s.hits),
    gauge('x_open', 'Open.', (s: Stats) => s.open),
    gauge('x_by_class_served', 'Served by class.', (s: Stats) => column(s.byClass, 'served'), 'class'),
  ]);
  assert.deepEqual(
    source.metrics.map((m) => [m.name, m.type, m.label]),
    [
      ['x_hits_total', 'counter', undefined],
      ['x_open', 'gauge', undefined],
      ['x_by_class_served', 'gauge', 'class'],
    ],
  );
  assert.deepEqual(source.read(), [3, true, { page: 2, api: 1 }]);
  assert.equal(reads, 1);
  on = false;
  assert.equal(source.read(), null, 'a module that is off has no values');
});

test('column keeps the rows in their order', () => {
  assert.deepEqual(column({ b: { n: 1 }, a: { n: 2 } }, 'n'), { b: 1, a: 2 });
  assert.deepEqual(column({} as Record<string, { n: number }>, 'n'), {});
});
