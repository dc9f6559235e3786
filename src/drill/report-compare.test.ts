import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareReport, formatDifferences, truthOf, type ReportJson } from './report-compare.js';

// 2,000 attack sources placed 40/30/30 by index (as a GeoPlan does), 50 people all in DE.
const plan = {
  groupOf: (i: number) => (i < 1_000_000 ? 'DE' : ['DE', 'DE', 'DE', 'DE', 'BR', 'BR', 'BR', 'RU', 'RU', 'RU'][i % 10]),
};
const card = {
  scenario: 'botnet',
  users: 50,
  attack: { sources: 2000, sent: 29_000 },
  legit: { before: { servedPct: 77.6 }, during: { requests: 400, servedPct: 77.4 } },
};

const report = (over: Partial<ReportJson> = {}): ReportJson => ({
  id: 'inc-1',
  status: 'closed',
  verdict: 'moderate: …',
  vectors: [{ vector: 'distributed_flood' }],
  totals: { distinctSources: 2050, requests: 29_400 },
  accounting: { received: 29_400, forwarded: 400, cache: 20, challenged: 28_980, refused: 0, shed: 0, unaccounted: 0 },
  attribution: {
    sources: 2050,
    countries: [
      { key: 'DE', requestShare: 40.8, sourceShare: 41.5 },
      { key: 'BR', requestShare: 29.6, sourceShare: 29.3 },
      { key: 'RU', requestShare: 29.6, sourceShare: 29.3 },
    ],
    asns: [],
  },
  classification: {
    scale: 'moderate',
    criteria: [{ name: 'impact on users', level: 1, text: 'no user impact: 99.8% …' }],
  },
  ...over,
});

test('truth from the drill: sources and shares by the plan, people included', () => {
  const t = truthOf(card, plan);
  assert.equal(t.sources, 2050);
  const de = t.groups!.find((g) => g.key === 'DE')!;
  assert.equal(de.sourceShare.toFixed(1), '41.5');
  assert.equal(de.requestShare.toFixed(1), '40.8');
});

test('a report that agrees with the drill shows no difference; the issue report shows each', () => {
  const t = truthOf(card, plan);
  const good = compareReport(t, report());
  assert.deepEqual(
    good.filter((d) => !d.ok),
    [],
  );
  assert.match(formatDifferences('inc-1', 'moderate', good), /no differences beyond tolerance/);
  const doubled = report({
    attribution: {
      sources: 2063,
      countries: [
        { key: 'DE', requestShare: 40, sourceShare: 79.5 },
        { key: 'BR', requestShare: 30.1, sourceShare: 59.7 },
        { key: 'RU', requestShare: 29.9, sourceShare: 59.5 },
      ],
      asns: [],
    },
    classification: {
      scale: 'large-scale',
      criteria: [{ name: 'impact on users', level: 4, text: '79.6% of known clients served' }],
    },
    vectors: [],
  });
  const bad = compareReport(t, doubled)
    .filter((d) => !d.ok)
    .map((d) => d.figure);
  assert.deepEqual(bad, [
    'vector',
    'DE share of sources',
    'BR share of sources',
    'RU share of sources',
    'source shares, summed',
    'impact on people',
  ]);
  assert.match(
    formatDifferences('inc-1', 'large-scale', compareReport(t, doubled)),
    /✗ DE share of sources .*drill: 41\.5%; report: 79\.5% \(\+38\.0 points\)/,
  );
});
