import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAttribution, type AttributionObserved } from '../detector/attribution.js';
import { createExposure, type ExposureObserved } from './exposure.js';
import {
  impactDelta,
  mergeAttribution,
  mergeBefore,
  unionCount,
  zeroImpact,
  type AttributionPart,
  type EvidencePart,
} from './evidence-merge.js';
import { createEvidenceParts, SILENT_MS } from './evidence-parts.js';
import { mergeExposure } from './exposure-merge.js';

const req = (clientKey: number, country: string, asn: number): AttributionObserved => ({
  clientKey,
  country,
  asn,
  verified: false,
  status: 200,
  originMs: 10,
  verdict: { action: 'allow' },
  req: { headers: { 'user-agent': 'curl/8' } },
});
const hit = (ip: string, key: number, path: string): ExposureObserved => ({
  routeClass: 'sensitive',
  path,
  clientKey: key,
  prefixKey: key >>> 8,
  clientIp: ip,
  status: 200,
  bytesOut: 300,
  verified: false,
});

/** Traffic dealt over `workers` attributions round robin (as the primary spreads connections), and the whole seen by one. */
function dealt(
  workers: number,
  n: number,
  gen: (i: number) => AttributionObserved,
): { parts: AttributionPart[]; whole: ReturnType<ReturnType<typeof createAttribution>['snapshot']> } {
  const ws = Array.from({ length: workers }, () => createAttribution());
  const one = createAttribution();
  for (let i = 0; i < n; i++) {
    ws[i % workers].observe(gen(i));
    one.observe(gen(i));
  }
  return {
    parts: ws.map((w) => ({ snapshot: w.snapshot(50), sketch: w.sourceSketch(), sample: w.sourceSample() })),
    whole: one.snapshot(50),
  };
}

test('attribution of two or three workers merges into what one process seeing everything counts', () => {
  const cases = [
    {
      name: 'every source through both workers',
      workers: 2,
      n: 3000,
      gen: (i: number) => req(1000 + (i % 300), i % 300 < 180 ? 'DE' : 'BR', i % 300 < 180 ? 3320 : 28573),
    },
    {
      name: 'three workers, unknown country and ASN',
      workers: 3,
      n: 2400,
      gen: (i: number) => req(9000 + (i % 500), i % 5 === 0 ? '' : 'RU', i % 5 === 0 ? 0 : 12389),
    },
    { name: 'each source on one worker only', workers: 2, n: 400, gen: (i: number) => req(50_000 + i, 'FR', 3215) },
  ];
  for (const c of cases) {
    const { parts, whole } = dealt(c.workers, c.n, c.gen);
    const m = mergeAttribution(parts, 50);
    assert.equal(m.requests, whole.requests, c.name);
    assert.equal(m.sources, whole.sources, `${c.name}: union of samples`);
    assert.equal(m.sourceError, 0, 'under the sample size: exact');
    assert.deepEqual(
      m.countries.map((r) => [r.key, r.requests]),
      whole.countries.map((r) => [r.key, r.requests]),
      c.name,
    );
    assert.deepEqual(
      m.asns.map((r) => [r.key, r.requests]),
      whole.asns.map((r) => [r.key, r.requests]),
      c.name,
    );
    assert.equal(m.unknownAsn.requests, whole.unknownAsn.requests, c.name);
    // Unions, not sums: an address on both workers counts once in its country and ASN.
    assert.deepEqual(
      m.countries.map((r) => [r.key, r.sources]),
      whole.countries.map((r) => [r.key, r.sources]),
      c.name,
    );
    assert.deepEqual(
      m.asns.map((r) => [r.key, r.sources]),
      whole.asns.map((r) => [r.key, r.sources]),
      c.name,
    );
    assert.deepEqual(m.unknownCountry, whole.unknownCountry, c.name);
  }
});

test("the issue's two workers: 2,000 sources 40/30/30 through both, source shares sum to 100%, not 199%", () => {
  const cc = (i: number) => (i % 10 < 4 ? 'DE' : i % 10 < 7 ? 'BR' : 'RU');
  const { parts } = dealt(2, 30_000, (i) => req(0x5b000000 + (i % 2000), cc(i % 2000), 1));
  const m = mergeAttribution(parts, 50);
  assert.equal(m.sources, 2000);
  assert.deepEqual(
    m.countries.map((r) => [r.key, r.sources]),
    [
      ['DE', 800],
      ['BR', 600],
      ['RU', 600],
    ],
  );
});

test('past the sample size per-country sources are estimates within their error, never above the total', () => {
  const cc = (i: number) => (i % 10 < 4 ? 'DE' : 'BR');
  const { parts, whole } = dealt(3, 60_000, (i) => req(0x0a000000 + (i % 20_000), cc(i % 20_000), 1));
  const m = mergeAttribution(parts, 50);
  assert.ok(m.sourceError! > 0 && m.sourceError! < 0.02, String(m.sourceError));
  assert.ok(
    Math.abs(m.sources - whole.sources) <= 5 * m.sourceError! * whole.sources,
    `${m.sources} vs ${whole.sources}`,
  );
  const de = m.countries.find((r) => r.key === 'DE')!.sources;
  assert.ok(Math.abs(de - 8000) <= 0.08 * 8000, `DE ${de} vs 8000`);
  assert.ok(m.countries.reduce((n, r) => n + r.sources, 0) <= m.sources + 2, 'rows add up to no more than the whole');
});

test('attribution without sketches: sources are summed; one part merges to itself', () => {
  const { parts } = dealt(2, 200, (i) => req(i % 50, 'DE', 3320));
  const bare = parts.map((p) => ({ snapshot: p.snapshot, sketch: null }));
  assert.equal(mergeAttribution(bare).sources, parts[0].snapshot.sources + parts[1].snapshot.sources);
  assert.equal(mergeAttribution(bare).sourcesUpperBound, true);
  assert.deepEqual(mergeAttribution([parts[0]]).countries, parts[0].snapshot.countries);
  assert.equal(mergeAttribution([{ ...parts[0], sample: null }]).sources, parts[0].snapshot.sources);
  assert.equal(unionCount([]), null);
});

test("exposure rows merge by who: an enumeration split over two workers is one enumeration with both workers' IDs", () => {
  const ws = [0, 1].map(() => createExposure({ clients: 64, enumerationIds: 50, now: () => 0 }));
  const one = createExposure({ clients: 64, enumerationIds: 50, now: () => 0 });
  const sent: ExposureObserved[] = [];
  for (let id = 1; id <= 80; id++) sent.push(hit('203.0.113.7', 0xcb007107, `/api/donors/${id}`));
  for (let i = 0; i < 6; i++) sent.push(hit('198.51.100.9', 0xc6336409, '/api/donors/42'));
  sent.forEach((h, i) => {
    ws[i % 2].observe(h);
    one.observe(h);
  });
  const parts = ws.map((w) => w.part(100));
  for (const p of parts)
    assert.ok(
      !p.snapshot.clients.find((c) => c.who === '203.0.113.7')!.flags.includes('enumeration'),
      'each worker alone sees 40 ids: under the threshold',
    );
  const m = mergeExposure(parts, 100)!;
  const whole = one.snapshot(100);
  assert.equal(m.requests, whole.requests);
  assert.equal(m.ok, whole.ok);
  assert.ok(Math.abs(m.distinctIds - whole.distinctIds) <= 2, `total ids ${m.distinctIds} vs ${whole.distinctIds}`);
  const bot = m.clients.find((c) => c.who === '203.0.113.7')!;
  assert.equal(
    bot.distinctIds,
    whole.clients.find((c) => c.who === '203.0.113.7')!.distinctIds,
    'the OR of the bitmaps is the bitmap of the whole',
  );
  assert.ok(bot.flags.includes('enumeration'), JSON.stringify(bot));
  assert.equal(bot.requests, 80);
  const person = m.clients.find((c) => c.who === '198.51.100.9')!;
  assert.equal(person.distinctIds, 1);
  assert.deepEqual(person.flags, []);
  assert.equal(m.prefixes[0].who, '203.0.113.0/24');
  assert.equal(m.prefixes[0].requests, 80);
  assert.equal(mergeExposure([]), null);
});

test('exposure rows without bitmaps: distinct IDs is the max (a lower bound); longest walk the max; flags the union', () => {
  const row = (who: string, distinctIds: number, longestWalk: number, flags: string[]) => ({
    who,
    requests: 10,
    ok: 10,
    s4xx: 0,
    s5xx: 0,
    verified: 0,
    distinctIds,
    longestWalk,
    meanBytes: 100,
    flags,
  });
  const snap = (rows: ReturnType<typeof row>[]) => ({
    requests: 10,
    ok: 10,
    verifiedRequests: 0,
    verifiedOk: 0,
    unverifiedOk: 10,
    distinctIds: 30,
    meanBytes: 100,
    clients: rows,
    prefixes: [],
    tracked: 1,
    dropped: 0,
    enumerationThreshold: 50,
  });
  const m = mergeExposure([
    {
      snapshot: snap([row('a', 30, 12, ['sequential walk'])]),
      clientBits: [],
      prefixBits: [],
      ids: null as unknown as Uint8Array,
    },
    {
      snapshot: snap([row('a', 20, 3, ['unusual response size'])]),
      clientBits: [],
      prefixBits: [],
      ids: null as unknown as Uint8Array,
    },
  ])!;
  assert.deepEqual(
    m.clients.map((r) => [r.who, r.requests, r.distinctIds, r.longestWalk, r.flags.sort()]),
    [['a', 20, 30, 12, ['sequential walk', 'unusual response size']]],
  );
  assert.equal(m.distinctIds, 30);
});

test('impact: deltas of cumulative figures, never negative; the minute before sums', () => {
  const t = (requests: number, served: number) => ({ requests, served, originMsSum: served * 10, originCount: served });
  const table = [
    {
      now: { verified: t(10, 9), others: t(100, 40), browserLike: 5 },
      earlier: zeroImpact(),
      want: { verified: t(10, 9), others: t(100, 40), browserLike: 5 },
    },
    {
      now: { verified: t(12, 10), others: t(150, 60), browserLike: 7 },
      earlier: { verified: t(10, 9), others: t(100, 40), browserLike: 5 },
      want: { verified: t(2, 1), others: t(50, 20), browserLike: 2 },
    },
    {
      now: { verified: t(1, 1), others: t(3, 1), browserLike: 0 },
      earlier: { verified: t(10, 9), others: t(100, 40), browserLike: 5 },
      want: { verified: t(0, 0), others: t(0, 0), browserLike: 0 },
    },
  ];
  for (const c of table) assert.deepEqual(impactDelta(c.now, c.earlier), c.want);
  const own = { verified: t(60, 60), others: t(10, 10), seconds: 60 };
  const p = { before: { verified: t(40, 39), others: t(5, 5), seconds: 58 } } as EvidencePart;
  assert.deepEqual(mergeBefore(own, [p, { before: null } as EvidencePart]), {
    verified: t(100, 99),
    others: t(15, 15),
    seconds: 60,
  });
  assert.deepEqual(own.verified, t(60, 60), 'inputs untouched');
});

test("the recorder's table: latest part per slot, impact folded once, a silent or replaced worker's part kept, other incidents dropped", () => {
  const imp = (r: number) => ({
    verified: { requests: 0, served: 0, originMsSum: 0, originCount: 0 },
    others: { requests: r, served: r, originMsSum: 0, originCount: 0 },
    browserLike: 0,
  });
  const part = (incident: string, pid: number, r: number): EvidencePart => ({
    incident,
    pid,
    attribution: null,
    exposure: null,
    during: imp(r),
    before: null,
  });
  const t = createEvidenceParts();
  t.put(2, part('inc-a', 100, 10), 0);
  t.put(2, part('inc-a', 100, 25), 1000);
  t.put(3, part('inc-a', 200, 7), 1000);
  assert.equal(t.parts('inc-a').length, 2, 'one live part per slot');
  assert.equal(t.takeImpact('inc-a')!.others.requests, 32);
  assert.equal(t.takeImpact('inc-a')!.others.requests, 0, 'folded once');
  t.put(2, part('inc-a', 100, 30), 2000);
  assert.equal(t.takeImpact('inc-a')!.others.requests, 5);
  t.put(3, part('inc-a', 201, 4), 3000); // slot 3's worker was replaced: its predecessor's counts stay evidence
  assert.equal(t.parts('inc-a').length, 3);
  assert.equal(t.takeImpact('inc-a')!.others.requests, 4);
  t.put(4, part('inc-a', 300, 1), 3000 + SILENT_MS + 1); // slots 2 and 3 went silent: retired, not lost
  assert.deepEqual(
    t
      .parts('inc-a')
      .map((p) => p.during.others.requests)
      .sort((a, b) => a - b),
    [1, 4, 7, 30],
  );
  assert.equal(t.takeImpact('inc-b'), null);
  t.keepOnly('inc-b');
  assert.equal(t.size(), 0);
  t.put(99, part('inc-b', 1, 1), 0);
  assert.equal(t.size(), 0, 'a slot past any cluster size is ignored');
});
