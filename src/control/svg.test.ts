import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeXml, niceMax, timelineSvg } from './svg.js';

test('niceMax rounds up to 1/2/5 × 10^k', () => {
  for (const [x, want] of [
    [0, 1],
    [0.3, 0.5],
    [7, 10],
    [101, 200],
    [480, 500],
    [4100, 5000],
  ] as const)
    assert.equal(niceMax(x), want);
});

test('timeline: one path per series, markers, escaped title, axis maximum', () => {
  const t = Array.from({ length: 30 }, (_, i) => 1_700_000_000_000 + i * 1000);
  const svg = timelineSvg({
    title: 'Incident <inc-1> & co',
    t,
    series: [
      { name: 'requests/s', color: '#1d4ed8', values: t.map((_, i) => (i > 10 ? 4000 : 80)) },
      { name: 'refused/s', color: '#dc2626', values: t.map((_, i) => (i > 12 ? 3500 : 0)) },
    ],
    markers: [{ t: t[12], label: 'mitigate/limit-signature' }],
  });
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.endsWith('</svg>'));
  assert.equal((svg.match(/<path /g) ?? []).length, 2);
  assert.match(svg, /Incident &lt;inc-1&gt; &amp; co/);
  assert.match(svg, />5,000</); // 4000 rounds up to a 5000 axis
  assert.match(svg, /stroke-dasharray="3 3"><title>mitigate\/limit-signature<\/title>/);
  assert.ok(!svg.includes('NaN'));
});

test('timeline: long series are bucketed to ≤ 600 points, keeping peaks', () => {
  const t = Array.from({ length: 5000 }, (_, i) => i * 1000);
  const values = t.map((_, i) => (i === 2500 ? 9000 : 10));
  const svg = timelineSvg({ title: 'x', t, series: [{ name: 'r', color: '#000', values }], markers: [] });
  const d = /d="([^"]+)"/.exec(svg)![1];
  assert.ok(d.split('L').length <= 600);
  assert.match(svg, />10,000</); // the single peak survived bucketing
});

test('timeline: empty input renders without NaN', () => {
  const svg = timelineSvg({ title: 'empty', t: [], series: [{ name: 'r', color: '#000', values: [] }], markers: [] });
  assert.ok(!svg.includes('NaN'));
  assert.equal(escapeXml(`"'`), '&quot;&#39;');
});
