// Cluster detection = single-process detection: the same trace observed by
// one detector, and split over two worker-side detectors (remote.ts) whose
// parts are folded into one primary detector (window-part.ts), gives the same
// per-second figures and starts the same attack in the same second. Also
// pins the part's merge rules and its refusal of a part of another shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { camelize } from '../config/camelize.js';
import { detectorSchema } from '../config/schema/detector.js';
import { createMemoryState } from '../state/memory.js';
import { createDetector } from './detector.js';
import type { AttackStartEvent, DetectorEvent } from './events.js';
import { createRemoteDetector } from './remote.js';
import { BOT, fact, legitSecond, rng, spread } from './trace.js';
import { SeenSources } from './seen-sources.js';
import { SecondWindow, type Observed } from './window.js';
import { exportPart, isWindowPart, mergePart, type WindowPart } from './window-part.js';
import { sampleOf } from './second-sample.js';
import { deserialize, serialize } from 'node:v8';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
const WARM = 120;

function trace(sec: number, r: () => number): Observed[] {
  const out = legitSecond(r, 25, [], 3000);
  // A botnet: 1,500 requests/s from 600 sources, each below any per-worker ban threshold.
  if (sec >= WARM) spread(1500, 600, (src, i) => fact(src, `/search`, { query: `q=${i}`, ...BOT }), out);
  return out;
}

test('a trace split over two workers is scored like one process: same figures, same attack second and vectors', () => {
  const cfg = camelize(detectorSchema.parse({}));
  let t = T0;
  const single = createDetector(cfg, { state: createMemoryState({ now: () => t }) });
  const primary = createDetector(cfg, { state: createMemoryState({ now: () => t }) });
  const workers = [0, 1].map(() => createRemoteDetector({ send: (p) => primary.absorb(p) }));
  const ev: { single: DetectorEvent[]; primary: DetectorEvent[] } = { single: [], primary: [] };
  single.onEvent((e) => ev.single.push(e));
  primary.onEvent((e) => ev.primary.push(e));
  const r = rng(7);
  for (let sec = 0; sec < WARM + 6; sec++) {
    const out = trace(sec, r);
    for (let i = 0; i < out.length; i++) {
      single.observe(out[i]);
      workers[i & 1].observe(out[i]); // connections alternate over the workers
    }
    t = T0 + (sec + 1) * 1000;
    for (const w of workers) w.tick(t); // the workers close their seconds first: the parts land in the primary's open second
    single.tick(t);
    primary.tick(t);
  }
  const a = single.snapshot();
  const b = primary.snapshot();
  assert.deepEqual(b.series.requests, a.series.requests, 'requests per second');
  assert.deepEqual(b.series.forwarded, a.series.forwarded);
  assert.deepEqual(b.series.refused, a.series.refused);
  // Distinct sources: the merged HyperLogLog is the union's, exactly.
  assert.deepEqual(b.series.sources, a.series.sources);
  const start = (e: DetectorEvent[]) => e.find((x): x is AttackStartEvent => x.type === 'attack_start');
  assert.ok(start(ev.single), 'the single process saw the botnet');
  assert.equal(start(ev.primary)?.sample.t, start(ev.single)!.sample.t, 'the same second');
  assert.deepEqual(
    start(ev.primary)!.vectors.map((v) => v.vector),
    start(ev.single)!.vectors.map((v) => v.vector),
  );
  assert.equal(b.mode, a.mode);
  assert.equal(b.baseline.learnedSeconds, a.baseline.learnedSeconds);
});

test('a worker that saw nothing sends nothing; slow connections travel in the part and are counted once', () => {
  const parts: WindowPart[] = [];
  const w = createRemoteDetector({ send: (p) => parts.push(p) });
  w.tick(T0);
  assert.equal(parts.length, 0);
  w.noteSlowConnection('198.51.100.9');
  w.noteSlowConnection('198.51.100.9');
  w.tick(T0 + 1000);
  assert.equal(parts.length, 1);
  assert.equal(parts[0].n[11], 2, 'two slow connections');
  assert.equal(parts[0].tops[5].labels[0], '198.51.100.9');
  w.tick(T0 + 2000);
  assert.equal(parts.length, 1, 'cleared after sending');
});

test('merge rules: counters add, origin max is a max, heavy hitters re-offered, sketches summed', () => {
  const a = new SecondWindow(new SeenSources());
  const b = new SecondWindow(new SeenSources());
  for (let i = 0; i < 40; i++) a.observe(fact(0xc6336401, '/a', { originMs: 10 }));
  for (let i = 0; i < 60; i++) b.observe(fact(0xc6336401, '/b', { originMs: i === 0 ? 900 : 20 }));
  for (let i = 0; i < 3; i++) b.observe({ ...fact(0xc6336402, '/c'), cookieMoved: true, queued: i < 2 });
  // Paths that do not exist, answered by the origin (a cached 404 is not the origin's answer; a 401 is no missing path).
  for (const [status, originMs] of [
    [404, 5],
    [410, 5],
    [404, -1],
    [401, 5],
  ])
    a.observe(fact(0xc6336403, '/gone', { status, originMs }));
  const into = new SecondWindow(new SeenSources());
  mergePart(into, exportPart(a)!);
  mergePart(into, exportPart(b)!);
  assert.equal(into.requests, 107);
  assert.equal(into.forwarded, 106);
  assert.equal(into.notFound, 2, 'the origin’s 404 and 410 travel in the part');
  assert.equal(into.moved, 3, 'moved cookies travel in the part');
  assert.equal(into.queued, 2, 'requests admission queued travel in the part');
  assert.equal(into.originSum, 40 * 10 + 900 + 59 * 20 + 3 * 20 + 3 * 5);
  assert.equal(into.originMax, 900);
  assert.equal(into.topSources.top(1)[0].count, 100);
  assert.equal(into.topSources.top(1)[0].label, '198.51.100.1');
  assert.equal(into.sources.count(), 3);
  assert.equal(into.pend.prefix.total, a.pend.prefix.total + b.pend.prefix.total);
  const bad = { ...exportPart(a)!, n: new Float64Array(3) };
  assert.throws(() => mergePart(into, bad), RangeError);
});

test("deliver: the primary's events reach the worker's listeners in order, its snapshot becomes the worker's", () => {
  const w = createRemoteDetector({ send: () => {} });
  assert.equal(w.mode(), 'normal');
  assert.equal(w.snapshot().at, 0);
  const seen: string[] = [];
  w.onEvent((e) => seen.push(e.type));
  const errors: unknown[] = [];
  const w2 = createRemoteDetector({ send: () => {}, onListenerError: (e) => errors.push(e) });
  w2.onEvent(() => {
    throw new Error('listener bug');
  });
  const single = createDetector(camelize(detectorSchema.parse({})), {});
  const snap = { ...single.snapshot(), at: T0, mode: 'under_attack' as const };
  const events = [
    {
      type: 'escalation',
      incidentId: 'inc-1',
      at: T0,
      from: 'elevated',
      to: 'under_attack',
      reason: 'test',
      figures: {},
      applied: true,
    },
    { type: 'attack_end', incidentId: 'inc-1', at: T0 },
  ] as unknown as DetectorEvent[];
  w.deliver(events, snap);
  w2.deliver(events, snap);
  assert.deepEqual(seen, ['escalation', 'attack_end']);
  assert.equal(w.mode(), 'under_attack');
  assert.equal(w.snapshot().at, T0);
  assert.equal(errors.length, 2, 'a throwing listener is reported, not thrown');
  assert.throws(() => w.absorb(exportPart(new SecondWindow(new SeenSources())) as never), RangeError);
});

test('parts between nodes: v8 round trip keeps the shape, no baseline sketches; garbage is recognised', () => {
  const w = new SecondWindow(new SeenSources());
  for (let i = 0; i < 400; i++) w.observe(fact(0xc6336400 + (i % 50), '/p', { query: `q=${i}` }));
  const part = exportPart(w, false)!;
  assert.equal(part.pend, null, 'no baseline sketches between nodes');
  const back = deserialize(serialize(part));
  assert.ok(isWindowPart(back));
  const into = new SecondWindow(new SeenSources());
  mergePart(into, back);
  assert.equal(into.requests, 400);
  assert.equal(into.withQuery, 400);
  assert.ok(serialize(part).length < 40_000, `a node part is small: ${serialize(part).length} B`);
  for (const bad of [
    null,
    7,
    'x',
    {},
    { ...part, n: [1, 2] },
    { ...part, tops: [{ keys: new Uint32Array(2000), counts: new Float64Array(2000), labels: Array(2000).fill('') }] },
    { ...part, pend: [{ cells: 'no', total: 1 }] },
  ])
    assert.equal(isWindowPart(bad), false);
});

test("a cluster worker's detector answers the novel-names question from its own book: the names its requests carried, once it has two seconds of them", () => {
  const w = createRemoteDetector({ send: () => {} });
  w.observe(fact(0x0a000001, '/search', { query: 'q=water&page=2' }));
  w.tick(T0 + 1000);
  assert.equal(w.novelQuery('x8fj2'), false, 'a young book calls nothing novel');
  w.observe(fact(0x0a000002, '/search', { query: 'q=bikes' }));
  w.tick(T0 + 2000);
  assert.equal(w.novelQuery('x8fj2'), true, 'a name it never saw');
  assert.equal(w.novelQuery('page=7&q=parks'), false, 'the names its requests carried');
});

test('a crowd walk split over two workers travels in their parts: the primary finds it and challenges the template; bad counts are refused', () => {
  let t = T0;
  const primary = createDetector(camelize(detectorSchema.parse({})), { state: createMemoryState({ now: () => t }) });
  const workers = [0, 1].map(() => createRemoteDetector({ send: (p) => primary.absorb(deserialize(serialize(p))) }));
  const ev: DetectorEvent[] = [];
  primary.onEvent((e) => ev.push(e));
  const r = rng(11);
  let seq = 0;
  for (let sec = 0; sec < 70; sec++) {
    const out = legitSecond(r, 25, [], 3000);
    if (sec >= 60)
      for (let i = 0; i < 200; i++) {
        seq++;
        out.push(fact(0xac100000 + (seq % 2500) * 3, `/api/receipts/${seq.toString(16).padStart(16, '0')}`));
      }
    for (let i = 0; i < out.length; i++) workers[Math.floor(r() * 2)].observe(out[i]);
    t = T0 + (sec + 1) * 1000;
    for (const w of workers) w.tick(t);
    primary.tick(t);
  }
  const start = ev.find((x): x is AttackStartEvent => x.type === 'attack_start');
  assert.equal(start?.sample.t, T0 + 60_000, "the walk's first second");
  assert.deepEqual(start!.vectors.find((v) => v.vector === 'enumeration')?.templates, ['/api/receipts/{id}']);
  assert.notEqual(primary.snapshot().incident, null);
  assert.equal(
    ev.some((e) => e.type === 'mitigation' && e.action.rule === 'mitigate/challenge-walk'),
    true,
  );
  const w = new SecondWindow(new SeenSources());
  w.observe(fact(0xc6336401, '/api/receipts/0000000000000001'));
  const part = exportPart(w)!;
  assert.equal(part.crowd?.length, 1);
  assert.equal(isWindowPart(part), true);
  assert.equal(isWindowPart({ ...part, crowd: [{ ...part.crowd![0], up: 'many' }] }), false);
  assert.equal(isWindowPart({ ...part, crowd: 'x' }), false);
  const old = { ...part };
  delete old.crowd;
  assert.equal(isWindowPart(old), true, 'a part from a version without crowd counts still merges');
});

test('path uniqueness: a request the cookie check answered and the same request followed count one path, and one request in the denominator', () => {
  const w = new SecondWindow(new SeenSources());
  const check = { status: 307, verdict: { rule: 'challenge/cookie', action: 'serve' } };
  for (let i = 0; i < 20; i++) {
    w.observe(fact(0xc6336500 + i, `/x${i}`, check));
    w.observe(fact(0xc6336500 + i, `/x${i}`, { status: 404 }));
  }
  for (let i = 0; i < 20; i++) w.observe(fact(0xc6336600 + i, '/', { status: 200 }));
  const s = sampleOf(w, T0);
  assert.equal(s.requests, 60);
  assert.equal(s.notFound, 20);
  assert.equal(s.pathUniqueness, 0.525, '21 distinct paths over the 40 requests whose path counted');
});
