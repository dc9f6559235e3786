// Report rendering from a hand-made record: every section present in md and
// html, the caveat always printed, the statement claims only what the figures
// hold (no multiple without a learned baseline, no impact without verified
// clients), HTML self-contained and escaped, bad formats refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyRecord } from './incidents-classify.js';
import type { IncidentRecord, Sample } from './incidents-types.js';
import { buildReport } from './report.js';
import { ATTRIBUTION_CAVEAT } from './report-statement.js';
import { checkFormat, render } from './report-render.js';

const T0 = Date.UTC(2026, 4, 3, 9, 30, 0);
const zero = () => ({ requests: 0, served: 0, originMsSum: 0, originCount: 0 });

function record(over: Partial<IncidentRecord> = {}): IncidentRecord {
  const r: IncidentRecord = {
    id: 'inc-20260503T093000z-1',
    status: 'closed',
    startedAt: T0,
    endedAt: T0 + 90_000,
    lastSeenAt: T0 + 89_000,
    enforcement: 'enforce',
    vectors: [{ vector: 'distributed_flood', reason: '212 sources <b>', figures: { sources: 212 } }],
    baseline: { rps: 80, rpsStd: 6, sources: 30, originMs: 15, warm: true, learnedSeconds: 3600 },
    totals: {
      seconds: 90,
      requests: 43_200,
      refused: 1_800,
      forwarded: 7_200,
      peakRps: 480,
      peakSources: 212,
      distinctSources: 212,
      bans: 0,
      mitigations: 1,
    },
    top: {
      sources: [{ label: '203.0.113.7', count: 500, share: 0.012 }],
      prefixes: [{ label: '203.0.113.0/24', count: 9000, share: 0.21 }],
      fingerprints: [],
      paths: [{ label: '/search', count: 20000, share: 0.46 }],
    },
    routeClasses: { page: 30000, sensitive: 200 },
    mitigations: [
      {
        at: T0 + 10_000,
        kind: 'mitigation',
        rule: 'mitigate/limit-signature',
        level: 1,
        target: '1 prefixes',
        until: T0 + 70_000,
        reason: 'signature covers 93%',
        figures: { share: 0.93 },
        applied: true,
      },
    ],
    escalations: [{ at: T0, from: 'normal', to: 'elevated', reason: 'score 4', applied: true }],
    impact: {
      before: {
        verified: { requests: 100, served: 100, originMsSum: 1500, originCount: 100 },
        others: zero(),
        seconds: 60,
      },
      during: {
        verified: { requests: 200, served: 199, originMsSum: 3600, originCount: 199 },
        others: { requests: 43_000, served: 7000, originMsSum: 0, originCount: 0 },
      },
    },
    indicators: {
      uaEntropy: 0.1,
      fingerprintEntropy: 0.1,
      browserLike: 0,
      unverified: 43_000,
      challengesSolved: 0,
      challengesIssued: 0,
      resurgedSeconds: 0,
      bursts: 1,
      peakAfterMitigation: 0,
    },
    attribution: {
      requests: 43_200,
      sources: 212,
      unknownCountry: { requests: 0, sources: 0 },
      unknownAsn: { requests: 0, sources: 0 },
      countries: [
        { key: 'DE', requests: 17_280, sources: 85 },
        { key: 'BR', requests: 12_960, sources: 64 },
        { key: 'RU', requests: 12_960, sources: 63 },
      ],
      asns: [{ key: 'AS3320', requests: 17_280, sources: 85, name: 'Deutsche Telekom AG' }],
      asnError: 0,
    },
    exposure: {
      requests: 200,
      ok: 150,
      verifiedRequests: 10,
      verifiedOk: 10,
      unverifiedOk: 140,
      distinctIds: 140,
      meanBytes: 310,
      clients: [
        {
          who: '203.0.113.9',
          requests: 150,
          ok: 140,
          s4xx: 10,
          s5xx: 0,
          verified: 0,
          distinctIds: 140,
          longestWalk: 140,
          meanBytes: 300,
          flags: ['enumeration', 'sequential walk'],
        },
      ],
      prefixes: [],
      tracked: 2,
      dropped: 0,
      enumerationThreshold: 50,
    },
    classification: null,
    licences: ['Country data: test, CC BY 4.0.'],
    notes: [],
    ...over,
  };
  r.classification = classifyRecord(r);
  return r;
}

const samples: Sample[] = Array.from({ length: 90 }, (_, i) => ({
  t: T0 + i * 1000,
  seconds: 1,
  mode: 'elevated',
  requests: 480,
  forwarded: i < 10 ? 400 : 40,
  refused: i < 10 ? 80 : 440,
  sources: 212,
  originMs: 15,
  verifiedReq: 2,
  verifiedServed: 2,
  verifiedMs: 18,
  othersReq: 478,
  othersServed: 40,
  othersMs: 15,
  outcomes: i < 10 ? { forwarded: 400, challenged: 60, ban: 20 } : { forwarded: 40, challenged: 420, ban: 20 },
}));

test('markdown: every section, verdict with figures, caveat, effect of mitigations', () => {
  const m = buildReport(record(), samples, T0 + 100_000);
  const md = render(m, 'md');
  for (const h of [
    '# Incident inc-20260503T093000z-1',
    '## Classification',
    '## Vectors',
    '## Sources',
    '## Attribution',
    '## Mitigations and their effect',
    '## Impact on real users',
    '## Data exposure',
    '## Draft statement',
  ])
    assert.ok(md.includes(h), h);
  assert.match(
    md,
    /\*\*Verdict:\*\* low-level: one vector \(distributed_flood\), 212 sources, peak 6x baseline, no user impact/,
  );
  assert.ok(md.includes(`> ${ATTRIBUTION_CAVEAT}`));
  assert.match(md, /\| DE \| 17,280 \| 40% \| 85 \| 40.1% \|/);
  assert.match(
    md,
    /Requests: 43,200 requests received: 7,200 forwarded to the origin, 0 served from cache, 34,200 answered with a challenge, 1,800 refused \(ban 1,800\), 0 shed;/,
  );
  assert.deepEqual(m.accounting, {
    received: 43_200,
    forwarded: 7_200,
    cache: 0,
    challenged: 34_200,
    shed: 0,
    refused: 1_800,
    refusedBy: { ban: 1_800 },
    unaccounted: 0,
    seconds: 90,
  });
  assert.equal(m.timeline.challenged[50], 420);
  assert.match(md, /AS3320 Deutsche Telekom AG/);
  assert.match(md, /Sources are counted: each distinct address once/);
  const est = buildReport(record({ attribution: { ...record().attribution!, sourceError: 0.016 } }), samples);
  assert.match(est.attribution!.sourceNote, /estimates from a uniform sample .* ±1\.6% for the whole/);
  assert.match(md, /mitigate\/limit-signature .* 400 → 40/);
  assert.match(md, /150 were answered with success \(2xx\): 10 to verified clients, 140 to unverified clients/);
  assert.match(md, /1 client address showed signs of enumeration/);
  assert.match(md, /whether the origin was right to answer/);
  assert.match(
    m.statement.join(' '),
    /up to 480 requests per second, about 6 times its usual rate of 80, from about 212 distinct/,
  );
  assert.match(
    m.statement.join(' '),
    /99\.5% of requests from verified or previously seen visitors were served \(100% before it\)/,
  );
  assert.match(m.statement.join(' '), /between 09:30:00 and 09:31:30 UTC \(90s\)/);
});

test('statement claims no multiple without a learned baseline and no impact without verified clients', () => {
  const r = record({
    baseline: { rps: 80, rpsStd: 6, sources: 30, originMs: 15, warm: false, learnedSeconds: 10 },
    impact: { before: { verified: zero(), others: zero(), seconds: 0 }, during: { verified: zero(), others: zero() } },
    attribution: null,
    exposure: null,
  });
  const m = buildReport(r, samples);
  const s = m.statement.join(' ');
  assert.ok(!/times its usual rate/.test(s), s);
  assert.match(s, /effect on real users could not be measured/);
  assert.ok(s.includes(ATTRIBUTION_CAVEAT), 'caveat even without attribution data');
  assert.match(s, /Access to sensitive records was not watched/);
  assert.equal(m.classification!.confidence, 'low');
});

test('html: self-contained, escaped, chart inline; json is the model', () => {
  const m = buildReport(record(), samples);
  const html = render(m, 'html');
  assert.ok(html.startsWith('<!doctype html>'));
  assert.ok(!/<script|<link|src=|url\(/i.test(html));
  assert.ok(html.includes('212 sources &lt;b&gt;'));
  assert.equal((html.match(/<svg /g) ?? []).length, 1);
  assert.ok(html.includes(ATTRIBUTION_CAVEAT));
  const j = JSON.parse(render(m, 'json'));
  assert.equal(j.id, m.id);
  assert.equal(j.timeline.t.length, 90);
  assert.equal(j.caveat, ATTRIBUTION_CAVEAT);
});

test('formats: md, html, json (any case); anything else is refused with the list', () => {
  assert.equal(checkFormat(undefined), 'md');
  assert.equal(checkFormat('HTML'), 'html');
  assert.throws(
    () => checkFormat('pdf'),
    (e: Error & { hint?: string; status?: number }) =>
      /unknown report format "pdf"/.test(e.message) && e.hint === 'use one of: md, html, json' && e.status === 400,
  );
});
