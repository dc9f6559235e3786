import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { challengeSchema } from '../config/schema/challenge.js';
import { camelize } from '../config/camelize.js';
import { CLIENT_COOKIE, CLIENT_FRESH, CLIENT_IGNORED, isThenable, type Verdict } from '../core/model.js';
import { solve } from './pow.js';
import { compileChallenge, type Mode } from './stage.js';
import { fakeCtx, pageParams, type FakeOptions } from './testing.js';

const T0 = 1_900_000_000_000;
const TOKEN = 'integration-token-0123456789';

function setup(yaml: Record<string, unknown> = {}, mode: Mode = 'elevated') {
  const config = camelize(challengeSchema.parse({ difficulty: { elevated: 8, under_attack: 10, manual: 9 }, ...yaml }));
  const clock = { t: T0, mode };
  const keys = [randomBytes(32)];
  const c = compileChallenge(config, { now: () => clock.t, keys: () => keys, mode: () => clock.mode });
  async function run(o: FakeOptions) {
    const { ctx, out } = fakeCtx(o);
    const r = c.stage.run(ctx);
    const v = isThenable<Verdict | null>(r) ? await r : r;
    return { v, ctx, out };
  }
  return { c, clock, run };
}

/**
 * A challenge stage during a surge (20 s old; none when `dated` is false; `'undated'`: the mitigations
 * date none, as when only the cookie check is live) whose mitigations spare persons while `spares.on`.
 */
function youngSurge(require: string, mode: Mode, dated: boolean | 'undated' = true) {
  const spares = { on: true };
  const keys = [randomBytes(32)];
  const c = compileChallenge(camelize(challengeSchema.parse({ require })), {
    now: () => T0,
    keys: () => keys,
    mode: () => mode,
    surgeSince: dated === 'undated' ? () => 0 : dated ? () => T0 - 20_000 : undefined,
    sparesPersons: () => spares.on,
  });
  return { c, spares };
}

/** GET → page → solve → POST verify; returns the verify response. */
async function solveFlow(s: ReturnType<typeof setup>, target: string, extra: FakeOptions = {}) {
  const page = await s.run({ target, ...extra });
  const p = pageParams(page.out.body);
  const body = new URLSearchParams({
    challenge: p.token,
    solution: String(solve(p.seed, p.bits)),
    return: target,
    via: 'subtle',
  }).toString();
  s.clock.t += 1200;
  const verify = await s.run({
    ...extra,
    method: 'POST',
    target: '/.rampart/challenge/verify',
    body,
    headers: { ...extra.headers, 'content-type': 'application/x-www-form-urlencoded' },
  });
  return { page, verify, body };
}

test('GET without a pass gets the interstitial: 403, no-store, verdict header, accessible, small', async () => {
  const { run } = setup();
  const { v, out } = await run({ target: '/news?id=1&x="<y>"' });
  assert.equal(v?.rule, 'challenge/required');
  assert.equal(out.status, 403);
  assert.equal(out.headers['cache-control'], 'no-store');
  assert.equal(out.headers['rampart-verdict'], 'challenge/required');
  const html = out.body;
  assert.ok(Buffer.byteLength(html) < 10 * 1024, `${Buffer.byteLength(html)} bytes`);
  for (const part of [
    '<html lang="en">',
    '<h1>',
    'role="status"',
    'aria-live="polite"',
    '<progress',
    '<noscript>',
    'prefers-reduced-motion',
    'src="/.rampart/challenge/solver.js"',
  ]) {
    assert.ok(html.includes(part), part);
  }
  assert.doesNotMatch(html, /https?:\/\//, 'no external resources');
  assert.equal(pageParams(html).ret, '/news?id=1&amp;x=&quot;&lt;y&gt;&quot;', 'requested URL escaped');
  assert.equal(pageParams(html).bits, 8, 'elevated difficulty');
});

test('unsafe methods without a pass get 429 + Retry-After, JSON or text, never the HTML page', async () => {
  const { run } = setup();
  const json = await run({
    method: 'POST',
    target: '/donate',
    body: '{"amount":5}',
    headers: { accept: 'application/json', 'content-type': 'application/json' },
  });
  assert.equal(json.out.status, 429);
  assert.equal(json.out.headers['retry-after'], '30');
  assert.equal(json.out.headers['content-type'], 'application/json');
  assert.equal(JSON.parse(json.out.body).error, 'challenge_required');
  const text = await run({ method: 'PUT', target: '/x', headers: { accept: '*/*' } });
  assert.equal(text.out.status, 429);
  assert.match(text.out.headers['content-type'], /^text\/plain/);
  assert.doesNotMatch(text.out.body, /<html/i);
  assert.match(text.out.body, /web browser/);
});

test('solve → pass cookie → 303 to the page asked for → next request verified', async () => {
  const s = setup();
  const { verify } = await solveFlow(s, '/news/story?id=7');
  assert.equal(verify.out.status, 303);
  assert.equal(verify.out.headers.location, '/news/story?id=7');
  const cookie = verify.out.headers['set-cookie'];
  assert.match(cookie, /^rampart_pass=\d{10}\.[\w-]{22}; Path=\/; Max-Age=3600; HttpOnly; SameSite=Lax$/);
  const next = await s.run({ target: '/news/story?id=7', headers: { cookie: `a=1; ${cookie.split(';')[0]}` } });
  assert.equal(next.v, null);
  assert.equal(next.ctx.verified, true);
  const other = await s.run({ target: '/', ip: '198.51.100.9', headers: { cookie: cookie.split(';')[0] } });
  assert.equal(other.out.status, 403, 'a pass does not travel to another network');
  const stats = s.c.stats();
  assert.equal(stats.solved, 1);
  assert.equal(stats.medianSolveMs, 1200);
  assert.equal(stats.solvedVia.subtle, 1);
  assert.equal(stats.passesAccepted, 1);
  assert.equal(stats.passesRejected, 1);
  assert.deepEqual(stats.byRouteClass.page, { issued: 2, solved: 1, failed: 0, abandoned: 1, medianSolveMs: 1200 });
});

test('over https the cookie is Secure; a replayed solution gets the failure page', async () => {
  const s = setup();
  const { verify, body } = await solveFlow(s, '/', { proto: 'https' });
  assert.match(verify.out.headers['set-cookie'], /; Secure$/);
  const again = await s.run({
    method: 'POST',
    target: '/.rampart/challenge/verify',
    body,
    proto: 'https',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
  });
  assert.equal(again.out.status, 403);
  assert.equal(again.out.headers['rampart-verdict'], 'challenge/replayed');
  assert.match(again.out.body, /<a href="\/">Try again<\/a>/);
  assert.equal(s.c.stats().replayed, 1);
});

test('an expired challenge sends the browser back for a fresh one; a hostile return becomes /', async () => {
  const s = setup();
  const page = await s.run({ target: '/a' });
  const p = pageParams(page.out.body);
  s.clock.t += 300_000;
  const body = JSON.stringify({ challenge: p.token, solution: solve(p.seed, p.bits), return: '//evil.example' });
  const r = await s.run({
    method: 'POST',
    target: '/.rampart/challenge/verify',
    body,
    headers: { 'content-type': 'application/json' },
  });
  assert.equal(r.out.status, 303);
  assert.equal(r.out.headers.location, '/');
  assert.equal(r.out.headers['set-cookie'], undefined);
  assert.equal(s.c.stats().expired, 1);
});

test('exemptions: paths, API tokens (exact), origin session cookie; and no challenge unless required', async () => {
  const s = setup({
    exempt: { api_token_header: 'x-rampart-token', api_tokens: [TOKEN], session_cookie: 'wp_session' },
    text: { appeal_url: '/contact' },
  });
  const rows: [string, FakeOptions, boolean][] = [
    ['feed path', { target: '/feed/' }, false],
    ['well-known', { target: '/.well-known/security.txt' }, false],
    ['appeal page', { target: '/contact?from=challenge' }, false],
    ['api token', { method: 'POST', target: '/api/x', headers: { 'x-rampart-token': TOKEN } }, true],
    ['session cookie', { target: '/account', headers: { cookie: 'wp_session=abc' } }, true],
    ['not required', { target: '/', required: false }, false],
  ];
  for (const [name, o, verified] of rows) {
    const r = await s.run(o);
    assert.equal(r.v, null, name);
    assert.equal(r.ctx.verified, verified, name);
  }
  const refused: [string, FakeOptions][] = [
    ['wrong token', { target: '/', headers: { 'x-rampart-token': `${TOKEN}x` } }],
    ['token prefix', { target: '/', headers: { 'x-rampart-token': TOKEN.slice(0, -1) } }],
    ['empty session', { target: '/', headers: { cookie: 'wp_session=' } }],
  ];
  for (const [name, o] of refused) assert.equal((await s.run(o)).out.status, 403, name);
});

test('difficulty follows the mode; the language follows Accept-Language', async () => {
  const s = setup(
    { translations: [{ lang: 'de', title: 'Browser wird geprüft', heading: 'Einen Moment bitte' }] },
    'normal',
  );
  const rows: [Mode, number][] = [
    ['normal', 9],
    ['elevated', 8],
    ['under_attack', 10],
    ['recovering', 10],
  ];
  for (const [mode, bits] of rows) {
    s.clock.mode = mode;
    assert.equal(pageParams((await s.run({})).out.body).bits, bits, mode);
  }
  const de = await s.run({ headers: { 'accept-language': 'de-CH,de;q=0.9,en;q=0.8' } });
  assert.match(de.out.body, /<html lang="de">.*<h1>Einen Moment bitte<\/h1>/s);
  assert.match(de.out.body, /Working…/, 'untranslated fields fall back to text');
  const fr = await s.run({ headers: { 'accept-language': 'fr-FR,fr' } });
  assert.match(fr.out.body, /<html lang="en">/);
});

test('no-JS meta refresh (opt-in) earns a pass after the wait, and is off by default', async () => {
  const off = setup();
  assert.doesNotMatch((await off.run({})).out.body, /http-equiv="refresh"/);
  assert.equal((await off.run({ target: '/.rampart/challenge/refresh?challenge=x' })).out.status, 404);
  const s = setup({ meta_refresh: true });
  const page = await s.run({ target: '/p?q=1' });
  const url = /http-equiv="refresh" content="5;url=([^"]+)"/.exec(page.out.body)?.[1].replaceAll('&amp;', '&') ?? '';
  s.clock.t += 5000;
  const r = await s.run({ target: url });
  assert.equal(r.out.status, 303);
  assert.equal(r.out.headers.location, '/p?q=1');
  assert.match(r.out.headers['set-cookie'], /^rampart_pass=/);
  assert.equal(s.c.stats().solvedNoJs, 1);
});

test('scripts are served from /.rampart/challenge/, even when no challenge is required', async () => {
  const { run } = setup();
  for (const name of ['solver.js', 'worker.js']) {
    const r = await run({ target: `/.rampart/challenge/${name}`, required: false });
    assert.equal(r.out.status, 200, name);
    assert.match(r.out.headers['content-type'], /javascript/);
    assert.ok(r.out.body.includes('rampartSha256'));
  }
  assert.equal((await run({ target: '/.rampart/challenge/nope' })).out.status, 404);
});

test('forged verify submissions count as failed; stats derive abandoned', async () => {
  const s = setup();
  await s.run({});
  await s.run({});
  const r = await s.run({
    method: 'POST',
    target: '/.rampart/challenge/verify',
    body: 'challenge=abc&solution=1',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
  });
  assert.equal(r.out.status, 403);
  assert.equal(JSON.parse(r.out.body).error, 'challenge_failed');
  const st = s.c.stats();
  assert.deepEqual([st.issued, st.failed, st.abandoned], [2, 1, 1]);
});

test('challenge.require asks for a challenge by itself, following the mode; policy can still ask when it is off', async () => {
  const cases: [string, Mode, boolean][] = [
    ['off', 'under_attack', false],
    ['under_attack', 'normal', false],
    ['under_attack', 'elevated', false],
    ['under_attack', 'under_attack', true],
    ['under_attack', 'recovering', true],
    ['elevated', 'normal', false],
    ['elevated', 'elevated', true],
    ['always', 'normal', true],
  ];
  for (const [require, mode, challenged] of cases) {
    const s = setup({ require }, mode);
    const { v, ctx } = await s.run({ target: '/page', required: false });
    assert.equal(v?.rule ?? null, challenged ? 'challenge/required' : null, `${require} in ${mode}`);
    assert.equal(ctx.challengeRequired, challenged, 'the reason is left on the context');
    assert.equal(ctx.askedBy, challenged ? 'challenge/require' : '', 'and what asked, for the access log');
    const exempt = await s.run({ target: '/robots.txt', required: false });
    assert.equal(exempt.v, null, 'exempt paths stay open');
  }
  const off = setup({ require: 'off' }, 'normal');
  assert.equal(
    (await off.run({ target: '/page', required: true })).v?.rule,
    'challenge/required',
    'policy asking is enough',
  );
});

test('observe enforcement counts the challenge it would serve and lets the request through', async () => {
  const config = camelize(challengeSchema.parse({ require: 'always', difficulty: { manual: 8 } }));
  const c = compileChallenge(config, {
    now: () => T0,
    keys: () => [randomBytes(32)],
    mode: () => 'normal',
    enforcement: () => 'observe',
  });
  const { ctx, out } = fakeCtx({ target: '/page', required: false });
  assert.equal(c.stage.run(ctx), null);
  assert.equal(out.ended, false);
  assert.equal(c.stats().wouldChallenge, 1);
  assert.equal(c.stats().issued, 0);
});

test('a bad challenge.require is refused with a hint', () => {
  const r = challengeSchema.safeParse({ require: 'sometimes' });
  assert.equal(r.success, false);
  assert.match(JSON.stringify(r.error?.issues), /hint: under_attack/);
});

test('stats by route class: issued, solved, failed (genuine token, wrong answer), abandoned, median solve time', async () => {
  const s = setup();
  await solveFlow(s, '/login', { routeClass: 'login' });
  const page = await s.run({ target: '/login', routeClass: 'login' });
  const p = pageParams(page.out.body);
  const wrong = new URLSearchParams({ challenge: p.token, solution: 'x', return: '/login' }).toString();
  await s.run({
    method: 'POST',
    target: '/.rampart/challenge/verify',
    body: wrong,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  await s.run({ target: '/', routeClass: 'page' });
  const st = s.c.stats().byRouteClass;
  assert.deepEqual(st.login, { issued: 2, solved: 1, failed: 1, abandoned: 0, medianSolveMs: 1200 });
  assert.deepEqual(st.page, { issued: 1, solved: 0, failed: 0, abandoned: 1, medianSolveMs: 0 });
});

test('branding: the site name (escaped) above the heading and in the title, the accent colour in the light scheme', async () => {
  const branded = setup({ brand: { site_name: 'Greens <for> Riverton', accent_color: '#0b6e4f' } });
  const html = (await branded.run({ target: '/' })).out.body;
  assert.match(html, /<main><p class="site">Greens &lt;for&gt; Riverton<\/p><h1>/);
  assert.match(html, /<title>Checking your browser · Greens &lt;for&gt; Riverton<\/title>/);
  assert.match(html, /@media \(prefers-color-scheme:light\)\{:root\{--acc:#0b6e4f\}\}/);
  const plain = (await setup().run({ target: '/' })).out.body;
  assert.doesNotMatch(plain, /class="site"|--acc:#0b6e4f/);
  assert.equal(
    challengeSchema.safeParse({ brand: { accent_color: 'red;}body{display:none' } }).success,
    false,
    'no CSS injection through the colour',
  );
});

test("challenge.require in under_attack spares the clients known before the detector's surge (seen before it, returning the seen cookie); new ones and fresh ones are challenged", () => {
  const config = camelize(challengeSchema.parse({ require: 'under_attack' }));
  const keys = [randomBytes(32)];
  let surge = T0 - 60_000;
  const c = compileChallenge(config, {
    now: () => T0,
    keys: () => keys,
    mode: () => 'under_attack',
    surgeSince: () => surge,
  });
  const req = (state: number, seenAt: number) => {
    const { ctx } = fakeCtx({ target: '/news/1', required: false });
    ctx.clientState = state;
    ctx.seenAt = seenAt;
    const v = c.stage.run(ctx) as Verdict | null;
    return v?.rule ?? null;
  };
  assert.equal(req(CLIENT_COOKIE, T0 - 600_000), null, 'a reader from before the surge');
  assert.equal(
    req(CLIENT_COOKIE, T0 - 30_000),
    'challenge/required',
    'first seen during the surge, even keeping its cookie',
  );
  assert.equal(req(CLIENT_FRESH, T0 - 600_000), 'challenge/required', 'a first request is nobody known');
  assert.equal(req(CLIENT_IGNORED, T0 - 600_000), 'challenge/required', 'dropping the cookie');
  surge = 0;
  assert.equal(
    req(CLIENT_COOKIE, T0 - 600_000),
    'challenge/required',
    'no surge to date: every unverified client, as the mode says',
  );
});

test('challenge.require in under_attack, a young surge (its mitigations spare persons): clients whose seen cookie carries the assets mark, or that are about to earn it, count as known; the rest of the surge is challenged', () => {
  const { c, spares } = youngSurge('under_attack', 'under_attack');
  const req = (personLike: boolean, markPending: boolean, state = CLIENT_COOKIE) => {
    const { ctx } = fakeCtx({ target: '/news/1', required: false });
    ctx.clientState = state;
    ctx.seenAt = T0 - 10_000;
    ctx.personLike = personLike;
    ctx.markPending = markPending;
    const v = c.stage.run(ctx) as Verdict | null;
    return v?.rule ?? null;
  };
  assert.equal(req(true, false), null, 'marked: loaded a page and its assets');
  assert.equal(req(false, true), null, 'an asset request that earns the mark');
  assert.equal(req(false, false), 'challenge/required', 'pages and never an asset');
  assert.equal(req(true, false, CLIENT_IGNORED), 'challenge/required', 'no valid cookie: no mark to trust');
  spares.on = false;
  assert.equal(
    req(true, false),
    'challenge/required',
    'a surge dated by the detector: the mark alone does not make a client known',
  );
});

test('challenge.require in under_attack, a young surge no mitigation dates (only the cookie check is live): a client returning the marked cookie is still known, the rest is challenged', () => {
  const { c, spares } = youngSurge('under_attack', 'under_attack', 'undated');
  const req = (personLike: boolean) => {
    const { ctx } = fakeCtx({ target: '/news/1', required: false });
    ctx.clientState = CLIENT_COOKIE;
    ctx.seenAt = T0 - 100_000;
    ctx.personLike = personLike;
    const v = c.stage.run(ctx) as Verdict | null;
    return v?.rule ?? null;
  };
  assert.equal(req(true), null, 'marked: a person, not given the proof of work');
  assert.equal(req(false), 'challenge/required', 'no mark, and no surge to have been known before');
  spares.on = false;
  assert.equal(req(true), 'challenge/required', 'mitigations that do not spare persons: the mark alone is not enough');
});

test('a young surge challenges with a ladder: a client without the seen cookie gets the cookie check (the first request for a page the assets check at once, setting the cookie), one keeping it without the mark the assets check (a page that loads mark.css and reloads) three times at most, then the proof of work; mark.css carries the marked cookie', () => {
  const { c, spares } = youngSurge('off', 'elevated');
  let sent = 0;
  const page = (n: number, personLike = false) => {
    const { ctx, out } = fakeCtx({ target: '/news/1' });
    ctx.clientState = CLIENT_COOKIE;
    ctx.markChecks = n;
    ctx.noteMarkCheck = n < 0 ? null : () => sent++;
    ctx.personLike = personLike;
    const v = c.stage.run(ctx) as Verdict;
    return { rule: v.rule, out };
  };
  const first = page(0);
  assert.equal(first.rule, 'challenge/mark');
  assert.equal(sent, 1, 'the check is noted in the client book');
  assert.equal(first.out.status, 403);
  assert.match(first.out.body, /<meta http-equiv="refresh" content="0">/);
  assert.match(first.out.body, /<link rel="stylesheet" href="\/\.rampart\/challenge\/mark\.css">/);
  assert.doesNotMatch(first.out.body, /<script/, 'no JavaScript needed');
  assert.match(first.out.headers['content-security-policy'], /style-src 'self'/);
  assert.equal(page(2).rule, 'challenge/mark');
  assert.equal(page(3).rule, 'challenge/required', 'three checks and never the stylesheet: the proof of work');
  assert.equal(page(-1).rule, 'challenge/required', 'no page identity could count: nothing to check');
  const fresh = (accept = '*/*', misses = 0) => {
    const { ctx, out } = fakeCtx({ target: '/news/1', headers: { accept } });
    ctx.clientState = CLIENT_FRESH;
    ctx.cookieMisses = misses;
    ctx.issueSeen = () => 'rampart_seen=1900000000.abc; Path=/';
    const v = c.stage.run(ctx) as Verdict;
    return {
      rule: v.rule,
      status: out.status,
      cookie: out.headers['set-cookie'],
      refresh: /http-equiv="refresh"/.test(out.body),
    };
  };
  const cookie = 'rampart_seen=1900000000.abc; Path=/';
  assert.deepEqual(
    fresh(),
    { rule: 'challenge/cookie', status: 307, cookie, refresh: false },
    'no cookie yet, not asking for a page: the cookie check first',
  );
  assert.deepEqual(
    fresh('text/html,application/xhtml+xml,*/*;q=0.8'),
    { rule: 'challenge/mark', status: 403, cookie, refresh: true },
    "a page's first request: the assets check at once, setting the seen cookie",
  );
  assert.deepEqual(
    fresh('text/html', 1),
    { rule: 'challenge/cookie', status: 307, cookie, refresh: false },
    'back without the cookie it was given: the cookie check (its 403 after three misses)',
  );
  spares.on = false;
  assert.equal(page(0).rule, 'challenge/required', 'a warm detector knows people otherwise');
  assert.deepEqual(fresh(), { rule: 'challenge/required', status: 403, cookie: undefined, refresh: false });
  assert.equal(c.stats().markChecks, 3);

  const { ctx, out } = fakeCtx({ target: '/.rampart/challenge/mark.css', required: false });
  ctx.offerSeen = true;
  ctx.issueSeen = () => 'rampart_seen=1900000000p.abc; Path=/';
  assert.equal((c.stage.run(ctx) as Verdict).rule, 'challenge/mark');
  assert.equal(out.status, 200);
  assert.equal(out.headers['content-type'], 'text/css; charset=utf-8');
  assert.equal(out.headers['set-cookie'], 'rampart_seen=1900000000p.abc; Path=/');
});

/** A request that only asks for the cookie check (policy's `check` mitigation or identity's surge guard). */
function checkOnly(state: number, misses = 0, extra: FakeOptions = {}) {
  const o: FakeOptions = { required: false, ...extra };
  const { ctx, out } = fakeCtx(o);
  ctx.cookieCheck = true;
  ctx.clientState = state;
  ctx.cookieMisses = misses;
  ctx.issueSeen = () => `rampart_seen=1900000000.${'a'.repeat(22)}; Path=/; HttpOnly`;
  return { ctx, out };
}

test('cookie check: a GET without the seen cookie gets a 307 back to the same URL setting it; with the cookie it passes', async () => {
  const { c } = setup({}, 'normal');
  const a = checkOnly(CLIENT_FRESH, 0, { target: '/news/7?ref=mail' });
  const v = c.stage.run(a.ctx) as Verdict;
  assert.equal(v.rule, 'challenge/cookie');
  assert.equal(a.out.status, 307);
  assert.equal(a.out.headers.location, '/news/7?ref=mail');
  assert.match(a.out.headers['set-cookie'], /^rampart_seen=/);
  assert.equal(a.out.headers['cache-control'], 'no-store');
  const b = checkOnly(CLIENT_COOKIE);
  assert.equal(c.stage.run(b.ctx), null, 'a browser back with the cookie passes');
  assert.equal(c.stats().cookieChecks, 1);
  assert.equal(c.stats().cookieChecksPassed, 1);
});

test('a young surge gives no ladder to a cookie jar that moved between User-Agents: the proof of work at once, with or without a valid cookie', () => {
  const { c } = youngSurge('off', 'elevated');
  const ask = (state: number) => {
    const { ctx } = fakeCtx({ target: '/news/1', headers: { accept: 'text/html' } });
    ctx.clientState = state;
    ctx.issueSeen = () => 'rampart_seen=1900000000r-0000abcd.abc; Path=/';
    ctx.noteMarkCheck = () => {};
    ctx.cookieMoved = true;
    return (c.stage.run(ctx) as Verdict).rule;
  };
  assert.equal(
    ask(CLIENT_FRESH),
    'challenge/required',
    'moved just now (no valid cookie): no cookie check, no assets check',
  );
  assert.equal(ask(CLIENT_COOKIE), 'challenge/required', 'its "r" cookie: no assets check');
  const { ctx } = fakeCtx({ target: '/news/1', headers: { accept: 'text/html' } });
  ctx.clientState = CLIENT_FRESH;
  ctx.issueSeen = () => 'rampart_seen=1900000000-0000abcd.abc; Path=/';
  assert.equal((c.stage.run(ctx) as Verdict).rule, 'challenge/mark', 'a browser that never moved: the ladder');
});

test("cookie check while a young detector's mitigations know people by the assets mark: a page's first request gets the assets check with the cookie at once (three round trips for a browser, not four); anything else, and later, the 307", () => {
  const { c, spares } = youngSurge('off', 'elevated', false);
  const check = (accept: string, misses = 0, method = 'GET') => {
    const a = checkOnly(CLIENT_FRESH, misses, { target: '/news/7', method, headers: { accept } });
    const v = c.stage.run(a.ctx) as Verdict;
    return { rule: v.rule, status: a.out.status, cookie: /^rampart_seen=/.test(a.out.headers['set-cookie'] ?? '') };
  };
  const HTML = 'text/html,application/xhtml+xml,*/*;q=0.8';
  assert.deepEqual(check(HTML), { rule: 'challenge/mark', status: 403, cookie: true });
  assert.deepEqual(check('*/*'), { rule: 'challenge/cookie', status: 307, cookie: true }, 'not a page');
  assert.deepEqual(check(HTML, 1), { rule: 'challenge/cookie', status: 307, cookie: true }, 'back without the cookie');
  spares.on = false;
  assert.deepEqual(
    check(HTML),
    { rule: 'challenge/cookie', status: 307, cookie: true },
    'mitigations that know people otherwise',
  );
  assert.equal(c.stats().markChecks, 1);
});

test('cookie check: a form post without the cookie gets 429 with the cookie (a retry goes through); a client missing it again and again gets 403 saying why', async () => {
  const { c } = setup({}, 'normal');
  const post = checkOnly(CLIENT_FRESH, 0, { method: 'POST', target: '/login', body: 'user=a' });
  assert.equal((c.stage.run(post.ctx) as Verdict).rule, 'challenge/cookie');
  assert.equal(post.out.status, 429);
  assert.equal(post.out.headers['retry-after'], '2');
  assert.match(post.out.headers['set-cookie'], /^rampart_seen=/);
  const loop = checkOnly(CLIENT_IGNORED, 3, { target: '//evil.example/x' });
  assert.equal((c.stage.run(loop.ctx) as Verdict).rule, 'challenge/cookie-missing');
  assert.equal(loop.out.status, 403);
  assert.match(loop.out.body, /allow cookies/);
  const open = checkOnly(CLIENT_FRESH, 0, { target: '//evil.example/x' });
  c.stage.run(open.ctx);
  assert.equal(open.out.headers.location, '/', 'never an open redirect');
  assert.equal(c.stats().cookieRefused, 1);
});

test('cookie check: a browser’s form post from this site gets a 307 to itself (kept method and body); across sites, or to another URL, the 429', async () => {
  const { c } = setup({}, 'normal');
  const browserPost = (target: string, headers: Record<string, string> = {}) => {
    const p = checkOnly(CLIENT_FRESH, 0, { method: 'POST', target, body: 'amount=10', headers });
    p.ctx.agent = 'firefox';
    return p;
  };
  const same = browserPost('/donate?c=spring', { 'sec-fetch-site': 'same-origin' });
  assert.equal((c.stage.run(same.ctx) as Verdict).rule, 'challenge/cookie');
  assert.equal(same.out.status, 307);
  assert.equal(same.out.headers.location, '/donate?c=spring');
  assert.match(same.out.headers['set-cookie'], /^rampart_seen=/);
  assert.equal(same.ctx.res.shouldKeepAlive, false, 'its unread body is not parsed as a next request');
  const old = browserPost('/donate');
  assert.equal(c.stage.run(old.ctx) !== null, true);
  assert.equal(old.out.status, 307, 'a browser too old to send Sec-Fetch-Site');
  const cross = browserPost('/donate', { 'sec-fetch-site': 'cross-site' });
  c.stage.run(cross.ctx);
  assert.equal(cross.out.status, 429, 'its SameSite=Lax cookie would not come back');
  const odd = browserPost('//evil.example/x');
  c.stage.run(odd.ctx);
  assert.equal(odd.out.status, 429, 'never a redirect elsewhere');
  const lib = checkOnly(CLIENT_FRESH, 0, { method: 'POST', target: '/donate', body: 'amount=10' });
  lib.ctx.agent = 'python';
  c.stage.run(lib.ctx);
  assert.equal(lib.out.status, 429, 'an HTTP library retries with the cookie');
});

test('cookie check: a pass holder, an exempt path and observe enforcement are never redirected', async () => {
  const { c } = setup({ exempt: { paths: ['/feed.xml'] } }, 'normal');
  const feed = checkOnly(CLIENT_FRESH, 0, { target: '/feed.xml' });
  assert.equal(c.stage.run(feed.ctx), null);
  const keys = [randomBytes(32)];
  const shadow = compileChallenge(camelize(challengeSchema.parse({})), {
    now: () => T0,
    keys: () => keys,
    mode: () => 'normal',
    enforcement: () => 'observe',
  });
  const o = checkOnly(CLIENT_FRESH);
  assert.equal(shadow.stage.run(o.ctx), null);
  assert.equal(shadow.stats().wouldCheck, 1);
  const off = checkOnly(CLIENT_FRESH);
  off.ctx.issueSeen = null; // the seen cookie turned off: nothing to check with
  assert.equal(c.stage.run(off.ctx), null);
});
