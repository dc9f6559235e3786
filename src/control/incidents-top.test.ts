import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Signature, SignatureItem } from '../detector/events.js';
import { TopAccumulator } from './incidents-top.js';

const item = (label: string, count: number): SignatureItem => ({
  key: 0,
  label,
  count,
  share: 0,
  baselineShare: 0,
  lift: 1,
});
const sig = (sources: SignatureItem[], paths: SignatureItem[] = []): Signature => ({
  sources,
  prefixes: [],
  fingerprints: [],
  paths,
  queryShapes: [],
  routeClasses: [],
});

test('tops are summed over the seconds they were seen, shares of all requests in those seconds', () => {
  const t = new TopAccumulator();
  assert.equal(t.empty, true);
  t.add(sig([item('10.0.0.1', 60), item('10.0.0.2', 30)], [item('/', 90)]), 100);
  t.add(sig([item('10.0.0.2', 80)], [item('/', 50), item('/search', 40)]), 100);
  const r = t.result();
  assert.deepEqual(
    r.sources.map((x) => [x.label, x.count]),
    [
      ['10.0.0.2', 110],
      ['10.0.0.1', 60],
    ],
  );
  assert.equal(r.sources[0].share, 110 / 200);
  assert.deepEqual(
    r.paths.map((x) => x.label),
    ['/', '/search'],
  );
  assert.equal(t.empty, false);
});

test('bounded: thousands of labels keep the largest, and at most 20 are reported', () => {
  const t = new TopAccumulator();
  for (let s = 0; s < 50; s++)
    t.add(sig(Array.from({ length: 100 }, (_, i) => item(`10.${s}.0.${i}`, 1)).concat(item('10.255.0.1', 50))), 150);
  const r = t.result();
  assert.equal(r.sources.length, 20);
  assert.equal(r.sources[0].label, '10.255.0.1');
  assert.equal(r.sources[0].count, 50 * 50);
});

test('a resumed incident starts from the tops it had', () => {
  const t = new TopAccumulator();
  t.seed({ sources: [{ label: 'a', count: 10, share: 1 }], prefixes: [], fingerprints: [], paths: [] }, 10);
  t.add(sig([item('a', 5), item('b', 5)]), 10);
  assert.deepEqual(
    t.result().sources.map((x) => [x.label, x.count, x.share]),
    [
      ['a', 15, 0.75],
      ['b', 5, 0.25],
    ],
  );
});
