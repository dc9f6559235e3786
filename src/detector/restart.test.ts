// A detector restarted with what the last run learned (src/detector/learned.ts,
// driven clock, synthetic traces): warm at once, the same attack going on is
// the same incident with its level and mitigations, another attack is a new
// one, a held attack that does not come back ends by itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { camelize } from '../config/camelize.js';
import { detectorSchema } from '../config/schema/detector.js';
import { createMemoryState } from '../state/memory.js';
import { createDetector, type Detector } from './detector.js';
import { type AttackEndEvent, type AttackStartEvent, type DetectorEvent, zeroIncidentTotals } from './events.js';
import { decodeLearned, encodeLearned, sameAttack } from './learned.js';
import { BOT, fact, legitSecond, rng, spread } from './trace.js';
import type { Observed } from './window.js';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

function make(now: () => number) {
  const state = createMemoryState({ now });
  const detector = createDetector(camelize(detectorSchema.parse({})), { state });
  const events: DetectorEvent[] = [];
  detector.onEvent((e) => events.push(e));
  return { state, detector, events };
}

/** Runs seconds [from, to) on `d`, with legit traffic and `extra` each second. */
function drive(
  d: Detector,
  r: () => number,
  from: number,
  to: number,
  extra: (sec: number, out: Observed[]) => void = () => {},
): void {
  for (let sec = from; sec < to; sec++) {
    const out = legitSecond(r, 25);
    extra(sec, out);
    for (const o of out) d.observe(o);
    d.tick(T0 + (sec + 1) * 1000);
  }
}

const botnet =
  (fp = BOT.fp, ua = BOT.ua, path = '/') =>
  (_sec: number, out: Observed[]) =>
    spread(2000, 2000, (src) => fact(src, path, { fp, ua }), out);
const starts = (e: DetectorEvent[]) => e.filter((x): x is AttackStartEvent => x.type === 'attack_start');
const ends = (e: DetectorEvent[]) => e.filter((x): x is AttackEndEvent => x.type === 'attack_end');

test('restart: the blob round-trips; the restored detector is warm at once and judges with the learned baseline', () => {
  const a = make(() => T0);
  const r = rng(1);
  drive(a.detector, r, 0, 120);
  const st = a.detector.learned(T0 + 120_000)!;
  const blob = encodeLearned(st);
  assert.ok(blob.byteLength > 100_000 && blob.byteLength < 2_000_000, `blob ${blob.byteLength} bytes`);
  const back = decodeLearned(blob)!;
  assert.ok(back, 'decodes');
  assert.equal(decodeLearned(blob.subarray(0, 500)), null, 'a cut blob is refused');
  assert.equal(decodeLearned(new Uint8Array([1, 2, 3])), null);

  const b = make(() => T0 + 130_000);
  const rep = b.detector.restore(back, T0 + 130_000);
  assert.equal(rep.attack, null);
  assert.ok(rep.learnedSeconds >= 100, `learned ${rep.learnedSeconds}`);
  const snap = b.detector.snapshot();
  assert.equal(snap.warm, true);
  assert.ok(Math.abs(snap.baseline.rps - a.detector.snapshot().baseline.rps) < 0.01, 'the same volume baseline');
  // A flood of a tool at 5× the site's rate: an attack at once for the restored detector.
  drive(b.detector, rng(2), 130, 133, (_s, out) =>
    spread(300, 200, (src) => fact(src, '/search', { fp: BOT.fp, ua: BOT.ua }), out),
  );
  assert.equal(starts(b.events).length, 1);
  const cold = make(() => T0);
  drive(cold.detector, rng(2), 0, 3, (_s, out) =>
    spread(300, 200, (src) => fact(src, '/search', { fp: BOT.fp, ua: BOT.ua }), out),
  );
  assert.equal(
    starts(cold.events).filter((e) => e.vectors.some((v) => v.vector === 'distributed_flood')).length,
    0,
    'the cold one cannot judge the volume',
  );
});

/** 120 s of people, then 10 s of a botnet, saved at 130 s; a new detector restored from it at `at` s. */
function restartedMidAttack(seed: number, at: number) {
  let t = T0;
  const a = make(() => t);
  const r = rng(seed);
  drive(a.detector, r, 0, 120);
  drive(a.detector, r, 120, 130, botnet());
  const st = decodeLearned(encodeLearned(a.detector.learned(T0 + 130_000)!))!;
  t = T0 + at * 1000;
  const b = make(() => t);
  return { a, st, b, restored: b.detector.restore(st, t) };
}

test('restart mid-attack: the same attack goes on under its id, with its level and mitigations', () => {
  const { a, st, b, restored } = restartedMidAttack(3, 134); // down for 4 s
  const s1 = starts(a.events);
  assert.equal(s1.length, 1);
  const id = s1[0].incidentId;
  const level = a.detector.snapshot().incident!.level;
  assert.ok(level >= 1);
  assert.equal(st.attack?.id, id);
  assert.equal(restored.attack, id);
  assert.equal(b.detector.mode(), st.attack!.mode, 'the mode it had');
  drive(b.detector, rng(4), 134, 140, botnet());
  const s2 = starts(b.events);
  assert.equal(s2.length, 1, 'one attack_start: the resumption');
  assert.equal(s2[0].incidentId, id);
  assert.equal(s2[0].resumed, true);
  assert.equal(ends(b.events).length, 0);
  assert.ok(b.detector.snapshot().incident!.level >= level, 'the level is kept');
  assert.ok(
    b.detector.snapshot().incident!.totals.requests > st.attack!.totals.requests,
    'totals go on from before the restart',
  );
});

test('restart mid-attack: a calm second right after it (the shield listening again) is no gap between pulses; a calm phase seen after it is', () => {
  const { b } = restartedMidAttack(5, 132); // down for 2 s
  const pulses = () => b.detector.snapshot().incident!.vectors.filter((v) => v.vector === 'pulse_wave').length;
  drive(b.detector, rng(6), 132, 133); // its first second: the people, the flood not reconnected yet
  drive(b.detector, rng(6), 133, 140, botnet());
  assert.equal(pulses(), 0, 'one surge across the restart');
  drive(b.detector, rng(7), 140, 146); // a calm phase the detector watched
  drive(b.detector, rng(8), 146, 150, botnet());
  assert.equal(pulses(), 1, 'the flood back after a watched calm phase is a second surge');
});

test('restart into another attack: the remembered one ends and a new incident opens', () => {
  let t = T0;
  const a = make(() => t);
  const r = rng(5);
  drive(a.detector, r, 0, 120);
  drive(a.detector, r, 120, 125, (_s, out) => {
    for (let i = 0; i < 900; i++) out.push(fact(0xcb007107, '/', { fp: 0x0c0c0c0c, ua: 'curl/8.5.0' }));
  });
  const id = starts(a.events)[0].incidentId;
  const st = decodeLearned(encodeLearned(a.detector.learned(T0 + 125_000)!))!;
  assert.deepEqual(st.attack!.vectors, ['single_source_flood']);
  t = T0 + 128_000;
  const b = make(() => t);
  b.detector.restore(st, t);
  drive(b.detector, rng(6), 128, 132, botnet(0xdeadbe02, 'Go-http-client/1.1', '/search'));
  assert.deepEqual(
    ends(b.events).map((e) => e.incidentId),
    [id],
    'the remembered attack is over',
  );
  const s = starts(b.events);
  assert.equal(s.length, 1);
  assert.notEqual(s[0].incidentId, id);
  assert.ok(!s[0].resumed);
});

test('restart with an attack held open that does not come back: it ends after its hold, its mitigations removed', () => {
  let t = T0;
  const a = make(() => t);
  const r = rng(7);
  drive(a.detector, r, 0, 120);
  drive(a.detector, r, 120, 126, botnet());
  const id = starts(a.events)[0].incidentId;
  const st = decodeLearned(encodeLearned(a.detector.learned(T0 + 126_000)!))!;
  t = T0 + 127_000;
  const b = make(() => t);
  b.detector.restore(st, t);
  drive(b.detector, rng(8), 127, 180);
  assert.deepEqual(
    ends(b.events).map((e) => e.incidentId),
    [id],
  );
  assert.equal(starts(b.events).length, 0);
  assert.equal(b.detector.mode(), 'normal');
  const removed = b.events.filter((e) => e.type === 'mitigation' && e.action.kind === 'remove_mitigation');
  assert.ok(removed.length >= 1, 'the restored mitigations are removed with the incident');
});

test('restart: an attack remembered from long ago is not held open', () => {
  const a = make(() => T0);
  const r = rng(9);
  drive(a.detector, r, 0, 120);
  drive(a.detector, r, 120, 124, botnet());
  const st = decodeLearned(encodeLearned(a.detector.learned(T0 + 124_000)!))!;
  const b = make(() => T0 + 3_600_000);
  assert.equal(b.detector.restore(st, T0 + 3_600_000).attack, null);
  assert.equal(b.detector.mode(), 'normal');
});

test('sameAttack: a vector family in common, and a signature key in common where both have one', () => {
  const was = {
    id: 'x',
    startedAt: 0,
    lastAnomalousAt: 0,
    mode: 'elevated' as const,
    surge: { since: 0, newShare: 1 },
    vectors: ['distributed_flood' as const],
    keys: { fingerprints: [7], paths: ['/'], prefixes: [], templates: [] },
    level: 1,
    mitigations: [],
    bursts: 1,
    burstStarts: [],
    totals: zeroIncidentTotals(),
  };
  assert.equal(
    sameAttack(was, ['pulse_wave'], { fingerprints: [7], paths: [], prefixes: [], templates: [] }),
    true,
    'a botnet pulsing is the same botnet',
  );
  assert.equal(
    sameAttack(was, ['distributed_flood'], { fingerprints: [8], paths: ['/search'], prefixes: [], templates: [] }),
    false,
    'another fingerprint and path',
  );
  assert.equal(
    sameAttack(was, ['distributed_flood'], { fingerprints: [], paths: [], prefixes: [], templates: [] }),
    true,
    'nothing to compare: the kind decides',
  );
  assert.equal(
    sameAttack(was, ['slow_connections'], { fingerprints: [7], paths: ['/'], prefixes: [], templates: [] }),
    false,
    'another kind of attack',
  );
});
