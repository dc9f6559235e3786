// The micro-cache end to end: real Rampart, real origin, manual clock.
// Hits and Age, coalescing (one origin hit for N concurrent misses), what is
// never stored, Vary, the byte cap, stale serving when the origin fails or
// stops and under attack, and query normalisation against cache-busting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createManualClock } from '../../src/core/clock.js';
import { get, protectedConfig, startProtected, startTestOrigin, until } from './origin-kit.js';

const T0 = 1_800_000_000_000;

test('a public response is stored: the second request is a hit with Age, the origin saw one', async (t) => {
  const origin = await startTestOrigin();
  const clock = createManualClock(T0);
  const app = await startProtected(origin.url, {}, clock, {
    admin: { listen: '127.0.0.1:0', token: 'test-admin-token-0123456789' },
  });
  t.after(async () => {
    await app.stop();
    await origin.close();
  });
  origin.set('/home', { headers: { 'cache-control': 'public, max-age=60' }, body: 'home page' });
  const a = await get(app.base, '/home');
  assert.equal(a.status, 200);
  assert.equal(a.verdict, 'default/allow');
  clock.advance(7_000);
  const b = await get(app.base, '/home');
  assert.equal(b.body, 'home page');
  assert.equal(b.verdict, 'cache/hit');
  assert.equal(b.age, '7');
  assert.equal(origin.hits('/home'), 1);
  clock.advance(60_000);
  const c = await get(app.base, '/home');
  assert.equal(c.verdict, 'default/allow', 'expired: asked the origin again');
  assert.equal(origin.hits('/home'), 2);
  const s = app.cacheStats()!;
  assert.equal(s.hits, 1);
  assert.equal(s.misses, 2);
  const metrics = await (
    await fetch(`${app.control.url()}/metrics`, { headers: { authorization: 'Bearer test-admin-token-0123456789' } })
  ).text();
  assert.match(metrics, /^rampart_cache_hits_total 1$/m);
  assert.match(metrics, /^rampart_admission_limit \d+$/m);
  assert.match(metrics, /^rampart_admission_queued\{key="new"\} 0$/m);
});

test('coalescing: 20 concurrent identical misses make exactly one origin request', async (t) => {
  const origin = await startTestOrigin();
  const app = await startProtected(origin.url, {}, createManualClock(T0));
  t.after(async () => {
    await app.stop();
    await origin.close();
  });
  origin.set('/busy', { headers: { 'cache-control': 'max-age=30' }, body: 'one answer' });
  origin.hold();
  const all = Array.from({ length: 20 }, () => get(app.base, '/busy'));
  await until(
    () => origin.held() === 1 && app.cacheStats()!.coalesced === 19,
    'one held origin request and 19 waiters',
  );
  origin.release();
  const got = await Promise.all(all);
  assert.equal(origin.hits('/busy'), 1);
  for (const g of got) assert.equal(g.body, 'one answer');
  assert.equal(got.filter((g) => g.verdict === 'cache/hit').length, 19);
});

test('coalesced waiters of an uncacheable answer each go to the origin (nothing is shared)', async (t) => {
  const origin = await startTestOrigin();
  const app = await startProtected(origin.url, {}, createManualClock(T0));
  t.after(async () => {
    await app.stop();
    await origin.close();
  });
  origin.set('/mine', { headers: { 'cache-control': 'private' } });
  origin.hold();
  const all = Array.from({ length: 5 }, () => get(app.base, '/mine'));
  await until(() => origin.held() === 1 && app.cacheStats()!.coalesced === 4, 'leader at the origin, four waiting');
  origin.release();
  const got = await Promise.all(all);
  assert.equal(origin.hits('/mine'), 5);
  for (const g of got) assert.equal(g.status, 200);
  // Now known to be uncacheable (hit-for-pass): the next burst goes to the origin side by side.
  origin.hold();
  const burst = Array.from({ length: 5 }, () => get(app.base, '/mine'));
  await until(() => origin.held() === 5, 'five at the origin at once');
  origin.release();
  await Promise.all(burst);
  assert.equal(app.cacheStats()!.passed, 5);
});

test('never stored: private, no-store, no-cache, Set-Cookie, requests with Cookie or Authorization', async (t) => {
  const origin = await startTestOrigin();
  const app = await startProtected(origin.url, {}, createManualClock(T0));
  t.after(async () => {
    await app.stop();
    await origin.close();
  });
  origin.set('/private', { headers: { 'cache-control': 'private, max-age=60' } });
  origin.set('/nostore', { headers: { 'cache-control': 'no-store, max-age=60' } });
  origin.set('/nocache', { headers: { 'cache-control': 'no-cache' } });
  origin.set('/cookie', { headers: { 'cache-control': 'max-age=60', 'set-cookie': 'sid=1' } });
  origin.set('/pub', { headers: { 'cache-control': 'max-age=60' } });
  for (const p of ['/private', '/nostore', '/nocache', '/cookie']) {
    await get(app.base, p);
    const again = await get(app.base, p);
    assert.notEqual(again.verdict, 'cache/hit', p);
    assert.equal(origin.hits(p), 2, `${p} reached the origin twice`);
  }
  await get(app.base, '/pub', { cookie: 'session=abc' });
  await get(app.base, '/pub', { authorization: 'Bearer x' });
  assert.equal(origin.hits('/pub'), 2, 'credentialed requests neither stored nor served from the cache');
  await get(app.base, '/pub');
  const hit = await get(app.base, '/pub', { cookie: 'rampart_pass=whatever' });
  assert.equal(hit.verdict, 'cache/hit', 'the challenge pass cookie is not a credential');
  assert.equal(origin.hits('/pub'), 3);
});

test('a route configured public is stored despite cookies; Set-Cookie is not replayed', async (t) => {
  const origin = await startTestOrigin();
  const app = await startProtected(
    origin.url,
    { cache: { routes: { page: { public: true } } } },
    createManualClock(T0),
  );
  t.after(async () => {
    await app.stop();
    await origin.close();
  });
  origin.set('/p', { headers: { 'cache-control': 'max-age=60', 'set-cookie': 'tracking=1' }, body: 'same for all' });
  const first = await get(app.base, '/p', { cookie: 'session=abc' });
  assert.ok(first.headers.getSetCookie().includes('tracking=1'), 'the fetching client still gets its cookie');
  const second = await get(app.base, '/p', { cookie: 'session=other' });
  assert.equal(second.verdict, 'cache/hit');
  // Only Rampart's own seen cookie (set per response, never stored) may come with a stored copy.
  assert.deepEqual(
    second.headers.getSetCookie().filter((c) => !c.startsWith('rampart_seen=')),
    [],
  );
  assert.equal(origin.hits('/p'), 1);
});

test('Vary: variants per request header value', async (t) => {
  const origin = await startTestOrigin();
  const app = await startProtected(origin.url, {}, createManualClock(T0));
  t.after(async () => {
    await app.stop();
    await origin.close();
  });
  origin.set('/v', { headers: { 'cache-control': 'max-age=60', vary: 'Accept-Language' } });
  const en = await get(app.base, '/v', { 'accept-language': 'en' });
  const de = await get(app.base, '/v', { 'accept-language': 'de' });
  assert.match(en.body, /for en$/);
  assert.match(de.body, /for de$/);
  assert.equal(origin.hits('/v'), 2);
  const en2 = await get(app.base, '/v', { 'accept-language': 'en' });
  assert.equal(en2.verdict, 'cache/hit');
  assert.match(en2.body, /for en$/);
  origin.set('/star', { headers: { 'cache-control': 'max-age=60', vary: '*' } });
  await get(app.base, '/star');
  await get(app.base, '/star');
  assert.equal(origin.hits('/star'), 2, 'Vary: * is never stored');
});

test('memory stays under the byte cap while many entries churn', async (t) => {
  const origin = await startTestOrigin();
  const cap = 64 * 1024;
  const app = await startProtected(
    origin.url,
    { cache: { max_bytes: '64kb', max_entry_bytes: '16kb' } },
    createManualClock(T0),
  );
  t.after(async () => {
    await app.stop();
    await origin.close();
  });
  const body = 'x'.repeat(6000);
  for (let i = 0; i < 60; i++) {
    origin.set(`/e${i}`, { headers: { 'cache-control': 'max-age=600' }, body });
    await get(app.base, `/e${i}`);
    const s = app.cacheStats()!;
    assert.ok(s.bytes <= cap, `bytes ${s.bytes} over the cap after ${i + 1} fills`);
  }
  const s = app.cacheStats()!;
  assert.equal(s.maxBytes, cap);
  assert.ok(s.evictions > 0 && s.entries >= 5 && s.entries < 11, `entries ${s.entries}, evictions ${s.evictions}`);
  origin.set('/huge', { headers: { 'cache-control': 'max-age=600' }, body: 'y'.repeat(20_000) });
  await get(app.base, '/huge');
  await get(app.base, '/huge');
  assert.equal(origin.hits('/huge'), 2, 'larger than max_entry_bytes: not stored');
});

test('stale copies are served when the origin answers 503, resets, or is stopped', async (t) => {
  const origin = await startTestOrigin();
  const clock = createManualClock(T0);
  const app = await startProtected(origin.url, { circuit: { enabled: false } }, clock);
  t.after(async () => {
    await app.stop();
    await origin.close();
  });
  origin.set('/news', { headers: { 'cache-control': 'max-age=1' }, body: 'yesterday' });
  await get(app.base, '/news');
  clock.advance(120_000);
  for (const mode of ['503', 'reset'] as const) {
    origin.fail(mode);
    const g = await get(app.base, '/news');
    assert.equal(g.status, 200, mode);
    assert.equal(g.body, 'yesterday');
    assert.equal(g.verdict, 'cache/stale');
    assert.equal(g.age, '120');
  }
  await origin.stop();
  const g = await get(app.base, '/news');
  assert.equal(g.verdict, 'cache/stale');
  const none = await get(app.base, '/never-seen');
  assert.equal(none.status, 502, 'without a copy: the branded error');
  assert.equal(none.verdict, 'origin/unavailable');
  clock.advance(3_600_000);
  const tooOld = await get(app.base, '/news');
  assert.equal(tooOld.status, 502, 'past max_stale (1h) the copy is gone');
  assert.ok(app.cacheStats()!.staleServed >= 3);
});

test('under attack: a stale-able page is served stale while one request refreshes it', async (t) => {
  const origin = await startTestOrigin();
  const clock = createManualClock(T0);
  const app = await startProtected(origin.url, {}, clock);
  t.after(async () => {
    await app.stop();
    await origin.close();
  });
  origin.set('/', { headers: { 'cache-control': 'max-age=10' }, body: 'v1' });
  await get(app.base, '/');
  clock.advance(30_000);
  app.state.overrideMode('under_attack');
  origin.set('/', { headers: { 'cache-control': 'max-age=10' }, body: 'v2' });
  origin.hold();
  const leader = get(app.base, '/');
  await until(() => origin.held() === 1, 'the refresh at the origin');
  const others = await Promise.all(Array.from({ length: 10 }, () => get(app.base, '/')));
  for (const o of others) {
    assert.equal(o.verdict, 'cache/stale');
    assert.equal(o.body, 'v1');
  }
  origin.release();
  assert.equal((await leader).body, 'v2');
  assert.equal((await get(app.base, '/')).body, 'v2');
  assert.equal(origin.hits('/'), 2);
});

test('under attack: random query parameters outside the allowlist are dropped (cache-busting hits the cache)', async (t) => {
  const origin = await startTestOrigin();
  const app = await startProtected(
    origin.url,
    { cache: { routes: { page: { query_allowlist: ['q'] } } } },
    createManualClock(T0),
  );
  t.after(async () => {
    await app.stop();
    await origin.close();
  });
  origin.set('/find', { headers: { 'cache-control': 'max-age=60' } });
  app.state.overrideMode('under_attack');
  const got = [];
  for (let i = 0; i < 10; i++) got.push(await get(app.base, `/find?q=water&bust=${i}${Math.random()}`));
  assert.deepEqual(origin.seen, ['/find?q=water'], 'the origin saw the canonical URL once');
  assert.equal(got.filter((g) => g.verdict === 'cache/hit').length, 9);
  app.state.overrideMode(null);
  await get(app.base, '/find?q=water&page=2');
  assert.equal(origin.hits('/find?q=water&page=2'), 1, 'in normal mode the query is kept');
});

test('a configuration reload keeps the stored copies (same max_bytes)', async (t) => {
  const origin = await startTestOrigin();
  const app = await startProtected(origin.url, {}, createManualClock(T0));
  t.after(async () => {
    await app.stop();
    await origin.close();
  });
  origin.set('/kept', { headers: { 'cache-control': 'max-age=60' } });
  await get(app.base, '/kept');
  await app.reload(protectedConfig(origin.url, { cache: { max_stale: '2h' } }));
  assert.equal((await get(app.base, '/kept')).verdict, 'cache/hit');
  assert.equal(origin.hits('/kept'), 1);
  await app.reload(protectedConfig(origin.url, { cache: { max_bytes: '32mb' } }));
  assert.equal((await get(app.base, '/kept')).verdict, 'default/allow', 'a new size starts empty');
});
