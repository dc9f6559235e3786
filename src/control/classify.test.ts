import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify, levelOf, type ClassifyFacts } from './classify.js';

const base: ClassifyFacts = {
  durationS: 90,
  peakRps: 480,
  baselineRps: 80,
  baselineWarm: true,
  distinctSources: 212,
  vectors: ['distributed_flood'],
  servedBefore: 1,
  servedDuring: 1,
  latencyBeforeMs: 20,
  latencyDuringMs: 22,
  topPrefixShare: 0.2,
  uaEntropy: 0.1,
  fingerprintEntropy: 0.1,
  browserLikeShare: 0,
  challengesSolved: 0,
  challengesIssued: 0,
  resurgedSeconds: 0,
  bursts: 1,
  samples: 90,
  observeOnly: false,
};

test('levelOf thresholds', () => {
  for (const [x, want] of [
    [0, 1],
    [9.9, 1],
    [10, 2],
    [49, 2],
    [50, 3],
    [500, 4],
  ] as const)
    assert.equal(levelOf(x, [10, 50, 500]), want, String(x));
});

test('the issue example: low-level, quoted figures', () => {
  const c = classify(base);
  assert.equal(c.scale, 'low-level');
  assert.equal(c.sophistication, 'basic');
  assert.equal(c.confidence, 'high');
  assert.match(
    c.verdict,
    /^low-level: one vector \(distributed_flood\), 212 sources, peak 6x baseline, no user impact; basic/,
  );
});

const table: {
  name: string;
  facts: Partial<ClassifyFacts>;
  scale: string;
  soph?: string;
  conf?: string;
  includes?: RegExp;
}[] = [
  {
    name: 'one huge dimension alone does not make it large',
    facts: { distinctSources: 200_000 },
    scale: 'low-level',
    includes: /200,000 sources/,
  },
  {
    name: 'rate and multiple are one (volume): a short flood from few sources stays low-level',
    facts: { peakRps: 80_000, baselineRps: 80 },
    scale: 'low-level',
    includes: /peak 1,000x baseline, peak 80,000 req\/s/,
  },
  {
    name: 'volume and duration agree: large-scale',
    facts: { peakRps: 80_000, baselineRps: 80, durationS: 2 * 3600 },
    scale: 'large-scale',
  },
  {
    name: 'many sources and high multiple: large-scale',
    facts: { peakRps: 8_000, baselineRps: 80, distinctSources: 20_000 },
    scale: 'large-scale',
    includes: /20,000 sources/,
  },
  { name: 'two dimensions at level 2: moderate', facts: { peakRps: 1_200, distinctSources: 1_500 }, scale: 'moderate' },
  {
    name: 'users hurt + long: severe needs two at 4',
    facts: { servedDuring: 0.5, durationS: 7 * 3600 },
    scale: 'severe',
    includes: /50% of known clients' requests served \(100% before\), 50% fewer/,
  },
  {
    name: 'impact and multiple',
    facts: { servedDuring: 0.9, peakRps: 1000 },
    scale: 'moderate',
    includes: /90% of known clients' requests served \(100% before\), 10% fewer/,
  },
  {
    name: "the origin's 4xx answered as often before as during: no user impact",
    facts: { servedBefore: 0.796, servedDuring: 0.796, peakRps: 1_672, distinctSources: 2_063 },
    scale: 'moderate',
    includes: /no user impact; basic/,
  },
  {
    name: 'a latency rise of a few ms is no harm (2 → 8 ms)',
    facts: { latencyBeforeMs: 2, latencyDuringMs: 8, peakRps: 1_672, distinctSources: 2_063 },
    scale: 'moderate',
    includes: /no user impact/,
  },
  {
    name: 'latency 50 → 600 ms (12x, +550 ms) is impact',
    facts: { latencyBeforeMs: 50, latencyDuringMs: 600, distinctSources: 2_063 },
    scale: 'moderate',
    includes: /origin latency 600 ms \(50 ms before\)/,
  },
  {
    name: 'no minute before: judged against 100%',
    facts: { servedBefore: null, servedDuring: 0.97 },
    scale: 'low-level',
    includes: /97% of known clients' requests served \(no minute before to compare with\), 3% fewer/,
  },
  {
    name: 'sophisticated',
    facts: {
      vectors: ['distributed_flood', 'cache_busting'],
      distinctSources: 5000,
      topPrefixShare: 0.01,
      uaEntropy: 0.95,
      browserLikeShare: 0.9,
      bursts: 3,
    },
    scale: 'low-level',
    soph: 'sophisticated',
  },
  {
    name: 'intermediate: challenge solving and adaptation',
    facts: { challengesSolved: 50, challengesIssued: 100, resurgedSeconds: 12 },
    scale: 'low-level',
    soph: 'intermediate',
    includes: /challenge solving, adaptation to mitigation/,
  },
  {
    name: 'cold baseline and few samples: low confidence',
    facts: { baselineWarm: false, samples: 10 },
    scale: 'low-level',
    conf: 'low',
  },
  {
    name: 'no known clients: impact unknown, medium',
    facts: { servedDuring: null, servedBefore: null },
    scale: 'low-level',
    conf: 'medium',
    includes: /impact unknown/,
  },
  {
    name: 'no baseline: multiple not claimed',
    facts: { baselineRps: 0 },
    scale: 'low-level',
    includes: /no baseline learned/,
  },
];

for (const row of table) {
  test(`classify: ${row.name}`, () => {
    const c = classify({ ...base, ...row.facts });
    assert.equal(c.scale, row.scale, c.verdict);
    if (row.soph) assert.equal(c.sophistication, row.soph, c.verdict);
    if (row.conf) assert.equal(c.confidence, row.conf, c.verdict);
    if (row.includes) assert.match(c.verdict, row.includes);
    assert.equal(c.indicators.length, 8);
  });
}
