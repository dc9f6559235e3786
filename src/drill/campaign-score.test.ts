import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CampaignRecorder } from './campaign-recorder.js';
import { distribution, worstCase } from './campaign-figures.js';
import { campaignMarkdown, buildReport } from './campaign-report.js';
import { reachedPerSecond } from './campaign-run.js';
import { downSeconds, phasesOf, scoreAttack, type AttackResult } from './campaign-score.js';
import { DETECTOR_DEFAULTS, floodFloorOf } from './flood-floor.js';
import { detectorSchema } from '../config/schema/detector.js';
import { familyPlan, TIMINGS } from './families.js';

const T = 1_000_000;

test('down seconds: only seconds the shield was down for entirely', () => {
  assert.deepEqual(downSeconds([[T - 1200, T + 3400]], T, 6), [true, true, true, false, false, false]);
  assert.deepEqual(downSeconds([[T + 2200, T + 4700]], T, 6), [false, false, false, true, false, false]);
  assert.deepEqual(downSeconds([[T + 4500, Infinity]], T, 6), [false, false, false, false, false, true]);
  assert.deepEqual(downSeconds([], T, 3), [false, false, false]);
});

test('phases: time to mitigation from each moment the shield listened; quiet phases are not scored', () => {
  const sent = [100, 100, 100, 100, 100, 100, 100, 100];
  const reached = [0, 0, 0, 90, 50, 2, 0, 0];
  const down = [true, true, true, false, false, false, false, false];
  assert.deepEqual(phasesOf(sent, reached, down), [{ fromS: 3, toS: 8, attackFromS: 3, ttmS: 2 }]);
  const restart = [false, false, false, true, true, false, false, false];
  assert.deepEqual(phasesOf(sent, [80, 1, 0, 0, 0, 100, 3, 0], restart), [
    { fromS: 0, toS: 3, attackFromS: 0, ttmS: 1 },
    { fromS: 5, toS: 8, attackFromS: 5, ttmS: 1 },
  ]);
  assert.deepEqual(phasesOf([0, 0, 100], [0, 0, 100], [false, true, false]), [
    { fromS: 0, toS: 1, attackFromS: 0, ttmS: undefined },
    { fromS: 2, toS: 3, attackFromS: 2, ttmS: null },
  ]);
});

test('phases: a shield that listens in a pulse’s quiet phase is timed from the next burst', () => {
  // Down through the first burst; listening from second 3; the next burst at 6 leaks in its first second.
  const sent = [100, 100, 0, 0, 0, 0, 100, 100, 100, 0];
  const reached = [0, 0, 0, 0, 0, 0, 60, 0, 0, 0];
  const down = [true, true, true, false, false, false, false, false, false, false];
  assert.deepEqual(phasesOf(sent, reached, down), [{ fromS: 3, toS: 10, attackFromS: 6, ttmS: 1 }]);
  // A leak in the second burst too: mitigated only from then on.
  const late = [0, 0, 0, 0, 0, 0, 60, 0, 0, 0, 0, 0, 50, 0];
  const sent2 = [100, 100, 0, 0, 0, 0, 100, 100, 100, 0, 0, 0, 100, 100];
  const down2 = [true, true, true, ...Array<boolean>(11).fill(false)];
  assert.deepEqual(phasesOf(sent2, late, down2), [{ fromS: 3, toS: 14, attackFromS: 6, ttmS: 7 }]);
});

test('origin snapshots to per-second arrivals: gaps take the previous reading, leading gaps the first', () => {
  const s = (attack: number) => ({ total: attack, attack, legit: 0 });
  assert.deepEqual(reachedPerSecond([s(10), s(30), s(35)], s(40)), [20, 5, 5]);
  assert.deepEqual(reachedPerSecond([null, null, s(5), null, s(9)], s(12)), [0, 0, 0, 4, 3]);
  assert.equal(reachedPerSecond([null, null], null), null);
});

function result(
  family: 'botnet' | 'newsletter',
  fill: (r: CampaignRecorder) => void,
  reached: number[] | null,
): AttackResult {
  const plan = { ...familyPlan(family, { timing: TIMINGS[3], legitRate: 20, durationS: 6 }), restartAtS: 2 };
  const rec = new CampaignRecorder(6);
  rec.attackStart = T;
  fill(rec);
  return scoreAttack({
    plan,
    recorder: rec,
    startedAt: T - 10_000,
    originReached: reached,
    chromium: { users: 2, note: null },
    loopDelayP99Ms: 12,
    sources: { peakOpen: 10, evicted: 0 },
  });
}

test('an attack scored: legit apart and together, down time not scored, people counted once, targets', () => {
  const r = result(
    'botnet',
    (rec) => {
      rec.attack.sent.splice(0, 6, 100, 100, 100, 100, 100, 100);
      rec.markDown(T + 2500);
      rec.markUp(T + 4100);
      for (let k = 0; k < 98; k++) rec.nav('nojs', k % 10, T + 100, 'served', 50 + k, '', false);
      rec.nav('nojs', 3, T + 200, 'limited', 5, 'limit/address', false);
      rec.nav('nojs', 3, T + 300, 'limited', 5, 'limit/address', false);
      rec.nav('nojs', 4, T + 400, 'served', 80, '', true);
      rec.nav('nojs', 5, T + 3000, 'failed', 1, 'error/ECONNREFUSED', false);
      rec.nav('chromium', 0, T + 500, 'served', 900, '', false, true);
      rec.nav('chromium', 1, T - 500, 'served', 700, '', false);
    },
    [90, 3, 0, 0, 60, 1],
  );
  const a = r.attack!;
  assert.deepEqual(a.perSecond.down, [false, false, false, true, false, false]);
  assert.deepEqual(a.phases, [
    { fromS: 0, toS: 3, attackFromS: 0, ttmS: 1 },
    { fromS: 4, toS: 6, attackFromS: 4, ttmS: 1 },
  ]);
  assert.equal(a.ttmS, 1);
  assert.equal(a.reachedPct, 30.8); // 154 of 500 sent while up
  assert.equal(r.legit.nojs.requests, 101);
  assert.equal(r.legit.nojs.served, 99);
  assert.equal(r.legit.nojs.downRequests, 1);
  assert.equal(r.legit.nojs.checked, 1);
  assert.deepEqual(r.legit.nojs.people, { total: 10, checked: 1, challenged: 0, limited: 1 });
  assert.equal(r.legit.chromium!.requests, 1, 'before the attack is not "during"');
  assert.equal(r.legit.chromium!.solved, 1);
  assert.equal(r.legit.chromium!.people.challenged, 1, 'passing the proof of work is still being challenged');
  assert.equal(r.legit.all.requests, 102);
  assert.equal(r.legit.all.p99, 147);
  assert.equal(r.legit.chromium!.p99, 900, 'the Chromium figure apart');
  assert.deepEqual(
    r.legit.slowest.map((x) => [x.kind, x.ms, x.atS, x.checked]),
    [
      ['chromium', 900, 0.5, false],
      ['nojs', 147, 0.1, false],
      ['nojs', 146, 0.1, false],
      ['nojs', 145, 0.1, false],
      ['nojs', 144, 0.1, false],
    ],
    'the five slowest served during the attack, with when they were sent',
  );
  assert.equal(r.targets.legitServed.ok, false);
  assert.equal(r.targets.timeToMitigation.ok, true);
  assert.equal(r.targets.attackReached.ok, false);
  assert.deepEqual(r.shieldDown, [{ fromS: 2.5, toS: 4.1 }]);
});

test('worst case and distribution over a campaign; "never" is the worst time to mitigation', () => {
  const good = result(
    'botnet',
    (rec) => {
      rec.attack.sent.fill(100);
      for (let k = 0; k < 200; k++) rec.nav('nojs', k, T + 100, 'served', 20, '', false);
    },
    [0, 0, 0, 0, 0, 0],
  );
  const never = result(
    'botnet',
    (rec) => {
      rec.attack.sent.fill(100);
      for (let k = 0; k < 10; k++)
        rec.nav('nojs', k, T + 100, k < 9 ? 'served' : 'challenged', 20, 'challenge/required', false);
    },
    [100, 100, 100, 100, 100, 100],
  );
  const news = result('newsletter', (rec) => rec.nav('nojs', 1, T + 100, 'served', 30, '', true), null);
  never.plan = { ...never.plan, id: 'never' };
  const w = worstCase([good, never, news]);
  assert.deepEqual(w.ttmS, { value: 'never', id: 'never' });
  assert.deepEqual(w.legitServedPct, { value: 90, id: 'never' });
  assert.deepEqual(w.peopleChecked, { value: 1, id: news.plan.id });
  const d = distribution([good, never, news]);
  assert.deepEqual(d.ttmS, { n: 1, min: 0, median: 0, max: 0, never: 1 });
  assert.deepEqual(d.legitServedPct, { n: 3, min: 90, median: 100, max: 100, never: 0 });
  assert.equal(news.attack, null);
  assert.deepEqual(Object.keys(news.targets), ['legitServed', 'legitP99', 'noPeopleChallenged', 'noPeopleLimited']);
  const md = campaignMarkdown(
    buildReport(
      'test',
      new Date(T),
      { seeds: '1' },
      [good, never, news],
      [{ id: 's1-2', label: 'x', reason: 'needs --shield-config' }],
    ),
    { grid: true },
  );
  for (const s of ['## Worst case', '## Distribution', '## Skipped', 's1-2', '| never', 'newsletter'])
    assert.ok(md.includes(s), s);
});

test("flood floor: the detector's own thresholds against what people sent (3× for a pulse, 1.5× held, at least min_rps)", () => {
  const d = detectorSchema.parse({});
  assert.deepEqual(DETECTOR_DEFAULTS, { min_rps: d.min_rps, min_ratio: d.min_ratio, slow_ratio: d.slow_ratio });
  const base = familyPlan('botnet', { timing: TIMINGS[0], legitRate: 20, durationS: 6 });
  const pulse = { ...base, shape: { kind: 'pulse' as const, onS: 4, offS: 13 }, rate: 20 };
  // 132 legit requests in 6 s: 22 req/s; a pulse must bring 2 × 22 = 44 req/s more to triple it.
  assert.deepEqual(floodFloorOf(pulse, 132, 6), { legitRate: 22, ratio: 3, floor: 44, under: true });
  assert.equal(floodFloorOf({ ...pulse, rate: 45 }, 132, 6)?.under, false);
  // Held (steady or ramped), half the site's rate more is a flood: 11 req/s, but never under min_rps (20).
  const steady = { ...pulse, shape: { kind: 'steady' as const } };
  assert.deepEqual(floodFloorOf(steady, 132, 6), { legitRate: 22, ratio: 1.5, floor: 20, under: false });
  assert.equal(floodFloorOf({ ...steady, rate: 19 }, 132, 6)?.under, true);
  assert.equal(floodFloorOf({ ...steady, rate: 100 }, 600, 6)?.under, false, '100 req/s on a site of 100 req/s: 2×');
  assert.equal(floodFloorOf({ ...steady, rate: 40 }, 600, 6)?.under, true, '40 req/s on a site of 100 req/s: 1.4×');
  assert.equal(floodFloorOf({ ...pulse, kind: 'slowloris' }, 132, 6), null, 'slowloris is not a rate');
  assert.equal(floodFloorOf(pulse, 132, 0), null, 'the shield never listened');
});

test('an attack under the flood floor is scored on people only and reported apart, out of the worst case', () => {
  const flood = result(
    'botnet',
    (rec) => {
      rec.attack.sent.fill(20);
      for (let k = 0; k < 132; k++) rec.nav('nojs', k % 30, T + 100 + k * 40, 'served', 20, '', false);
    },
    [20, 20, 20, 20, 20, 20],
  );
  assert.equal(flood.attack!.reachedPct, 100);
  // result() builds a botnet plan (steady): the same traffic as a 20 req/s pulse over people's 22 req/s is no flood.
  const p = { ...flood.plan, id: 'tiny', rate: 20, shape: { kind: 'pulse' as const, onS: 4, offS: 13 } };
  const scored = scoreAttack({
    plan: p,
    recorder: (() => {
      const rec = new CampaignRecorder(6);
      rec.attackStart = T;
      rec.attack.sent.fill(20);
      for (let k = 0; k < 132; k++) rec.nav('nojs', k % 30, T + 100 + k * 40, 'served', 20, '', false);
      return rec;
    })(),
    startedAt: T - 10_000,
    originReached: [20, 20, 20, 20, 20, 20],
    chromium: { users: 0, note: null },
    loopDelayP99Ms: 12,
    sources: { peakOpen: 10, evicted: 0 },
  });
  assert.deepEqual(Object.keys(scored.targets), ['legitServed', 'legitP99', 'floodFloor']);
  assert.equal(scored.attack!.floodFloor!.under, true);
  assert.equal(scored.attack!.ttmS, null, 'its own figures are kept');
  const w = worstCase([flood, scored]);
  assert.deepEqual(w.attackReachedPct, { value: 100, id: flood.plan.id }, 'the flood that got through is the worst');
  assert.equal(distribution([scored]).attackReachedPct.n, 0, 'the pulse under the floor is left out');
  const rep = buildReport('t', new Date(T), {}, [flood, scored], []);
  assert.deepEqual(rep.targetsMet, { attacks: 2, allMet: 1, underFloor: 1 });
  const md = campaignMarkdown(rep);
  assert.ok(md.includes('## Under the flood floor'), 'its own section');
  assert.ok(md.includes('| tiny '), 'naming the attack');
  assert.ok(md.includes('44 req/s (3×)'), 'and the floor it stayed under');
});
