// The h2_abuse vector (manual clock): HTTP/2 sessions closed for abuse by the
// guard reach the detector like slow connections do — one in the open second
// starts an incident naming h2_abuse with its figures and bans the source
// (`ban/auto-h2`), even on a quiet site before warm-up; a cluster worker's
// part carries them to the primary's detector, counted once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { camelize } from '../config/camelize.js';
import { detectorSchema } from '../config/schema/detector.js';
import { createMemoryState } from '../state/memory.js';
import { createDetector } from './detector.js';
import { createRemoteDetector } from './remote.js';
import type { AttackStartEvent, DetectorEvent, MitigationEvent } from './events.js';
import { fact } from './trace.js';
import type { WindowPart } from './window-part.js';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

test('one session closed for HTTP/2 abuse: an incident naming h2_abuse, the source banned as ban/auto-h2; others untouched', () => {
  let t = T0;
  const state = createMemoryState({ now: () => t });
  const d = createDetector(camelize(detectorSchema.parse({})), { state });
  const events: DetectorEvent[] = [];
  d.onEvent((e) => events.push(e));
  for (let sec = 0; sec < 5; sec++) {
    for (let i = 0; i < 5; i++) d.observe(fact(0xc6336401 + i, '/'));
    if (sec === 3) d.noteH2Abuse('203.0.113.66', 140);
    t = T0 + (sec + 1) * 1000;
    d.tick(t);
  }
  const start = events.find((e): e is AttackStartEvent => e.type === 'attack_start');
  assert.ok(start, 'an incident started');
  const v = start.vectors.find((x) => x.vector === 'h2_abuse');
  assert.ok(v, start.vectors.map((x) => x.vector).join());
  assert.deepEqual(v.figures, { sessions: 1, glitches: 140, sources: 1 });
  assert.equal(start.sample.h2Abuse, 1);
  const bans = events.filter((e): e is MitigationEvent => e.type === 'mitigation' && e.action.kind === 'ban');
  assert.deepEqual(
    bans.map((b) => [b.action.rule, b.action.ban?.target]),
    [['ban/auto-h2', '203.0.113.66']],
  );
  assert.ok(state.isBanned('203.0.113.66', t), 'written to the shared state');
  assert.equal(state.isBanned('198.51.100.1', t), null);
});

test('no abusive session: no h2_abuse, no ban', () => {
  let t = T0;
  const state = createMemoryState({ now: () => t });
  const d = createDetector(camelize(detectorSchema.parse({})), { state });
  const events: DetectorEvent[] = [];
  d.onEvent((e) => events.push(e));
  for (let sec = 0; sec < 5; sec++) {
    for (let i = 0; i < 5; i++) d.observe(fact(0xc6336401 + i, '/'));
    t = T0 + (sec + 1) * 1000;
    d.tick(t);
  }
  assert.equal(events.length, 0);
  assert.equal(state.bans().length, 0);
});

test('a cluster worker sends its abusive sessions in its part; the primary names h2_abuse once', () => {
  const parts: WindowPart[] = [];
  const w = createRemoteDetector({ send: (p) => parts.push(p) });
  w.noteH2Abuse('203.0.113.67', 100);
  w.noteH2Abuse('203.0.113.67', 120);
  w.tick(T0 + 1000);
  assert.equal(parts.length, 1, 'a part with no request but abusive sessions is still sent');
  assert.deepEqual([parts[0].n[12], parts[0].n[13]], [2, 220]);
  assert.equal(parts[0].tops[6].labels[0], '203.0.113.67');
  let t = T0 + 1000;
  const state = createMemoryState({ now: () => t });
  const primary = createDetector(camelize(detectorSchema.parse({})), { state });
  const events: DetectorEvent[] = [];
  primary.onEvent((e) => events.push(e));
  primary.absorb(parts[0]);
  t += 1000;
  primary.tick(t);
  const start = events.find((e): e is AttackStartEvent => e.type === 'attack_start');
  assert.deepEqual(start?.vectors.find((x) => x.vector === 'h2_abuse')?.figures, {
    sessions: 2,
    glitches: 220,
    sources: 1,
  });
  assert.ok(state.isBanned('203.0.113.67', t));
});
