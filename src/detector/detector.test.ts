// The detector on synthetic per-second traces with a manual clock: for each
// vector, the second it is detected, the vector named, the signature found and
// the first action; a realistic day with a newsletter burst triggers nothing.
// Uses the real memory state (src/state) for the writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { camelize } from '../config/camelize.js';
import { detectorSchema } from '../config/schema/detector.js';
import { createMemoryState } from '../state/memory.js';
import { CLIENT_COOKIE, CLIENT_FRESH } from '../core/model.js';
import { createDetector } from './detector.js';
import type { DetectorEvent, MitigationEvent, AttackStartEvent } from './events.js';
import { BOT, fact, legitSecond, newsletterSecond, rng, spread } from './trace.js';
import type { Observed } from './window.js';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
const WARM = 120;

interface Run {
  events: DetectorEvent[];
  state: ReturnType<typeof createMemoryState>;
  detector: ReturnType<typeof createDetector>;
  start: AttackStartEvent | undefined;
  actions: MitigationEvent[];
  /** Second index (from T0) of the sample that started the attack. */
  startSecond: number;
}

/** Runs `seconds` of legit traffic with `extra(sec, r, out)` added each second. */
function run(
  seconds: number,
  extra: (sec: number, r: () => number, out: Observed[]) => void,
  overrides: Record<string, unknown> = {},
  slow?: (sec: number, note: (ip: string) => void) => void,
  assetRate = 1,
): Run {
  let t = T0;
  const state = createMemoryState({ now: () => t });
  const detector = createDetector(camelize(detectorSchema.parse(overrides)), { state });
  const events: DetectorEvent[] = [];
  detector.onEvent((e) => events.push(e));
  const r = rng(42);
  for (let sec = 0; sec < seconds; sec++) {
    const out = legitSecond(r, 25, [], 3000, assetRate);
    extra(sec, r, out);
    for (const o of out) detector.observe(o);
    slow?.(sec, (ip) => detector.noteSlowConnection(ip));
    t = T0 + (sec + 1) * 1000;
    detector.tick(t);
  }
  const start = events.find((e): e is AttackStartEvent => e.type === 'attack_start');
  return {
    events,
    state,
    detector,
    start,
    actions: events.filter((e): e is MitigationEvent => e.type === 'mitigation'),
    startSecond: start ? (start.sample.t - T0) / 1000 : -1,
  };
}

const vectorsOf = (r: Run) => r.start?.vectors.map((v) => v.vector) ?? [];
/** Mitigations other than the cookie check, which every incident opens with (these traces carry no cookies). */
const scoped = (r: Run) =>
  r.actions.filter((a) => a.action.kind === 'mitigation' && a.action.rule !== 'mitigate/check-cookie');

test('no attack: a realistic hour-like trace with a newsletter burst triggers no action', () => {
  let id = 0;
  const r = run(400, (sec, rand, out) => {
    // At 200 s the newsletter lands: 60 new readers/s for 30 s, then tailing off.
    if (sec >= 200 && sec < 230) newsletterSecond(rand, 60, (id += 60), out);
    else if (sec >= 230 && sec < 260) newsletterSecond(rand, 20, (id += 20), out);
  });
  assert.equal(r.start, undefined, `unexpected attack: ${JSON.stringify(r.start?.vectors)}`);
  assert.equal(r.actions.length, 0);
  assert.equal(r.detector.mode(), 'normal');
  assert.equal(r.state.mode(), 'normal');
  assert.equal(r.state.bans().length + r.state.mitigations().length, 0);
  const snap = r.detector.snapshot();
  assert.ok(snap.warm && snap.baseline.rps > 30, `learned baseline ${snap.baseline.rps}`);
  // The burst was visible (it is not that the detector was blind): new sources and volume rose.
  const idx = snap.series.t.indexOf(T0 + 210_000);
  assert.ok(snap.series.newSources[idx] >= 50, `new sources at the burst ${snap.series.newSources[idx]}`);
  assert.ok(snap.series.requests[idx] > 3 * snap.baseline.rps, 'the burst tripled the volume');
});

test("no attack: returning visitors have their assets cached, a newsletter's new readers load them all", () => {
  let id = 0;
  const r = run(
    300,
    (sec, rand, out) => {
      if (sec >= 200 && sec < 220) newsletterSecond(rand, 80, (id += 80), out);
    },
    {},
    undefined,
    0.1,
  );
  assert.equal(r.start, undefined, `unexpected attack: ${JSON.stringify(r.start?.vectors)}`);
  const snap = r.detector.snapshot();
  const idx = snap.series.t.indexOf(T0 + 210_000);
  assert.ok(
    snap.series.requests[idx] > 5 * snap.baseline.rps,
    `the burst is large: ${snap.series.requests[idx]} vs ${snap.baseline.rps}`,
  );
});

test('no attack: a newsletter read mostly on one phone browser (its fingerprint at 15× its usual share)', () => {
  let id = 0;
  const android =
    'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36';
  const r = run(
    260,
    (sec, rand, out) => {
      if (sec < 200 || sec >= 220) return;
      const burst = newsletterSecond(rand, 80, (id += 80));
      for (const o of burst) out.push({ ...o, fingerprint: 0x1a2b3c05, req: { headers: { 'user-agent': android } } });
    },
    {},
    undefined,
    0.1,
  );
  assert.equal(r.start, undefined, `unexpected attack: ${JSON.stringify(r.start?.vectors)}`);
  const top = r.detector.snapshot();
  assert.equal(top.mode, 'normal');
});

test('single-source flood: detected in its first second, the address banned with its figures', () => {
  const r = run(WARM + 10, (sec, _r, out) => {
    if (sec >= WARM)
      for (let i = 0; i < 800; i++) out.push(fact(0xcb007107, '/', { fp: 0x0c0c0c0c, ua: 'curl/8.5.0' }));
  });
  assert.equal(r.startSecond, WARM);
  assert.deepEqual(vectorsOf(r), ['single_source_flood']);
  assert.equal(r.start!.signature.sources[0].label, '203.0.113.7');
  const ban = r.actions.find((a) => a.action.kind === 'ban');
  assert.ok(ban && ban.at === T0 + (WARM + 1) * 1000, 'banned at the tick that closed the first flood second');
  assert.equal(ban.action.ban!.rule, 'ban/auto-flood');
  assert.match(ban.action.ban!.reason, /800 requests\/s/);
  assert.equal(ban.action.figures.rps, 800);
  assert.ok(r.state.isBanned('203.0.113.7', T0 + (WARM + 2) * 1000), 'the ban is in shared state');
  assert.equal(r.state.isBanned('10.0.0.7', T0 + (WARM + 2) * 1000), null);
  assert.ok(
    r.actions.every((a) => a.action.kind === 'ban'),
    'no wider action for a single source',
  );
});

test('distributed flood: 2,000 sources detected at once, challenge scoped to the bot fingerprint, then widened while the origin stays loaded', () => {
  const r = run(WARM + 12, (sec, _r, out) => {
    if (sec >= WARM) spread(2000, 2000, (src) => fact(src, '/', { fp: BOT.fp, ua: BOT.ua }), out);
  });
  assert.equal(r.startSecond, WARM);
  assert.ok(vectorsOf(r).includes('distributed_flood'), vectorsOf(r).join());
  assert.equal(r.start!.signature.fingerprints[0].key, BOT.fp);
  assert.ok(r.start!.signature.fingerprints[0].lift > 10);
  assert.equal(r.start!.mode, 'elevated', 'narrow first: under_attack challenges everyone');
  assert.equal(r.actions[0].action.rule, 'mitigate/check-cookie', 'the cookie check first');
  const first = scoped(r)[0];
  assert.equal(first.at, T0 + (WARM + 1) * 1000);
  assert.equal(
    first.action.rule,
    'mitigate/challenge-signature',
    'one request per source: a per-client limit would not help',
  );
  assert.deepEqual(first.action.mitigation!.match.fingerprints, [BOT.fp]);
  assert.ok(r.state.mitigations().some((m) => m.id === first.action.mitigation!.id));
  // The trace keeps forwarding attack requests (nothing applies the mitigation here), so it widens.
  // Its sources are not new (seen long before in this trace): no limit or challenge of new clients (level 3).
  const levels = scoped(r).map((a) => a.action.level);
  assert.deepEqual(levels, [1, 2, 4]);
  assert.equal(scoped(r)[1].at - first.at, 3000, 'widened after widen_after (3s)');
  assert.deepEqual(scoped(r)[1].action.mitigation!.match.routeClasses, ['page']);
  assert.equal(r.state.mode(), 'under_attack');
  assert.ok(r.events.filter((e) => e.type === 'attack_update').length >= 10, 'one update per second');
});

test('widening to the clients known before the surge needs the origin hurting or a flood still forwarded: twice the usual forwarded rate alone does not', () => {
  const CHALLENGED = { rule: 'mitigate/challenge-signature', action: 'challenge' } as const;
  const phase = (sec: number) => (sec < WARM ? 'calm' : sec < WARM + 12 ? 'healthy' : 'hurting');
  const r = run(WARM + 20, (sec, _r, out) => {
    if (phase(sec) === 'calm') return;
    // The signature's challenge refuses the flood; what still reaches the origin is about its usual rate
    // again (twice it in all): people and their reloads. Then the origin slows down (3 s a request).
    const slow = phase(sec) === 'hurting';
    spread(2000, 2000, (src) => fact(src, '/', { fp: BOT.fp, ua: BOT.ua, verdict: CHALLENGED, originMs: -1 }), out);
    spread(60, 60, (src) => fact(src + 0x100000, '/news/1', { originMs: slow ? 3000 : 20 }), out);
  });
  assert.equal(r.startSecond, WARM);
  const wide = scoped(r).filter((a) => !((a.action.mitigation?.match.newSince ?? 0) > 0) && a.action.level >= 2);
  assert.ok(
    wide.length > 0,
    scoped(r)
      .map((a) => `${a.action.rule}@${(a.at - T0) / 1000}`)
      .join(' '),
  );
  assert.ok(
    wide[0].at >= T0 + (WARM + 12) * 1000,
    `widened to known clients at ${(wide[0].at - T0) / 1000}s, before the origin hurt (${WARM + 12}s)`,
  );
});

test('cache-busting: random query strings on one path are named with the query shape', () => {
  const r = run(WARM + 5, (sec, rand, out) => {
    if (sec >= WARM)
      spread(400, 300, (src) => fact(src, '/news/1', { query: `${Math.floor(rand() * 1e9).toString(36)}=1` }), out);
  });
  assert.equal(r.startSecond, WARM);
  assert.ok(vectorsOf(r).includes('cache_busting'), vectorsOf(r).join());
  const cb = r.start!.vectors.find((v) => v.vector === 'cache_busting')!;
  assert.ok(cb.figures.queryUniqueness >= 0.9);
  assert.equal(r.start!.signature.paths[0].label, '/news/1');
  // Browser-looking clients on a path people read too: the cookie check at once, not the proof of work.
  const first = r.actions.filter((a) => a.action.kind === 'mitigation');
  assert.equal(first[0].action.rule, 'mitigate/check-cookie');
  assert.equal(first[0].at - T0, (WARM + 1) * 1000);
  assert.ok(
    !first.some((a) => a.action.rule === 'mitigate/challenge-signature' && a.at === first[0].at),
    'no challenge of a path at once',
  );
  // Its parameter names are random (`<random>=1`): requests carrying one are challenged at once, on any path.
  const names = first.find((a) => a.action.rule === 'mitigate/challenge-names');
  assert.equal(names?.at, first[0].at);
  assert.equal(names!.action.mitigation!.match.novelNames, true);
});

test('login stuffing: the login route class over-represented, scoped to it', () => {
  const r = run(WARM + 5, (sec, _r, out) => {
    if (sec >= WARM)
      spread(150, 500, (src) => fact(src, '/login', { routeClass: 'login', status: 401, fp: BOT.fp, ua: BOT.ua }), out);
  });
  assert.ok(r.startSecond <= WARM + 1 && r.startSecond >= WARM, `start ${r.startSecond}`);
  assert.ok(vectorsOf(r).includes('login_stuffing'), vectorsOf(r).join());
  const v = r.start!.vectors.find((x) => x.vector === 'login_stuffing')!;
  assert.ok(v.figures.rps >= 150 && v.figures.baselineRps < 10, JSON.stringify(v.figures));
  assert.equal(r.start!.signature.routeClasses[0].name, 'login');
  assert.ok(r.start!.signature.paths.some((p) => p.label === '/login'));
});

test('enumeration of a sensitive route: many ids, 404s, from few sources', () => {
  const r = run(WARM + 5, (sec, _r, out) => {
    if (sec >= WARM)
      spread(
        120,
        40,
        (src, i) =>
          fact(src, `/api/donors/${sec * 1000 + i}`, { routeClass: 'sensitive', status: 404, fp: BOT.fp, ua: BOT.ua }),
        out,
      );
  });
  assert.equal(r.startSecond, WARM);
  assert.ok(vectorsOf(r).includes('enumeration'), vectorsOf(r).join());
  assert.ok(r.start!.sample.entropy.path > 0.5);
  const sig = scoped(r).filter((a) => a.action.rule === 'mitigate/challenge-signature');
  assert.equal(
    sig.length,
    1,
    scoped(r)
      .map((a) => a.action.rule)
      .join(),
  );
  assert.deepEqual(sig[0].action.mitigation!.match.fingerprints, [BOT.fp]);
  // The ids are asked in sequence across the 120 sources: the crowd watch challenges the template too.
  const walk = r.actions.filter((a) => a.action.rule === 'mitigate/challenge-walk');
  assert.deepEqual(
    walk.map((a) => a.action.mitigation!.match.paths),
    [['/api/donors/']],
  );
});

test('slow connections: deadline closes counted per second, the worst sources banned as ban/auto-slow', () => {
  const r = run(
    WARM + 5,
    () => {},
    {},
    (sec, note) => {
      if (sec >= WARM) for (let i = 0; i < 60; i++) note(`198.51.100.${1 + (i % 20)}`);
    },
  );
  assert.equal(r.startSecond, WARM);
  assert.deepEqual(vectorsOf(r), ['slow_connections']);
  const bans = r.actions.filter((a) => a.action.rule === 'ban/auto-slow');
  assert.equal(bans.length, 20);
  assert.ok(r.state.isBanned('198.51.100.3', T0 + (WARM + 2) * 1000));
});

test('pulse waves: three 3-second surges in one incident, named pulse_wave', () => {
  const on = (sec: number) => sec >= WARM && (sec - WARM) % 9 < 3 && sec < WARM + 27;
  const r = run(WARM + 30, (sec, _r, out) => {
    if (on(sec)) spread(1500, 1500, (src) => fact(src, '/search', { query: 'q=x', fp: BOT.fp, ua: BOT.ua }), out);
  });
  assert.equal(r.startSecond, WARM);
  assert.equal(r.events.filter((e) => e.type === 'attack_start').length, 1, 'one incident');
  const snap = r.detector.snapshot();
  assert.ok(snap.incident, 'incident still open');
  const pulse = snap.incident.vectors.find((v) => v.vector === 'pulse_wave');
  assert.ok(pulse && pulse.figures.bursts === 3 && pulse.figures.periodSeconds === 9, JSON.stringify(pulse));
});

test('low-and-slow: 600 sources each far under any per-IP limit, detected within the slow window', () => {
  const r = run(WARM + 10, (sec, _r, out) => {
    // +70 % over baseline: under the fast-flood threshold (3×), over slow_ratio (1.5×) for 5 s.
    if (sec >= WARM)
      spread(
        45,
        600,
        (src, i) =>
          fact(src + sec * 600 * 13, '/search', { query: `q=${i % 5}`, fp: BOT.fp, ua: BOT.ua, originMs: 300 }),
        out,
      );
  });
  assert.ok(r.startSecond >= WARM && r.startSecond <= WARM + 4, `start ${r.startSecond}`);
  assert.ok(vectorsOf(r).includes('low_and_slow'), vectorsOf(r).join());
  assert.ok(!vectorsOf(r).includes('distributed_flood'));
  const first = scoped(r)[0];
  assert.ok(first && first.at - T0 <= (WARM + 5) * 1000, 'mitigated within 5 s');
  assert.deepEqual(first.action.mitigation!.match.fingerprints, [BOT.fp]);
});

test('observe enforcement: actions recorded as not applied, state untouched', () => {
  const r = run(
    WARM + 4,
    (sec, _r, out) => {
      if (sec >= WARM) for (let i = 0; i < 800; i++) out.push(fact(0xcb007107, '/'));
    },
    { enforcement: 'observe' },
  );
  assert.ok(r.actions.length > 0 && r.actions.every((a) => !a.action.applied));
  assert.equal(r.state.bans().length, 0);
  assert.equal(r.state.mode(), 'normal');
  assert.equal(r.detector.mode(), 'elevated');
  assert.equal(r.detector.snapshot().enforcement, 'observe');
});

test('attack end with hysteresis: an elevated incident steps straight back to normal, mitigations removed', () => {
  const r = run(
    WARM + 30,
    (sec, _r, out) => {
      if (sec >= WARM && sec < WARM + 3) spread(2000, 2000, (src) => fact(src, '/', { fp: BOT.fp, ua: BOT.ua }), out);
    },
    { end_after: '5s', recover_hold: '10s' },
  );
  const modes = r.events
    .filter((e) => e.type === 'escalation')
    .map((e) => (e.type === 'escalation' ? `${e.to}@${(e.at - T0) / 1000 - WARM}` : ''));
  // Never `recovering`: the challenge stage treats it like under_attack (everyone challenged).
  assert.deepEqual(modes, ['elevated@1', 'normal@18']);
  const end = r.events.find((e) => e.type === 'attack_end');
  assert.ok(end && end.type === 'attack_end');
  assert.equal(end.durationMs, 3000);
  assert.ok(end.totals.seconds >= 3);
  // 2,000 attackers plus the ordinary visitors seen during the incident's seconds.
  assert.ok(
    end.totals.distinctSources > 1940 && end.totals.distinctSources < 3500,
    `distinct ${end.totals.distinctSources}`,
  );
  assert.equal(end.signature.fingerprints[0].key, BOT.fp);
  assert.equal(r.state.mitigations().length, 0, 'removed at the end');
  assert.ok(r.actions.some((a) => a.action.kind === 'remove_mitigation'));
  assert.equal(r.state.mode(), 'normal');
});

test('under_attack after widening to level 3, then recovering, then normal', () => {
  const r = run(
    WARM + 40,
    (sec, _r, out) => {
      if (sec >= WARM && sec < WARM + 9) spread(2000, 2000, (src) => fact(src, '/', { fp: BOT.fp, ua: BOT.ua }), out);
    },
    { end_after: '5s', recover_hold: '10s' },
  );
  const modes = r.events
    .filter((e) => e.type === 'escalation')
    .map((e) => (e.type === 'escalation' ? `${e.to}@${(e.at - T0) / 1000 - WARM}` : ''));
  assert.deepEqual(modes, ['elevated@1', 'under_attack@7', 'recovering@14', 'normal@24']);
  const up = r.events.find((e) => e.type === 'escalation' && e.to === 'under_attack');
  assert.ok(up && up.type === 'escalation', 'under_attack');
  assert.equal(up.figures.level, 4);
  assert.match(up.reason, /did not bring the origin load back/);
  assert.equal(r.state.mode(), 'normal');
  assert.equal(r.state.mitigations().length, 0);
});

test('a flood that changes its fingerprint gets a second signature mitigation, not a wider one', () => {
  const r = run(WARM + 5, (sec, _r, out) => {
    if (sec >= WARM && sec < WARM + 2)
      spread(2000, 2000, (src) => fact(src, '/news/3', { fp: BOT.fp, ua: BOT.ua }), out);
    if (sec >= WARM + 2)
      spread(2000, 2000, (src) => fact(src + 1, '/news/4', { fp: 0xdeadbe02, ua: 'Go-http-client/1.1' }), out);
  });
  const ms = scoped(r).map((a) => ({
    at: (a.at - T0) / 1000 - WARM,
    level: a.action.level,
    fps: a.action.mitigation!.match.fingerprints,
  }));
  assert.deepEqual(ms.slice(0, 2), [
    { at: 1, level: 1, fps: [BOT.fp] },
    { at: 3, level: 1, fps: [0xdeadbe02] },
  ]);
  assert.match(scoped(r)[1].action.reason, /changed its signature/);
  // A new signature does not restart the widening clock (an attack that keeps changing would never be
  // widened): the wider mitigation comes widen_after (3 s) after the first actions, as the origin stays loaded.
  const wider = scoped(r).find((a) => a.action.level >= 2)!;
  assert.equal((wider.at - T0) / 1000 - WARM, 4);
});

test('a small site: a few synchronised visitors on one form are not an attack, whatever the ratios', () => {
  let t = T0;
  const state = createMemoryState({ now: () => t });
  const d = createDetector(camelize(detectorSchema.parse({ warmup: '10s' })), { state });
  const r = rng(5);
  for (let sec = 0; sec < 60; sec++) {
    // A tiny site: ~7 requests/s; then 16 synchronised visitors (ordinary browsers) post the donate form each second for 5 s
    // (~23/s in total, over min_rps, the donate class at ~20× its usual rate and share).
    const out = legitSecond(r, 3);
    if (sec >= 40 && sec < 45)
      for (let i = 0; i < 16; i++)
        out.push(fact(0x0a000100 + i, '/donate', { routeClass: 'donate', fp: 0x1a2b3c01 + (i % 5) }));
    for (const o of out) d.observe(o);
    d.tick((t = T0 + (sec + 1) * 1000));
  }
  assert.equal(d.mode(), 'normal');
  assert.equal(state.mitigations().length, 0);
});

test('the ramp second before an attack is not learned into the baseline', () => {
  const r = run(WARM + 3, (sec, _r, out) => {
    // One second of ramp under the flood threshold, then the flood.
    if (sec === WARM - 1) spread(30, 30, (src) => fact(src, '/', { fp: BOT.fp, ua: BOT.ua }), out);
    if (sec >= WARM) spread(2000, 2000, (src) => fact(src, '/', { fp: BOT.fp, ua: BOT.ua }), out);
  });
  assert.equal(r.startSecond, WARM);
  const fp = r.start!.signature.fingerprints[0];
  assert.equal(fp.key, BOT.fp);
  // Learned, the ramp would be ~0.4 % of the baseline (30 of ~7,300 requests).
  assert.ok(fp.baselineShare < 0.002, `baseline share ${fp.baselineShare}`);
});

test('low-and-slow with a browser-identical fingerprint: found by the missing assets, scoped to the path', () => {
  const chrome = {
    fp: 0x1a2b3c01,
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  };
  const r = run(WARM + 10, (sec, _r, out) => {
    // +100 % on the costly search, one request per source per 10 s, no assets.
    if (sec >= WARM)
      spread(
        60,
        600,
        (src, i) => fact(src + sec * 600 * 13, '/search', { query: `q=${i % 7}`, ...chrome, originMs: 400 }),
        out,
      );
  });
  assert.ok(r.startSecond >= WARM && r.startSecond <= WARM + 4, `start ${r.startSecond}`);
  assert.ok(vectorsOf(r).includes('low_and_slow'), vectorsOf(r).join());
  const first = r.actions.filter((a) => a.action.kind === 'mitigation')[0];
  assert.ok(first.at - T0 <= (WARM + 5) * 1000, 'mitigated within 5 s');
  assert.equal(
    first.action.rule,
    'mitigate/check-cookie',
    'the cookie check first: these browser-identical clients load no assets and come once',
  );
  assert.ok(
    !r.actions.some((a) => a.action.rule === 'mitigate/challenge-signature'),
    'the browser fingerprint is not blamed, and a path people read is not challenged at once',
  );
});

test('cache-busting with random paths: path uniqueness', () => {
  const r = run(WARM + 4, (sec, rand, out) => {
    if (sec >= WARM)
      spread(500, 300, (src) => fact(src, `/${Math.floor(rand() * 1e9).toString(36)}`, { status: 404 }), out);
  });
  assert.equal(r.startSecond, WARM);
  const cb = r.start!.vectors.find((v) => v.vector === 'cache_busting');
  assert.ok(cb && cb.figures.pathUniqueness >= 0.9, JSON.stringify(r.start!.vectors));
});

test("a tool's fingerprint is challenged on every path: a flood spread over /search, /materials and /?random is not narrowed to the two paths that are prefixes", () => {
  const paths = ['/search', '/materials', '/'];
  const r = run(WARM + 3, (sec, _r, out) => {
    if (sec >= WARM)
      spread(1500, 1500, (src, i) => fact(src, paths[i % 3], { fp: BOT.fp, ua: BOT.ua, query: `v=${src}-${i}` }), out);
  });
  assert.equal(r.startSecond, WARM);
  assert.ok(r.start!.signature.paths.some((p) => p.label === '/search' && p.share >= 0.2));
  const sig = scoped(r).find((a) => a.action.rule === 'mitigate/challenge-signature');
  assert.deepEqual(sig?.action.mitigation?.match.fingerprints, [BOT.fp]);
  assert.deepEqual(sig?.action.mitigation?.match.paths, [], 'a path list would let the tool through on "/"');
  assert.doesNotMatch(sig!.action.reason, /path/);
});

test('started into a crowd of cookie-keeping tools the surge guard already challenges: an incident opens at once (the guard lets go after its hold, the incident does not) and the crowd is never learned', () => {
  const CHALLENGED = { rule: 'challenge/required', action: 'challenge' } as const;
  const r = run(12, (_sec, _r, out) => {
    spread(
      1500,
      1500,
      (src, i) => fact(src, i % 2 ? '/' : '/search', { fp: BOT.fp, ua: BOT.ua, verdict: CHALLENGED, originMs: -1 }),
      out,
    );
  });
  assert.equal(r.startSecond, 0, 'from its first second');
  assert.deepEqual(
    scoped(r).find((a) => a.action.rule === 'mitigate/challenge-signature')?.action.mitigation?.match.fingerprints,
    [BOT.fp],
  );
  assert.equal(r.detector.snapshot().baseline.learnedSeconds, 0, 'no second of the crowd is learned');
});

/**
 * 1,500 new browsers a second from WARM that keep their cookies: the first `backlog` seconds reach a slow
 * origin (`drain`: each second forwards less), the rest are refused by the challenge of new clients.
 */
function keptCookieCrowd(backlog: number, drain: boolean) {
  const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';
  return run(WARM + 12, (sec, _r, out) => {
    if (sec < WARM) return;
    const k = sec - WARM;
    const reach = k >= backlog ? 0 : drain ? Math.round(1500 / 2 ** k) : 1500;
    for (let i = 0; i < 1500; i++)
      out.push(
        fact(0xac400000 + i * 13, '/search', {
          ua: UA,
          clientState: k === 0 ? CLIENT_FRESH : CLIENT_COOKIE,
          seenAt: T0 + WARM * 1000,
          ...(i < reach
            ? { originMs: 2500 }
            : { originMs: -1, status: 403, verdict: { rule: 'challenge/required', action: 'serve' } }),
        }),
      );
  });
}

test('the backlog admitted before the challenge of new clients drains for seconds: no widening to the known people while the load falls; a load that holds is widened against', () => {
  const drained = keptCookieCrowd(5, true);
  const rules = drained.actions.map((a) => a.action.rule);
  assert.ok(rules.includes('mitigate/challenge-new'), `the surge's new clients are challenged: ${rules.join()}`);
  assert.ok(!rules.includes('mitigate/challenge-all'), `the people known before it are not: ${rules.join()}`);
  const held = keptCookieCrowd(12, false);
  assert.ok(
    held.actions.some((a) => a.action.rule === 'mitigate/challenge-all'),
    'the origin loaded in every second since the last action: everyone unverified is challenged',
  );
});
