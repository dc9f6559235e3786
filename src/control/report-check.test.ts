// The report's invariants over generated incidents (fast-check): random sample
// streams of random traffic, recorded by one process or dealt over several
// workers and merged, must give reports that pass checkReport, with sources
// per country equal to the truth; the grade never falls when an attack grows;
// and a report whose figures do not add up is caught, named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { verdict, ALLOW, type Verdict } from '../core/model.js';
import { OUTCOMES, outcomeOf } from '../core/outcome.js';
import { createAttribution, type Attribution } from '../detector/attribution.js';
import { zeroIncidentTotals } from '../detector/events.js';
import { account } from './accounting.js';
import { classify, type ClassifyFacts } from './classify.js';
import { addImpact, mergeAttribution, zeroImpact } from './evidence-merge.js';
import { classifyRecord } from './incidents-classify.js';
import { freshRecord } from './incidents-record.js';
import type { IncidentRecord, Sample } from './incidents-types.js';
import { buildReport } from './report.js';
import { checkReport } from './report-check.js';

const VERDICTS: [Verdict, boolean][] = [
  [ALLOW, true],
  [ALLOW, false],
  [verdict('cache/hit', 'serve', 200), false],
  [verdict('challenge/required', 'serve', 403), false],
  [verdict('challenge/cookie', 'serve', 307), false],
  [verdict('origin/shed', 'limit', 503, 1), false],
  [verdict('ban/listed', 'deny', 403), false],
  [verdict('mitigate/limit-signature', 'limit', 429), false],
  [verdict('limit/login', 'limit', 429), false],
  [verdict('origin/timeout', 'error', 504), true],
];
const STATUSES = [200, 200, 200, 404, 401, 500, 0];
const CC = ['DE', 'BR', 'RU', 'US', ''];
const T0 = Date.UTC(2026, 4, 3, 9, 30, 0);

interface Req {
  src: number;
  v: number;
  status: number;
  verified: boolean;
  worker: number;
}
interface Stream {
  workers: number;
  sources: number;
  countryOf: number[];
  before: Req[][];
  during: Req[][];
  baseline: number;
  warm: boolean;
  vectors: number;
}

const reqArb = (sources: number, workers: number) =>
  fc.record({
    src: fc.nat(sources - 1),
    v: fc.nat(VERDICTS.length - 1),
    status: fc.nat(STATUSES.length - 1),
    verified: fc.boolean(),
    worker: fc.nat(workers - 1),
  });
const streamArb = (maxSources: number, maxPerSecond: number) =>
  fc
    .record({ workers: fc.integer({ min: 1, max: 4 }), sources: fc.integer({ min: 1, max: maxSources }) })
    .chain(({ workers, sources }) =>
      fc.record({
        workers: fc.constant(workers),
        sources: fc.constant(sources),
        countryOf: fc.array(fc.nat(CC.length - 1), { minLength: 7, maxLength: 7 }),
        before: fc.array(fc.array(reqArb(sources, workers), { maxLength: 20, size: 'max' }), { maxLength: 5 }),
        during: fc.array(fc.array(reqArb(sources, workers), { maxLength: maxPerSecond, size: 'max' }), {
          minLength: 1,
          maxLength: 30,
          size: 'max',
        }),
        baseline: fc.integer({ min: 0, max: 200 }),
        warm: fc.boolean(),
        vectors: fc.integer({ min: 0, max: 3 }),
      }),
    );

const key = (src: number) => 0x5b000000 + src * 7;
const country = (s: Stream, src: number) => CC[s.countryOf[src % 7]];

function observe(a: Attribution, s: Stream, q: Req): void {
  const [v, fwd] = VERDICTS[q.v];
  a.observe({
    clientKey: key(q.src),
    country: country(s, q.src),
    asn: 100 + (q.src % 5),
    verified: q.verified,
    status: v.action === 'allow' || v.rule === 'origin/timeout' ? STATUSES[q.status] : v.status,
    originMs: fwd ? 10 + (q.src % 30) : -1,
    verdict: v,
    req: { headers: { 'user-agent': 'curl/8' } },
  });
}

/** The stream recorded as the recorder would: attribution and impact per worker, samples with outcomes, merged parts. */
function recordOf(s: Stream): { r: IncidentRecord; samples: Sample[]; truth: Map<string, Set<number>> } {
  const ws = Array.from({ length: s.workers }, () => createAttribution());
  const before = { verified: zeroImpact().verified, others: zeroImpact().others, seconds: s.before.length };
  for (const sec of s.before) {
    for (const q of sec) observe(ws[q.worker], s, q);
    const imp = zeroImpact();
    for (const w of ws) addImpact(imp, w.closeSecond());
    addImpact(before as never, imp);
  }
  for (const w of ws) w.newEpoch();
  const r: IncidentRecord = {
    ...freshRecord('inc-20260503T093000z-1', T0),
    status: 'closed',
    endedAt: T0 + s.during.length * 1000,
    lastSeenAt: T0 + (s.during.length - 1) * 1000,
    vectors: ['distributed_flood', 'cache_busting', 'login_stuffing']
      .slice(0, s.vectors)
      .map((v) => ({ vector: v, reason: v, figures: {} })),
    baseline: {
      rps: s.baseline,
      rpsStd: 1,
      sources: 10,
      originMs: 15,
      warm: s.warm,
      learnedSeconds: s.warm ? 3600 : 10,
    },
    totals: { ...zeroIncidentTotals(), seconds: s.during.length },
    impact: { before, during: { verified: zeroImpact().verified, others: zeroImpact().others } },
  };
  const samples: Sample[] = [];
  const truth = new Map<string, Set<number>>();
  s.during.forEach((sec, i) => {
    const outcomes: Record<string, number> = {};
    const seen = new Set<number>();
    for (const q of sec) {
      observe(ws[q.worker], s, q);
      const [v, fwd] = VERDICTS[q.v];
      const o = OUTCOMES[outcomeOf(v, fwd ? 10 : -1)];
      outcomes[o] = (outcomes[o] ?? 0) + 1;
      seen.add(q.src);
      const cc = country(s, q.src);
      if (!truth.has(cc)) truth.set(cc, new Set());
      truth.get(cc)!.add(q.src);
    }
    const imp = zeroImpact();
    for (const w of ws) addImpact(imp, w.closeSecond());
    r.impact.during.verified.requests += imp.verified.requests;
    r.impact.during.verified.served += imp.verified.served;
    r.impact.during.verified.originMsSum += imp.verified.originMsSum;
    r.impact.during.verified.originCount += imp.verified.originCount;
    const sample: Sample = {
      t: T0 + i * 1000,
      seconds: 1,
      mode: 'elevated',
      requests: sec.length,
      forwarded: outcomes.forwarded ?? 0,
      refused: 0,
      sources: seen.size,
      originMs: 10,
      verifiedReq: imp.verified.requests,
      verifiedServed: imp.verified.served,
      verifiedMs: 0,
      othersReq: imp.others.requests,
      othersServed: imp.others.served,
      othersMs: 0,
      outcomes,
    };
    account(r, sample);
    samples.push(sample);
  });
  const parts = ws.map((w) => ({ snapshot: w.snapshot(50), sketch: w.sourceSketch(), sample: w.sourceSample() }));
  const a = parts.length > 1 ? mergeAttribution(parts, 50) : parts[0].snapshot;
  r.attribution = { ...a, asns: a.asns.map((x) => ({ ...x, name: '' })) };
  r.totals.distinctSources = a.sources;
  r.classification = classifyRecord(r);
  return { r, samples, truth };
}

test('property: reports of generated incidents, one process or merged from several workers, pass every check; sources per country are the truth', () => {
  fc.assert(
    fc.property(streamArb(300, 40), (s) => {
      const { r, samples, truth } = recordOf(s);
      const m = buildReport(r, samples, T0 + 100_000);
      assert.deepEqual(checkReport(r, samples, m), []);
      for (const row of m.attribution!.countries)
        assert.equal(row.sources, truth.get(row.key)?.size ?? 0, `${row.key} sources`);
      assert.equal(m.attribution!.unknownCountry.sources, truth.get('')?.size ?? 0);
      assert.equal(
        m.accounting.received,
        s.during.reduce((n, sec) => n + sec.length, 0),
      );
    }),
    { numRuns: 2000 },
  );
});

/** A big stream from a seed (a generated array of this size would be slow to shrink): every source through random workers. */
function bigStream(workers: number, sources: number, seconds: number, seed: number): Stream {
  let x = seed | 1;
  const rnd = (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  const sec = () =>
    Array.from({ length: Math.ceil(sources / seconds) * 3 }, () => ({
      src: rnd(sources),
      v: rnd(VERDICTS.length),
      status: rnd(STATUSES.length),
      verified: rnd(10) === 0,
      worker: rnd(workers),
    }));
  return {
    workers,
    sources,
    countryOf: Array.from({ length: 7 }, () => rnd(CC.length)),
    before: [sec()],
    during: Array.from({ length: seconds }, sec),
    baseline: rnd(100),
    warm: rnd(2) === 0,
    vectors: rnd(4),
  };
}

test('property: past the sample size (thousands of sources over several workers) the estimates still pass every check', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 4 }),
      fc.integer({ min: 3000, max: 9000 }),
      fc.integer({ min: 1, max: 10 }),
      fc.integer(),
      (workers, sources, seconds, seed) => {
        const s = bigStream(workers, sources, seconds, seed);
        const { r, samples } = recordOf(s);
        const m = buildReport(r, samples, T0 + 100_000);
        assert.deepEqual(checkReport(r, samples, m), []);
      },
    ),
    { numRuns: 25 },
  );
});

const factsArb: fc.Arbitrary<ClassifyFacts> = fc.record({
  durationS: fc.integer({ min: 1, max: 30_000 }),
  peakRps: fc.integer({ min: 1, max: 200_000 }),
  baselineRps: fc.integer({ min: 0, max: 1000 }),
  baselineWarm: fc.boolean(),
  distinctSources: fc.integer({ min: 1, max: 200_000 }),
  vectors: fc.constant(['distributed_flood']),
  servedBefore: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
  servedDuring: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
  latencyBeforeMs: fc.option(fc.integer({ min: 0, max: 5000 })),
  latencyDuringMs: fc.option(fc.integer({ min: 0, max: 50_000 })),
  topPrefixShare: fc.double({ min: 0, max: 1, noNaN: true }),
  uaEntropy: fc.constant(0),
  fingerprintEntropy: fc.constant(0),
  browserLikeShare: fc.constant(0),
  challengesSolved: fc.constant(0),
  challengesIssued: fc.constant(0),
  resurgedSeconds: fc.constant(0),
  bursts: fc.constant(1),
  samples: fc.integer({ min: 1, max: 10_000 }),
  observeOnly: fc.boolean(),
});

test('property: the grade is monotonic: more sources, rate, duration or impact never lowers it', () => {
  fc.assert(
    fc.property(factsArb, fc.nat(4), fc.double({ min: 1, max: 1000, noNaN: true }), (f, dim, k) => {
      const more: ClassifyFacts = { ...f };
      if (dim === 0) more.distinctSources = Math.round(f.distinctSources * k);
      else if (dim === 1) more.peakRps = Math.round(f.peakRps * k);
      else if (dim === 2) more.durationS = f.durationS * k;
      else if (dim === 3)
        more.servedDuring = f.servedDuring === null ? null : f.servedDuring / k; // fewer served
      else more.latencyDuringMs = f.latencyDuringMs === null ? null : f.latencyDuringMs * k;
      assert.ok(classify(more).level >= classify(f).level, `dimension ${dim} x${k}`);
    }),
    { numRuns: 3000 },
  );
});

test("the issue's report is caught: doubled source counts, requests that vanish, impact from the origin's 404s, a grade above the rubric", () => {
  // Known clients get the origin's 404 for one request in five, before the attack as during it.
  const sec = () =>
    Array.from({ length: 30 }, (_, i) => ({
      src: i,
      v: 0,
      status: i % 5 === 0 ? 3 : 0,
      verified: i < 10,
      worker: i % 2,
    }));
  const s: Stream = {
    workers: 2,
    sources: 30,
    countryOf: [0, 0, 0, 1, 1, 2, 2],
    before: [sec(), sec()],
    during: Array.from({ length: 5 }, sec),
    baseline: 2,
    warm: true,
    vectors: 1,
  };
  const { r, samples } = recordOf(s);
  assert.deepEqual(checkReport(r, samples, buildReport(r, samples)), []);
  assert.match(buildReport(r, samples).verdict, /no user impact; basic/);
  assert.equal(buildReport(r, samples).impact.verified.servedDuringPct, 100, "the origin's 404s are answers");
  const doubled = structuredClone(r);
  for (const c of doubled.attribution!.countries) c.sources *= 2;
  assert.match(
    checkReport(doubled, samples, buildReport(doubled, samples, Date.now(), { check: false })).join('\n'),
    /country table: source shares sum to 199\.9% \(> 100%\)\ncountry table: rows hold 60 sources, more than the 30 distinct sources/,
  );
  const vanished = samples.map((x) => ({ ...x, outcomes: { forwarded: 3 } }));
  assert.match(
    checkReport(r, vanished, buildReport(r, vanished, Date.now(), { check: false })).join('\n'),
    /outcomes of 5 stored second\(s\) do not add up to the requests received \(first .*: 3 of 30\)/,
  );
  const headline = structuredClone(r);
  headline.accounting!.received += 1000;
  headline.totals.requests += 1000;
  assert.match(
    checkReport(headline, samples, buildReport(headline, samples, Date.now(), { check: false })).join('\n'),
    /headline: 1150 requests, the stored samples hold 150/,
  );
  const m = buildReport(r, samples);
  m.classification!.level = 3;
  m.classification!.criteria[4].level = 4;
  assert.match(
    checkReport(r, samples, m).join('\n'),
    /grade: level 3, but two of volume, sources, duration and impact reach 2/,
  );
  assert.match(checkReport(r, samples, m).join('\n'), /grade: impact on users level 4, the rubric gives 1/);
  const cold = buildReport({ ...r, baseline: { ...r.baseline, warm: false } }, samples, Date.now(), { check: false });
  cold.statement[0] += ' about 78 times its usual rate';
  assert.match(
    checkReport({ ...r, baseline: { ...r.baseline, warm: false } }, samples, cold).join('\n'),
    /a multiple of the usual rate without a learned baseline/,
  );
});
