import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type CrowdCount, type CrowdFinding, CrowdJudge, CrowdWalks, isCrowdCount } from './crowd-walk.js';
import { CLIENT_COOKIE, CLIENT_FRESH } from '../core/model.js';
import { driveDetector, T0 } from './drive.test.js';
import { fact, rng } from './trace.js';
import type { Observed } from './window.js';
import { IdWalks, scanTemplate } from './templates.js';

const T = 1_800_000_000;
/** One ask of a record: the client and the path. */
type Ask = { client: number; path: string };

/**
 * Drives `seconds` of asks through `procs` processes' watches (a random one takes each ask, as the kernel
 * hands connections to workers) and the judge; returns the first second with a finding and the findings.
 */
function drive(
  seconds: number,
  asks: (sec: number, r: () => number) => Ask[],
  procs = 2,
): { first: number; findings: CrowdFinding[] } {
  const walks = Array.from({ length: procs }, () => new IdWalks());
  const judge = new CrowdJudge();
  const r = rng(7);
  let first = -1;
  let findings: CrowdFinding[] = [];
  for (let sec = 0; sec < seconds; sec++) {
    for (const a of asks(sec, r)) walks[Math.floor(r() * procs)].observe(a.client, '', a.path, T + sec);
    const counts: CrowdCount[] = walks.flatMap((w) => w.crowd.drain());
    assert.equal(counts.every(isCrowdCount), true);
    const f = judge.step(counts);
    if (f.length > 0 && first < 0) {
      first = sec;
      findings = f;
    }
  }
  return { first, findings };
}

test('identifiers: a hex one and a UUID are numbered by their last 12 hex digits (a sequential walk of them is in order)', () => {
  const out = { template: 0, id: 0, num: -1 };
  scanTemplate('/api/receipts/0000000000000001', out);
  assert.equal(out.num, 1);
  scanTemplate('/api/receipts/00000000000000FF', out);
  assert.equal(out.num, 255);
  scanTemplate('/api/receipts/ffff000000000100', out);
  assert.equal(out.num, 256, 'the last 12 digits');
  scanTemplate('/api/volunteers/00000000-0000-4000-8000-0000000000ff', out);
  assert.equal(out.num, 255);
  scanTemplate('/api/donors/4711/pdf', out);
  assert.equal(out.num, 4711);
  scanTemplate('/about', out);
  assert.equal(out.num, -1);
});

test('crowd walk: 3,000 sources asking hex ids in sequence, a few each, split over two workers, are found in the first seconds', () => {
  let seq = 0;
  const d = drive(10, () =>
    Array.from({ length: 600 }, () => {
      seq++;
      return { client: 0x0a000000 + (seq % 3000), path: `/api/receipts/${seq.toString(16).padStart(16, '0')}` };
    }),
  );
  assert.equal(d.first, 0, 'the first second: 600 fresh identifiers next to each other');
  const f = d.findings[0];
  assert.equal(f.path.startsWith('/api/receipts/'), true);
  assert.equal(f.fresh, 600);
  assert.notEqual(f.near < 0.5 * f.fresh, true, `near ${f.near} of ${f.fresh}`);
  assert.notEqual(f.sources < 300, true, `sources ${f.sources}`);
  seq = 0;
  const eight = drive(
    10,
    () =>
      Array.from({ length: 600 }, () => {
        seq++;
        return { client: 0x0a000000 + (seq % 3000), path: `/api/donors/${seq}` };
      }),
    8,
  );
  assert.equal(eight.first, 0, 'eight workers, each seeing an eighth of the walk');
});

test('crowd walk: a slow one (30 ids a second over 400 sources) is found once 30 fresh ids are nearly all in sequence', () => {
  let seq = 1000;
  const d = drive(10, () =>
    Array.from({ length: 20 }, () => {
      seq++;
      return { client: 0x0b000000 + (seq % 400), path: `/api/donors/${seq}` };
    }),
  );
  assert.equal(d.first, 1, '40 fresh after two seconds');
});

test('crowd walk: three fast walkers in sequence are not a crowd (the per-client watch bans them)', () => {
  const d = drive(20, (sec) =>
    Array.from({ length: 18 }, (_, k) => ({
      client: 0xc6336400 + (k % 3),
      path: `/api/donors/${1000 + (k % 3) * 10_000 + sec * 6 + Math.floor(k / 3)}`,
    })),
  );
  assert.equal(d.first, -1);
});

/** Asserts that `perSecond` asks a second, each from `ask`, over `seconds` (on `procs` workers) never make a crowd walk. */
function neverWalked(why: string, seconds: number, perSecond: number, ask: (r: () => number) => Ask, procs = 2): void {
  assert.equal(drive(seconds, (_s, r) => Array.from({ length: perSecond }, () => ask(r)), procs).first, -1, why);
}

test('crowd walk: readers are not one (hot records, a dense range read at random, new articles, records in a large space)', () => {
  // Readers of 300 consecutive recent articles, the newest most read (Zipf), 300 a second from 2,000 readers.
  neverWalked('hot articles are asked again and again', 120, 300, (r) => ({
    client: 0x0c000000 + Math.floor(r() * 2000),
    path: `/news/${50_299 - Math.floor(300 * r() ** 3)}`,
  }));
  // Readers of the last 2,000 articles at random, 300 a second, over eight workers: neighbours on both sides.
  neverWalked(
    'a dense range read at random',
    120,
    300,
    (r) => ({ client: 0x0c100000 + Math.floor(r() * 5000), path: `/news/${50_000 + Math.floor(r() * 2000)}` }),
    8,
  );
  // A newsletter links 50 new consecutive articles: a burst of 600 readers, each reading three.
  neverWalked('fewer than 100 identifiers at all', 30, 600, (r) => ({
    client: 0x0d000000 + Math.floor(r() * 600),
    path: `/news/${60_000 + Math.floor(r() * 50)}`,
  }));
  // Each person opens their own receipt: random 16-hex identifiers, 500 a second (a busy donation day).
  const hex8 = (r: () => number) =>
    Math.floor(r() * 2 ** 32)
      .toString(16)
      .padStart(8, '0');
  neverWalked('neighbours by chance only', 60, 500, (r) => ({
    client: 0x0e000000 + Math.floor(r() * 1e6),
    path: `/api/receipts/${hex8(r)}${hex8(r)}`,
  }));
  // Members opening their own record among 100,000, 200 a second.
  neverWalked('records of a large space', 60, 200, (r) => ({
    client: 0x0f000000 + Math.floor(r() * 1e5),
    path: `/api/members/${1 + Math.floor(r() * 100_000)}`,
  }));
});

test('crowd walks: the watch is bounded (32 templates a process; the judge keeps 64) and an old template gives way', () => {
  const w = new CrowdWalks();
  for (let t = 0; t < 100; t++) for (let k = 0; k < 3; k++) w.observe(t, k, 1, `/t${t}/${k}`, T + t);
  const counts = w.drain();
  assert.equal(counts.length, 32, 'the 32 templates asked last');
  assert.deepEqual(
    counts.map((c) => c.template).sort((a, b) => a - b),
    Array.from({ length: 32 }, (_, i) => 68 + i),
  );
  assert.deepEqual(w.drain(), [], 'drained');
  const j = new CrowdJudge();
  const many: CrowdCount[] = Array.from({ length: 200 }, (_, t) => ({
    template: t,
    path: `/x${t}/1`,
    ids: 500,
    fresh: 500,
    up: 500,
    down: 0,
    sources: 100,
  }));
  assert.equal(j.step(many).length, 64);
  assert.equal(isCrowdCount({ template: 1, path: '/a/1', ids: 1, fresh: 1, up: 'x', down: 0, sources: 1 }), false);
});

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** 60 readers who keep the cookie and load assets; a crowd of 3,000 keeping cookies walks receipts in sequence from `from`. */
function crowdTrace(from: number, rps = 300) {
  let seq = 0;
  return (sec: number, r: () => number, out: Observed[]) => {
    for (let p = 0; p < 60; p++) {
      if (r() > 0.3) continue;
      out.push(fact(0x0a000100 + p, `/news/${p % 9}`, { ua: CHROME, clientState: CLIENT_COOKIE, seenAt: T0 }));
      out.push(
        fact(0x0a000100 + p, '/static/site.css', { ua: CHROME, routeClass: 'static', clientState: CLIENT_COOKIE }),
      );
    }
    if (sec < from) return;
    for (let i = 0; i < rps; i++) {
      seq++;
      out.push(
        fact(0xac100000 + (seq % 3000) * 7, `/api/receipts/${seq.toString(16).padStart(16, '0')}`, {
          routeClass: 'api',
          ua: CHROME,
          clientState: sec === from ? CLIENT_FRESH : CLIENT_COOKIE,
          seenAt: T0 + from * 1000,
        }),
      );
    }
  };
}

for (const [when, from] of [
  ['already running when the detector starts', 0],
  ['after 60 s of calm', 60],
] as const)
  test(`crowd walk ${when}: an incident naming the template, a challenge on its prefix for new clients without the assets mark, no bans`, () => {
    const d = driveDetector(from + 15, crowdTrace(from));
    assert.notEqual(d.start, undefined, 'an incident');
    assert.equal(d.startSecond - from <= 2, true, `found ${d.startSecond - from} s into the walk`);
    const v = d.start!.vectors.find((x) => x.vector === 'enumeration');
    assert.deepEqual(v?.templates, ['/api/receipts/{id}']);
    assert.match(v!.reason, /walked in sequence across clients/);
    const walk = d.actions.filter((a) => a.action.rule === 'mitigate/challenge-walk');
    assert.equal(walk.length, 1, 'one challenge for the template');
    const m = walk[0].action.mitigation!;
    assert.equal(m.action, 'challenge');
    assert.deepEqual(m.match.paths, ['/api/receipts/']);
    assert.equal(m.match.sparesPersons, true);
    assert.equal(m.match.unverifiedOnly, true);
    assert.equal(m.match.newSince! <= T0 + from * 1000, true, 'the walk is new since the surge');
    assert.equal(m.figures.crowdFresh >= 100, true, JSON.stringify(m.figures));
    assert.deepEqual(
      d.actions.filter((a) => a.action.kind === 'ban'),
      [],
      'no source to ban: each asked a few',
    );
    assert.equal(
      d.state.mitigations().some((x) => x.rule === 'mitigate/challenge-walk'),
      true,
      'applied to shared state',
    );
  });
