// Admission control end to end: a real origin held at a fixed capacity.
// Priority order under contention (donate > verified > known > new), shedding
// with 503 + Retry-After and the branded page (carrying the seen cookie), displacement of the lowest
// priority, deadlines, the origin never above the limit, exactly-once release
// when clients abort, and a stale copy instead of a 503 when there is one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent as HttpAgent, get as httpGet } from 'node:http';
import { createManualClock } from '../../src/core/clock.js';
import { get, protectedConfig, startProtected, startTestOrigin, until, type Got } from './origin-kit.js';

const fixed = (n: number, extra: Record<string, unknown> = {}) => ({
  admission: { concurrency: n, reserved_share: 0, ...extra },
  circuit: { enabled: false },
});

/** A client on its own loopback address (so that "known" and per-address policy apply to it alone). */
function client(addr: string) {
  const agent = new HttpAgent({ keepAlive: false });
  return {
    get: (base: string, path: string, headers: Record<string, string> = {}): Promise<Got> =>
      new Promise((resolve, reject) => {
        const req = httpGet(base + path, { headers, localAddress: addr, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const h = new Headers();
            for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
            resolve({
              status: res.statusCode ?? 0,
              verdict: h.get('rampart-verdict') ?? '',
              age: h.get('age'),
              body: Buffer.concat(chunks).toString(),
              headers: h,
            });
          });
        });
        req.on('error', reject);
      }),
    close: () => agent.destroy(),
  };
}

test('under contention the origin serves donate, then verified, then known, then new clients', async (t) => {
  const origin = await startTestOrigin();
  const clock = createManualClock(1_800_000_000_000);
  const app = await startProtected(origin.url, fixed(1, { known_after: '30s' }), clock, {
    challenge: { enabled: true, require: 'off', exempt: { session_cookie: 'sid' } },
  });
  const known = client('127.0.0.3');
  const fresh = client('127.0.0.4');
  t.after(async () => {
    await app.stop();
    await origin.close();
    await known.close();
    await fresh.close();
  });
  assert.equal((await known.get(app.base, '/hello')).status, 200, 'the known client visited before');
  clock.advance(31_000); // first seen known_after ago: known (no surge time is set, so known_after decides)
  origin.hold();
  const first = get(app.base, '/first');
  await until(() => origin.held() === 1, 'first request at the origin');
  const order = [
    fresh.get(app.base, '/new-1'),
    fresh.get(app.base, '/new-2'),
    known.get(app.base, '/known'),
    fresh.get(app.base, '/verified', { cookie: 'sid=abc' }),
    fresh.get(app.base, '/donate'),
  ];
  await until(
    () =>
      app.admissionStats()!.queued.new === 2 &&
      app.admissionStats()!.queued.known === 1 &&
      app.admissionStats()!.queued.verified === 1 &&
      app.admissionStats()!.queued.priority === 1,
    'all five queued',
    3000,
  ).catch((e) => {
    throw new Error(`${e.message}: ${JSON.stringify(app.admissionStats())}`);
  });
  for (let i = 0; i < 6; i++) {
    await until(() => origin.held() === 1, `request ${i} at the origin`);
    assert.ok(origin.inFlight() <= 1, 'never above the limit');
    origin.release(1);
  }
  const got = await Promise.all([first, ...order]);
  for (const g of got) assert.equal(g.status, 200);
  assert.deepEqual(origin.seen.slice(1), ['/first', '/donate', '/verified', '/known', '/new-1', '/new-2']);
  assert.equal(origin.peak(), 1);
});

test('a full queue sheds with 503, Retry-After and the branded page; a priority arrival displaces a new client', async (t) => {
  const origin = await startTestOrigin();
  const app = await startProtected(
    origin.url,
    fixed(1, { queue_size: 2, retry_after: '7s', queue: { new: { size: 2, deadline: '30s' } } }),
    createManualClock(1_800_000_000_000),
  );
  t.after(async () => {
    await app.stop();
    await origin.close();
  });
  origin.hold();
  const first = get(app.base, '/first');
  await until(() => origin.held() === 1, 'first at the origin');
  const q1 = get(app.base, '/q1');
  const q2 = get(app.base, '/q2');
  await until(() => app.admissionStats()!.queued.new === 2, 'two queued');
  const over = await get(app.base, '/over');
  assert.equal(over.status, 503);
  assert.equal(over.verdict, 'origin/shed');
  assert.equal(over.headers.get('retry-after'), '7');
  assert.match(over.body, /The site is very busy/);
  // The first response this client got: it carries the seen cookie all the same (a browser comes back with it).
  assert.match(over.headers.get('set-cookie') ?? '', /^rampart_seen=\d+-[0-9a-f]{8}\.[\w-]+; Path=\//);
  const donate = get(app.base, '/donate');
  const displaced = await q1;
  assert.equal(displaced.status, 503, 'the oldest new client made room for the donation');
  assert.equal(displaced.verdict, 'origin/shed');
  origin.release();
  const [a, b, d] = await Promise.all([first, q2, donate]);
  assert.equal(a.status, 200);
  assert.equal(b.status, 200);
  assert.equal(d.status, 200);
  const s = app.admissionStats()!;
  assert.equal(s.shed.new, 2);
  assert.equal(s.shed.priority, 0);
  assert.equal(origin.hits('/q1'), 0);
  assert.equal(origin.hits('/over'), 0);
});

test('a waiter past its deadline is shed (real clock)', async (t) => {
  const origin = await startTestOrigin();
  const app = await startProtected(origin.url, fixed(1, { queue: { new: { size: 10, deadline: '200ms' } } }));
  t.after(async () => {
    await app.stop();
    await origin.close();
  });
  origin.hold();
  const first = get(app.base, '/first');
  await until(() => origin.held() === 1, 'first at the origin');
  const late = await get(app.base, '/late');
  assert.equal(late.status, 503);
  assert.equal(late.verdict, 'origin/shed');
  assert.equal(app.admissionStats()!.expired.new, 1);
  origin.release();
  assert.equal((await first).status, 200);
  assert.equal(origin.hits('/late'), 0);
});

test('the origin never sees more than the limit, whatever arrives', async (t) => {
  const origin = await startTestOrigin();
  const app = await startProtected(
    origin.url,
    fixed(3, { queue: { new: { size: 100, deadline: '1m' } } }),
    createManualClock(1_800_000_000_000),
  );
  t.after(async () => {
    await app.stop();
    await origin.close();
  });
  origin.hold();
  const all = Array.from({ length: 40 }, (_, i) => get(app.base, `/r${i}`));
  await until(
    () => origin.held() === 3 && app.admissionStats()!.queued.new === 37,
    'three at the origin, the rest queued',
  );
  let done = 0;
  void Promise.all(all).then(() => (done = 1));
  while (done === 0) {
    await until(() => origin.held() > 0 || done === 1, 'progress');
    assert.ok(origin.inFlight() <= 3, `in flight at the origin: ${origin.inFlight()}`);
    origin.release(1);
    await new Promise((r) => setImmediate(r));
  }
  for (const g of await Promise.all(all)) assert.equal(g.status, 200);
  assert.equal(origin.peak(), 3);
  assert.equal(app.admissionStats()!.inFlight, 0);
});

test('aborted clients release their slot exactly once, queued or admitted', async (t) => {
  const origin = await startTestOrigin();
  const app = await startProtected(
    origin.url,
    fixed(2, { queue: { new: { size: 10, deadline: '1m' } } }),
    createManualClock(1_800_000_000_000),
  );
  t.after(async () => {
    await app.stop();
    await origin.close();
  });
  origin.hold();
  const ctrls = Array.from({ length: 5 }, () => new AbortController());
  const send = (i: number) => fetch(`${app.base}/a${i}`, { signal: ctrls[i].signal }).catch(() => null);
  // Admitted first, then queued, so each request's place is known; the queued ones are aborted first:
  // an admitted one aborted first frees a slot the queue would fill before the next abort arrives.
  const reqs = [send(0), send(1)];
  await until(() => origin.held() === 2, 'two admitted');
  reqs.push(send(2), send(3), send(4));
  await until(() => app.admissionStats()!.queued.new === 3, 'three queued');
  for (const i of [2, 3, 4]) ctrls[i].abort();
  await until(() => app.admissionStats()!.queued.new === 0, 'the queued ones left');
  for (const i of [0, 1]) ctrls[i].abort();
  await Promise.all(reqs);
  await until(
    () => app.admissionStats()!.inFlight === 0 && app.admissionStats()!.queued.new === 0,
    'everything released',
  );
  const s = app.admissionStats()!;
  assert.equal(s.abandoned, 3);
  assert.equal(s.admitted, 2, 'the queued ones were never admitted');
  origin.release();
  const after = await Promise.all([get(app.base, '/b1'), get(app.base, '/b2'), get(app.base, '/b3')]);
  for (const g of after) assert.equal(g.status, 200);
  await until(() => app.admissionStats()!.inFlight === 0, 'released again');
});

test('when shed, a stale copy is served instead of the 503 page', async (t) => {
  const origin = await startTestOrigin();
  const clock = createManualClock(1_800_000_000_000);
  const app = await startProtected(
    origin.url,
    fixed(1, { queue: { new: { size: 0, deadline: '1s' }, known: { size: 0, deadline: '1s' } } }),
    clock,
  );
  t.after(async () => {
    await app.stop();
    await origin.close();
  });
  origin.set('/home', { headers: { 'cache-control': 'max-age=5' }, body: 'cached home' });
  await get(app.base, '/home');
  clock.advance(60_000);
  origin.hold();
  const first = get(app.base, '/first');
  await until(() => origin.held() === 1, 'first at the origin');
  const home = await get(app.base, '/home');
  assert.equal(home.status, 200);
  assert.equal(home.verdict, 'cache/stale');
  assert.equal(home.body, 'cached home');
  const other = await get(app.base, '/other');
  assert.equal(other.verdict, 'origin/shed');
  assert.equal(app.admissionStats()!.staleInsteadOfShed, 1);
  origin.release();
  await first;
});

test('reserved share: new clients take at most limit × (1 − share); a donation gets a free slot at once', async (t) => {
  const origin = await startTestOrigin();
  const app = await startProtected(
    origin.url,
    fixed(4, { reserved_share: 0.5, queue: { new: { size: 10, deadline: '1m' } } }),
    createManualClock(1_800_000_000_000),
  );
  t.after(async () => {
    await app.stop();
    await origin.close();
  });
  origin.hold();
  const flood = Array.from({ length: 6 }, (_, i) => get(app.base, `/n${i}`));
  await until(
    () => origin.held() === 2 && app.admissionStats()!.queued.new === 4,
    'two new clients at the origin, four waiting',
  );
  const donation = get(app.base, '/donate');
  await until(() => origin.held() === 3, 'the donation went straight to the origin');
  assert.equal(app.admissionStats()!.queued.priority, 0);
  assert.deepEqual(origin.seen.slice(-1), ['/donate']);
  origin.release();
  for (const g of await Promise.all([...flood, donation])) assert.equal(g.status, 200);
  assert.ok(origin.peak() <= 3);
});

test('after a reload, requests of the old graph still at the origin count against the limit', async (t) => {
  const origin = await startTestOrigin();
  const app = await startProtected(origin.url, fixed(1));
  t.after(async () => {
    await app.stop();
    await origin.close();
  });
  origin.hold();
  const old = get(app.base, '/old');
  await until(() => origin.held() === 1, 'old request at the origin');
  // reload() resolves once the old graph has closed, i.e. after its held request: do not wait for it.
  const reloaded = app.reload(protectedConfig(origin.url, fixed(1, { retry_after: '5s' })));
  await until(() => app.admissionStats()!.admitted === 0, 'the new graph in place');
  const fresh = get(app.base, '/fresh');
  await until(() => app.admissionStats()!.queued.new === 1, 'the new graph queues: the slot is still taken');
  assert.equal(origin.held(), 1);
  origin.release(1);
  await until(() => origin.held() === 1, 'admitted once the old request finished');
  assert.equal(origin.peak(), 1);
  origin.release();
  assert.equal((await old).status, 200);
  assert.equal((await fresh).status, 200);
  await reloaded;
});
