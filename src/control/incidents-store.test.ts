// The incident store on real SQLite files in a temp dir, and the recorder over
// it with synthetic detector events: a closed incident survives a reopen, an
// open one is resumed when the attack comes back within resume_window and
// closed at its last second when it does not; retention and downsampling.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DetectorEvent, SecondSample } from '../detector/events.js';
import { createAttribution } from '../detector/attribution.js';
import { scaledBaseline } from './incidents-classify.js';
import { createRecorder } from './incidents-recorder.js';
import { buildReport } from './report.js';
import { downsample, openIncidentStore } from './incidents-store.js';
import type { Sample } from './incidents-types.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const sig = {
  sources: [],
  prefixes: [{ key: 1, label: '203.0.113.0/24', count: 432, share: 0.9, baselineShare: 0, lift: 900 }],
  fingerprints: [],
  paths: [],
  queryShapes: [],
  routeClasses: [],
};

function sample(t: number, requests: number): SecondSample {
  return {
    t,
    requests,
    forwarded: Math.round(requests / 10),
    refused: requests - Math.round(requests / 10),
    sources: 212,
    newSources: 0,
    status: { s2xx: 1, s3xx: 0, s4xx: 0, s5xx: 0 },
    originMs: 12,
    originMaxMs: 40,
    classes: { page: requests },
    families: {},
    entropy: { path: 0.1, query: 0, ua: 0.2, fingerprint: 0.1 },
    queryUniqueness: 0,
    slowConnections: 0,
    score: 3,
  } as unknown as SecondSample; // fields the recorder does not read are left out
}
const totals = (seconds: number) => ({
  seconds,
  requests: seconds * 480,
  refused: seconds * 400,
  forwarded: seconds * 80,
  peakRps: 480,
  peakSources: 212,
  distinctSources: 212,
  bans: 0,
  mitigations: 1,
});
const vec = [{ vector: 'distributed_flood' as const, reason: '212 sources', figures: { sources: 212 } }];

function startEv(id: string, at: number, resumed = false): DetectorEvent {
  return {
    type: 'attack_start',
    resumed,
    incidentId: id,
    at,
    mode: 'elevated',
    enforcement: 'enforce',
    vectors: vec,
    signature: sig,
    sample: sample(at - 1000, 480),
    baseline: { rps: 80, rpsStd: 5, sources: 20, forwarded: 80, originMs: 10, learnedSeconds: 600, warm: true },
  };
}
function updateEv(id: string, at: number, n: number): DetectorEvent {
  return {
    type: 'attack_update',
    incidentId: id,
    at,
    mode: 'elevated',
    vectors: vec,
    signature: sig,
    sample: sample(at - 1000, 480),
    totals: totals(n),
  };
}
function recorder(file: string, resumeWindowMs = 60_000) {
  const store = openIncidentStore(file);
  const rec = createRecorder({
    store,
    attribution: createAttribution(),
    exposure: null,
    resumeWindowMs,
    licences: ['test licence'],
    challenge: () => ({ issued: 0, solved: 0 }),
    onError: (e) => assert.fail(String(e)),
  });
  return { store, rec };
}

test('a closed incident survives closing and reopening the store; verdict and samples kept', () => {
  const file = join(dir, 'closed.sqlite');
  const { store, rec } = recorder(file);
  rec.onEvent(startEv('inc-a', T0));
  for (let i = 0; i < 5; i++) {
    rec.onEvent(updateEv('inc-a', T0 + i * 1000, i + 1));
    rec.tick(T0 + i * 1000);
  }
  rec.onEvent({
    type: 'mitigation',
    incidentId: 'inc-a',
    at: T0 + 2000,
    action: {
      kind: 'mitigation',
      rule: 'mitigate/limit-signature',
      level: 1,
      ban: null,
      mitigation: null,
      reason: '203.0.113.0/24 sends 90%',
      figures: { share: 0.9 },
      applied: true,
    },
  });
  rec.onEvent({
    type: 'attack_end',
    incidentId: 'inc-a',
    at: T0 + 8000,
    startedAt: T0 - 1000,
    durationMs: 6000,
    vectors: ['distributed_flood'],
    totals: totals(5),
    signature: sig,
  });
  rec.tick(T0 + 8000);
  store.close();

  const again = openIncidentStore(file);
  try {
    const r = again.get('inc-a')!;
    assert.equal(r.status, 'closed');
    assert.equal(r.endedAt, T0 + 5000);
    assert.equal(r.mitigations[0].rule, 'mitigate/limit-signature');
    assert.match(
      r.classification!.verdict,
      /^low-level: one vector \(distributed_flood\), 212 sources, peak 6x baseline/,
    );
    assert.equal(again.samples('inc-a').length, 5);
    assert.equal(again.latestId(), 'inc-a');
    assert.deepEqual(
      again.list().map((x) => [x.id, x.status]),
      [['inc-a', 'closed']],
    );
    assert.equal(again.get('missing'), null);
  } finally {
    again.close();
  }
});

test('after a restart an open incident is resumed when the detector goes on with it under its id (the same attack)', () => {
  const file = join(dir, 'resume.sqlite');
  const first = recorder(file);
  first.rec.onEvent(startEv('inc-b', T0));
  for (let i = 0; i < 3; i++) {
    first.rec.onEvent(updateEv('inc-b', T0 + i * 1000, i + 1));
    first.rec.tick(T0 + i * 1000);
  }
  first.store.close(); // the process dies mid-attack

  const second = recorder(file);
  // The restored detector found the same signature: it resumes its own incident id.
  second.rec.onEvent(startEv('inc-b', T0 + 30_000, true));
  second.rec.onEvent(updateEv('inc-b', T0 + 30_000, 1));
  second.rec.tick(T0 + 30_000);
  assert.equal(second.rec.active()!.id, 'inc-b');
  second.rec.onEvent({
    type: 'attack_end',
    incidentId: 'inc-b',
    at: T0 + 35_000,
    startedAt: T0,
    durationMs: 33_000,
    vectors: ['distributed_flood'],
    totals: totals(4),
    signature: sig,
  });
  second.rec.tick(T0 + 35_000);
  const r = second.store.get('inc-b')!;
  assert.equal(r.status, 'closed');
  assert.match(r.notes.join(' '), /resumed .* after a restart .*same signature/);
  assert.equal(second.store.samples('inc-b').length, 4);
  assert.equal(second.store.list().length, 1);
  second.store.close();
});

test('after a restart another attack does not continue the open incident: it is closed at its last second and the new one recorded apart', () => {
  const file = join(dir, 'separate.sqlite');
  const first = recorder(file);
  first.rec.onEvent(startEv('inc-d', T0));
  for (let i = 0; i < 3; i++) {
    first.rec.onEvent(updateEv('inc-d', T0 + i * 1000, i + 1));
    first.rec.tick(T0 + i * 1000);
  }
  first.store.close();

  const second = recorder(file);
  second.rec.onEvent(startEv('inc-other', T0 + 30_000)); // the detector found a different attack: a new id
  second.rec.onEvent(updateEv('inc-other', T0 + 30_000, 1));
  second.rec.tick(T0 + 30_000);
  assert.equal(second.rec.active()!.id, 'inc-other');
  const old = second.store.get('inc-d')!;
  assert.equal(old.status, 'closed');
  assert.equal(old.endedAt, T0 + 2000, 'closed at its last recorded second');
  assert.match(old.notes.join(' '), /a different attack began .*inc-other/);
  assert.equal(second.store.samples('inc-d').length, 3, 'nothing of the new attack in the old record');
  assert.equal(second.store.get('inc-other')!.status, 'open');
  second.store.close();
});

test("after a restart an attack held open that does not come back ends with the detector's hold", () => {
  const file = join(dir, 'held.sqlite');
  const first = recorder(file);
  first.rec.onEvent(startEv('inc-e', T0));
  first.rec.onEvent(updateEv('inc-e', T0 + 1000, 1));
  first.rec.tick(T0 + 1000);
  first.store.close();
  const second = recorder(file);
  second.rec.onEvent({
    type: 'attack_end',
    incidentId: 'inc-e',
    at: T0 + 40_000,
    startedAt: T0,
    durationMs: 2000,
    vectors: ['distributed_flood'],
    totals: totals(1),
    signature: sig,
  });
  second.rec.tick(T0 + 40_000);
  const r = second.store.get('inc-e')!;
  assert.equal(r.status, 'closed');
  assert.match(r.notes.join(' '), /did not come back within its hold/);
  second.store.close();
});

test('an open incident whose attack does not return is closed at its last recorded second', () => {
  const file = join(dir, 'stale.sqlite');
  const first = recorder(file, 10_000);
  first.rec.onEvent(startEv('inc-c', T0));
  first.rec.onEvent(updateEv('inc-c', T0 + 1000, 1));
  first.rec.tick(T0 + 1000);
  first.store.close();

  const second = recorder(file, 10_000);
  second.rec.tick(T0 + 5000);
  assert.equal(second.store.get('inc-c')!.status, 'open', 'still inside the window');
  second.rec.tick(T0 + 20_000);
  const r = second.store.get('inc-c')!;
  assert.equal(r.status, 'closed');
  assert.equal(r.endedAt, T0 + 1000); // last sample second (t = at − 1000) + 1 s
  assert.match(r.notes.join(' '), /not seen again within 10s/);
  assert.ok(r.classification);
  second.store.close();
});

test('retention deletes old closed incidents; old samples are downsampled to 10 s', () => {
  const file = join(dir, 'prune.sqlite');
  const { store, rec } = recorder(file);
  rec.onEvent(startEv('inc-d', T0));
  for (let i = 0; i < 25; i++) {
    rec.onEvent(updateEv('inc-d', T0 + i * 1000, i + 1));
    rec.tick(T0 + i * 1000);
  }
  rec.onEvent({
    type: 'attack_end',
    incidentId: 'inc-d',
    at: T0 + 30_000,
    startedAt: T0 - 1000,
    durationMs: 25_000,
    vectors: ['distributed_flood'],
    totals: totals(25),
    signature: sig,
  });
  rec.tick(T0 + 30_000);
  const day = 86_400_000;
  assert.deepEqual(store.prune(T0 + day, 30 * day, 7 * day), { deleted: 0, downsampled: 0 });
  assert.deepEqual(store.prune(T0 + 8 * day, 30 * day, 7 * day), { deleted: 0, downsampled: 1 });
  const s = store.samples('inc-d');
  assert.equal(s.length, 4); // 25 one-second samples from T0 − 1 s: 1 + 10 + 10 + 4 in 10 s buckets
  assert.equal(
    s.reduce((a, x) => a + x.requests, 0),
    25 * 480,
  );
  assert.equal(
    s.reduce((a, x) => a + x.seconds, 0),
    25,
  );
  assert.deepEqual(store.prune(T0 + 31 * day, 30 * day, 7 * day), { deleted: 1, downsampled: 0 });
  assert.equal(store.get('inc-d'), null);
  assert.equal(store.samples('inc-d').length, 0);
  store.close();
});

test('downsample keeps sums, peaks and request-weighted latencies', () => {
  const base: Sample = {
    t: 0,
    seconds: 1,
    mode: 'elevated',
    requests: 0,
    forwarded: 0,
    refused: 0,
    sources: 0,
    originMs: 0,
    verifiedReq: 0,
    verifiedServed: 0,
    verifiedMs: 0,
    othersReq: 0,
    othersServed: 0,
    othersMs: 0,
  };
  const out = downsample(
    [
      { ...base, t: 1000, requests: 10, forwarded: 10, originMs: 10, sources: 5, verifiedReq: 1, verifiedMs: 100 },
      { ...base, t: 2000, requests: 30, forwarded: 30, originMs: 30, sources: 9, verifiedReq: 3, verifiedMs: 20 },
    ],
    10_000,
  );
  assert.equal(out.length, 1);
  assert.equal(out[0].requests, 40);
  assert.equal(out[0].sources, 9);
  assert.equal(out[0].originMs, 25);
  assert.equal(out[0].verifiedMs, 40);
  assert.equal(out[0].seconds, 2);
});

test('adaptation: seconds after a mitigation count only when the attack keeps its rate and mostly gets through', () => {
  const { store, rec } = recorder(join(dir, 'adapt.sqlite'));
  rec.onEvent(startEv('inc-e', T0));
  rec.onEvent({
    type: 'mitigation',
    incidentId: 'inc-e',
    at: T0,
    action: {
      kind: 'mitigation',
      rule: 'mitigate/limit-signature',
      level: 1,
      ban: null,
      mitigation: null,
      reason: 'x',
      figures: {},
      applied: true,
    },
  });
  for (let i = 1; i <= 12; i++) {
    const ev = updateEv('inc-e', T0 + i * 1000, i) as Extract<DetectorEvent, { type: 'attack_update' }>;
    if (i > 6) ev.sample = { ...ev.sample, refused: 40 }; // from second 7 the attack gets past the mitigation
    rec.onEvent(ev);
    rec.tick(T0 + i * 1000);
  }
  assert.equal(rec.active()!.indicators.resurgedSeconds, 6);
  store.close();
});

test("another live process's open incident is neither resumed nor closed; a dead one's is", () => {
  const file = join(dir, 'owners.sqlite');
  const first = recorder(file, 10_000);
  first.rec.onEvent(startEv('inc-live', T0));
  first.rec.onEvent(updateEv('inc-live', T0 + 1000, 1));
  first.rec.tick(T0 + 1000);
  const rec = first.store.get('inc-live')!;
  assert.equal(rec.owner!.pid, process.pid);
  // Pretend a live other process (our parent) and a dead one own open incidents.
  first.store.save(
    [
      { ...rec, id: 'inc-parent', owner: { ...rec.owner!, pid: process.ppid } },
      { ...rec, id: 'inc-dead', owner: { ...rec.owner!, pid: 2 ** 22 + 12345 } },
    ],
    [],
  );
  first.store.close();
  const second = recorder(file, 10_000);
  second.rec.tick(T0 + 60_000);
  assert.equal(second.store.get('inc-parent')!.status, 'open');
  assert.equal(second.store.get('inc-dead')!.status, 'closed');
  assert.equal(
    second.store.get('inc-live')!.status,
    'closed',
    'our own pid: a restart in the same process (tests) may close it',
  );
  second.store.close();
});

test('shared state: headline figures are the global sums, the node’s own kept beside; a second without sums is said', () => {
  const file = join(dir, 'global.sqlite');
  const store = openIncidentStore(file);
  const known = new Map<number, Record<string, number>>();
  let writes = 0;
  const rec = createRecorder({
    store,
    attribution: null,
    exposure: null,
    resumeWindowMs: 60_000,
    licences: [],
    challenge: () => ({ issued: 0, solved: 0 }),
    onError: (e) => assert.fail(String(e)),
    global: (s) => known.get(s) ?? null,
  });
  const silent = createRecorder({
    store: { ...store, save: () => void writes++ },
    attribution: null,
    exposure: null,
    resumeWindowMs: 60_000,
    licences: [],
    challenge: () => ({ issued: 0, solved: 0 }),
    onError: (e) => assert.fail(String(e)),
    global: () => null,
    write: false,
  });
  rec.onEvent(startEv('inc-g', T0));
  silent.onEvent(startEv('inc-g', T0));
  for (let i = 1; i <= 4; i++) {
    const at = T0 + i * 1000;
    // Every second but the third has its global sums: this node's 480 plus another node's 520; the fourth's sums
    // are below the node's own figure (a cluster primary's window straddles two seconds of sums): taken all the same.
    if (i === 4) known.set(Math.floor((at - 1000) / 1000), { requests: 300, forwarded: 30, refused: 270 });
    else if (i !== 3) known.set(Math.floor((at - 1000) / 1000), { requests: 1000, forwarded: 100, refused: 900 });
    for (const r of [rec, silent]) {
      r.onEvent(updateEv('inc-g', at, i));
      r.tick(at);
    }
  }
  rec.flush(T0 + 5000, true);
  silent.flush(T0 + 5000, true);
  assert.equal(writes, 0, 'a worker that is not the recorder never writes');
  const r = store.get('inc-g')!;
  assert.equal(r.scope!.seconds, 4);
  assert.equal(r.scope!.globalSeconds, 3);
  assert.equal(
    r.totals.requests,
    2 * 1000 + 480 + 300,
    'global sums (even below the own figure), and the node’s own figure for the second without them',
  );
  assert.equal(r.totals.peakRps, 1000);
  assert.equal(r.scope!.local.requests, 4 * 480);
  assert.ok(r.notes.some((n) => /summed over every node/.test(n)));
  assert.ok(r.notes.some((n) => /1 of 4 recorded seconds carry this node's own figures only/.test(n)));
  const samples = store.samples('inc-g');
  assert.equal(samples.length, 4);
  assert.deepEqual(
    samples.map((s) => [s.requests, s.localRequests]),
    [
      [1000, 480],
      [1000, 480],
      [480, 480],
      [300, 480],
    ],
  );
  // The baseline (80 req/s) is this node's: the multiple compares its own peak (480), not the global 1000.
  assert.equal(scaledBaseline(r), 80 * (1000 / 480));
  const statement = buildReport(r, samples).statement.join(' ');
  assert.match(
    statement,
    /received up to 1,000 requests per second \(the node that recorded this saw up to 480, about 6 times its usual rate of 80\)/,
  );
});

test('two processes opening one new store at once (cluster workers): the second waits for the first, neither fails', async () => {
  const file = join(dir, 'busy', 'incidents.sqlite');
  // Another process creates the file and holds it exclusively for 400 ms, as a worker setting it up would.
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `
    const D = require('better-sqlite3'); require('node:fs').mkdirSync(${JSON.stringify(join(dir, 'busy'))}, { recursive: true });
    const db = new D(${JSON.stringify(file)}); db.exec('BEGIN EXCLUSIVE'); process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, 400);`,
    ],
    { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((r) => holder.stdout!.once('data', () => r()));
  const store = openIncidentStore(file);
  assert.deepEqual(store.list(5), []);
  await new Promise((r) => holder.once('exit', r));
  assert.equal(holder.exitCode, 0);
});
