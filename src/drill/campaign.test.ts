import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capRate, planCampaign, timingOf, WARMUPS } from './campaign.js';
import { type FAMILIES, familyPlan, legitRateEstimate, NEWSLETTERS, TIMINGS } from './families.js';
import { mulberry32 } from './random.js';

test('mulberry32: same seed same sequence, in [0, 1), different seeds differ', () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  const xs = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(
    xs,
    Array.from({ length: 1000 }, () => b()),
  );
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.notEqual(mulberry32(43)(), mulberry32(42)());
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
});

test('same seed → same plans; plan k does not depend on N; other seeds differ', () => {
  assert.deepEqual(planCampaign(7, 5), planCampaign(7, 5));
  assert.deepEqual(planCampaign(7, 3), planCampaign(7, 5).slice(0, 3));
  assert.notDeepEqual(planCampaign(8, 5), planCampaign(7, 5));
  assert.deepEqual(
    planCampaign(7, 2).map((p) => p.id),
    ['s7-1', 's7-2'],
  );
  // Pinned: a change to the planner changes what a seed means, and the results table with it.
  const p = planCampaign(1, 1)[0];
  assert.deepEqual(
    {
      id: p.id,
      family: p.family,
      sources: p.sources,
      perSourceRate: p.perSourceRate,
      path: p.path.kind,
      headers: p.headers,
      cookies: p.cookies,
      assets: p.assets,
      warmupS: p.warmupS,
      startMode: p.startMode,
      durationS: p.durationS,
    },
    {
      id: 's1-1',
      family: 'random',
      sources: 43,
      perSourceRate: 0.657,
      path: 'legit-mix',
      headers: 'flood-tool',
      cookies: 'jar',
      assets: 'assets',
      warmupS: 120,
      startMode: 'normal',
      durationS: 38,
    },
  );
  assert.throws(() => planCampaign(-1, 1), RangeError);
  assert.throws(() => planCampaign(1, 1.5), RangeError);
});

test('drawn parameters stay in their ranges over many seeds, and every strategy appears', () => {
  const plans = Array.from({ length: 200 }, (_, s) => planCampaign(s, 5)).flat();
  const seen = {
    paths: new Set<string>(),
    headers: new Set<string>(),
    shapes: new Set<string>(),
    modes: new Set<string>(),
    warmups: new Set<number>(),
    ids: new Set<string>(),
  };
  let capped = 0;
  for (const p of plans) {
    assert.ok(p.durationS >= 20 && p.durationS <= 40, `${p.id} duration ${p.durationS}`);
    assert.ok((WARMUPS as readonly number[]).includes(p.warmupS), `${p.id} warm-up`);
    if (p.startMode === 'running-at-start') assert.equal(p.warmupS, 0, p.id);
    if (p.startMode === 'running-at-start') assert.ok(p.shieldStartAfterS >= 2 && p.shieldStartAfterS <= 5, p.id);
    if (p.startMode === 'restart') assert.ok(p.restartAtS > 0 && p.restartAtS < p.durationS, p.id);
    if (p.kind === 'requests') {
      assert.ok(p.sources >= 20 && p.sources <= 20_000, `${p.id} sources ${p.sources}`);
      assert.ok(p.perSourceRate > 0 && p.perSourceRate <= 50.01, `${p.id} rate ${p.perSourceRate}`);
      assert.ok(p.rate <= 2500 + 1e-9, `${p.id} total ${p.rate}`);
      assert.ok(
        Math.abs(p.rate - p.sources * p.perSourceRate) / p.rate < 0.01,
        `${p.id} total is sources × per-source`,
      );
      if (p.requestedRate > 2500) {
        capped++;
        assert.match(p.notes.join(' '), /scaled from/);
      }
      assert.equal(p.ttmGoalS, p.perSourceRate < 1 ? 5 : 2);
    } else {
      assert.equal(p.kind, 'slowloris');
      assert.ok(p.sources * p.connectionsPerSource <= 3000 + 10, `${p.id} connections`);
    }
    if (p.assets === 'assets') assert.ok(['hot', 'random-query', 'legit-mix'].includes(p.path.kind), p.id);
    seen.paths.add(p.path.kind);
    if (p.path.kind === 'id-walk') seen.ids.add(`${p.path.id}/${p.path.order}`);
    seen.headers.add(p.headers);
    seen.shapes.add(p.shape.kind);
    seen.modes.add(p.startMode);
    seen.warmups.add(p.warmupS);
    if (p.shape.kind === 'pulse')
      assert.ok(p.shape.onS >= 2 && p.shape.onS <= 6 && p.shape.offS >= 5 && p.shape.offS <= 15, p.id);
  }
  assert.equal(seen.paths.size, 7);
  assert.equal(seen.ids.size, 6);
  assert.equal(seen.headers.size, 4);
  assert.equal(seen.shapes.size, 3);
  assert.equal(seen.modes.size, 3);
  assert.deepEqual(
    [...seen.warmups].sort((a, b) => a - b),
    [0, 10, 120],
  );
  assert.ok(capped > 0);
  // Log-uniform: about as many plans under 200 sources as over 2,000.
  const req = plans.filter((p) => p.kind === 'requests');
  const low = req.filter((p) => p.sources < 200).length;
  const high = req.filter((p) => p.sources > 2000).length;
  assert.ok(Math.abs(low - high) < req.length * 0.12, `${low} vs ${high}`);
});

test('the rate cap scales the per-source rate and says so', () => {
  assert.deepEqual(capRate(100, 2, 2500), { perSourceRate: 2, rate: 200, note: null });
  const c = capRate(20_000, 50, 2500);
  assert.equal(c.rate, 2500);
  assert.equal(c.perSourceRate, 0.125);
  assert.match(c.note!, /scaled from 50\/s to 0.125\/s/);
});

test('family plans carry the numbers of issue 13', () => {
  const timing = TIMINGS[0];
  const legitRate = legitRateEstimate(50, [1000, 4000]);
  const plan = (n: (typeof FAMILIES)[number]) => familyPlan(n, { timing, legitRate, maxRate: 10_000 });
  assert.deepEqual([plan('single-source').sources, plan('single-source').connectionsPerSource], [1, 256]);
  assert.deepEqual([plan('botnet').sources, plan('botnet').perSourceRate], [2000, 2]);
  assert.notEqual(plan('botnet').headers, 'flood-tool');
  assert.deepEqual(
    [plan('cache-busting').sources, plan('cache-busting').path.kind, plan('cache-busting').headers],
    [200, 'random-query', 'rotating-browsers'],
  );
  assert.deepEqual([plan('login').sources, plan('login').path.kind], [500, 'login']);
  assert.deepEqual(
    [plan('id-walk').sources, plan('id-walk').perSourceRate, plan('id-walk').path],
    [50, 20, { kind: 'id-walk', id: 'numeric', order: 'sequential' }],
  );
  assert.deepEqual([plan('pulse').sources, plan('pulse').shape], [500, { kind: 'pulse', onS: 5, offS: 10 }]);
  const ls = plan('low-and-slow');
  assert.equal(ls.sources, 3000);
  assert.ok(Math.abs(ls.rate - 10 * legitRate) < 1, `${ls.rate} vs 10 × ${legitRate}`);
  assert.equal(ls.ttmGoalS, 5);
  assert.equal(plan('slowloris').sources * plan('slowloris').connectionsPerSource, 2000);
  // At the default cap the botnet's 4,000/s is scaled down, and the plan says so.
  const capped = familyPlan('botnet', { timing, legitRate });
  assert.equal(capped.rate, 2500);
  assert.match(capped.notes[0], /scaled/);
  for (const t of TIMINGS) assert.equal(timingOf(familyPlan('pulse', { timing: t, legitRate })), t.name);
});

test('newsletter plans: no attack, one with 250 readers in one /24', () => {
  const timing = TIMINGS[1];
  const [a, b] = NEWSLETTERS.map((n) => familyPlan(n, { timing, legitRate: 20 }));
  assert.equal(a.kind, 'none');
  assert.equal(a.newsletter!.sharedSlash24, 0);
  assert.equal(b.newsletter!.sharedSlash24, 250);
  assert.ok(b.newsletter!.readers > 250);
});
