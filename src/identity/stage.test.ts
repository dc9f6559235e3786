// The identity stage with the client book and the seen cookie: a client's
// first request is fresh and is offered the cookie, a browser returning it is
// known by its stamp, a client that drops it is counted as ignoring it, and
// while the surge guard holds, new clients without it are sent to the cookie
// check — known ones are not. Fake requests, manual time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createMacRing } from '../core/mac.js';
import {
  CLIENT_COOKIE,
  CLIENT_FRESH,
  CLIENT_IGNORED,
  CLIENT_OTHER,
  RequestContext,
  type Req,
  type Res,
} from '../core/model.js';
import { ClientBook } from './client-book.js';
import { createSeenCookie } from './seen-cookie.js';
import { compileIdentity } from './stage.js';
import { SurgeGuard } from './surge-guard.js';

const T = 1_800_000_000_000;
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';

function ctxOf(
  ip: string,
  at: number,
  cookie?: string,
  ua = UA,
  path = '/',
  referer?: string,
  method = 'GET',
  fetchSite?: string,
): RequestContext {
  const headers: Record<string, string> = { host: 'site.test', 'user-agent': ua, 'accept-language': 'en' };
  if (cookie) headers.cookie = cookie;
  if (fetchSite) headers['sec-fetch-site'] = fetchSite;
  if (referer) headers.referer = referer;
  const req = { headers, rawHeaders: Object.entries(headers).flat(), socket: {} } as unknown as Req;
  const c = new RequestContext(req, {} as Res);
  c.peerIp = ip;
  c.startedAt = at;
  c.method = method;
  c.path = path;
  return c;
}

function setup(surge: SurgeGuard | null = null) {
  const keys = [randomBytes(32)];
  const seen = createSeenCookie(
    createMacRing(() => keys),
    'rampart_seen',
    30 * 86400,
  );
  const book = new ClientBook(4096);
  const id = compileIdentity({ trustedProxies: [], book, seen, surge });
  return (
    ip: string,
    at: number,
    cookie?: string,
    ua?: string,
    path?: string,
    referer?: string,
    method?: string,
    fetchSite?: string,
  ) => {
    const c = ctxOf(ip, at, cookie, ua, path, referer, method, fetchSite);
    id.run(c);
    return c;
  };
}

test('identity: fresh, then known by the seen cookie it returns; a client that drops it is counted as ignoring it', () => {
  const see = setup();
  const first = see('198.51.100.7', T);
  assert.equal(first.clientState, CLIENT_FRESH);
  assert.equal(first.seenAt, T);
  assert.equal(first.offerSeen, true);
  assert.equal(first.browser, true);
  const setCookie = first.issueSeen!(first);
  const cookie = setCookie.split(';')[0];
  const back = see('198.51.100.7', T + 5000, cookie);
  assert.equal(back.clientState, CLIENT_COOKIE);
  assert.equal(back.seenAt, T);
  assert.equal(back.issueSeen, null, 'nothing to offer: it has one');
  const soon = see('198.51.100.7', T + 300);
  assert.equal(soon.clientState, CLIENT_OTHER, 'in the second the cookie was sent: not yet a miss');
  assert.equal(soon.offerSeen, false, 'offered once a minute, not on every response');
  const dropped = see('198.51.100.7', T + 3000);
  assert.equal(dropped.clientState, CLIENT_IGNORED);
  assert.equal(dropped.cookieMisses, 1);
  assert.equal(dropped.offerSeen, true, 'offered again on a miss: it may be another browser behind the address');
  // The same cookie from another /24 is not valid there.
  assert.equal(see('203.0.113.9', T + 6000, cookie).clientState, CLIENT_FRESH);
});

test('identity: while the surge guard holds, new clients without the cookie get the cookie check; clients seen before the surge do not', () => {
  const guard = new SurgeGuard(40);
  const see = setup(guard);
  const regular = see('198.51.100.20', T - 60_000);
  assert.equal(regular.cookieCheck, false);
  let checked = 0;
  for (let i = 0; i < 40; i++) if (see(`203.0.113.${i}`, T + i).cookieCheck) checked++;
  assert.ok(guard.active(T + 100), 'forty new clients in a quarter second trip it');
  assert.ok(checked >= 25, `the crowd's clients are checked from the trip on: ${checked}`);
  assert.equal(
    see('198.51.100.20', T + 200).cookieCheck,
    false,
    'first seen a minute before the surge: known, not checked',
  );
  const withCookie = see('198.51.100.30', T + 300);
  const c = withCookie.issueSeen!(withCookie).split(';')[0];
  assert.equal(see('198.51.100.30', T + 400, c).cookieCheck, false, 'a new client back with its cookie passes');
  assert.equal(see('198.51.100.30', T + 400, c).challengeRequired, false, 'a browser back with its cookie passes');
});

test('identity: while the surge guard holds, a tool that came with the crowd and keeps the cookie gets the challenge; a known tool, an app client and a browser do not', () => {
  const guard = new SurgeGuard(40);
  const see = setup(guard);
  const CURL = 'curl/8.5.0';
  const OKHTTP = 'okhttp/4.12.0';
  const oldTool = see('198.51.100.40', T - 60_000, undefined, CURL);
  const oldCookie = oldTool.issueSeen!(oldTool).split(';')[0];
  for (let i = 0; i < 40; i++) see(`203.0.113.${i}`, T + i);
  assert.ok(guard.active(T + 100));
  const cookieOf = (ip: string, ua: string) => {
    const first = see(ip, T + 200, undefined, ua);
    assert.equal(first.cookieCheck, true, `${ua}: a new client without the cookie gets the cookie check first`);
    assert.equal(first.challengeRequired, false);
    return first.issueSeen!(first).split(';')[0];
  };
  const tool = see('198.51.100.41', T + 1300, cookieOf('198.51.100.41', CURL), CURL);
  assert.equal(tool.challengeRequired, true, 'a new curl back with the cookie: still curl');
  assert.equal(tool.askedBy, 'surge/guard', 'what asked, for the access log');
  const fake = see('198.51.100.42', T + 1300, cookieOf('198.51.100.42', UA), UA);
  assert.equal(fake.agent, 'chrome');
  assert.equal(fake.challengeRequired, false, 'a browser back with the cookie passes');
  const app = see('198.51.100.43', T + 1300, cookieOf('198.51.100.43', OKHTTP), OKHTTP);
  assert.equal(app.challengeRequired, false, "an app's own client is left to the detector");
  const known = see('198.51.100.40', T + 1300, oldCookie, CURL);
  assert.equal(known.challengeRequired, false, 'a tool first seen a minute before the surge is known');
});

test('identity: a browser User-Agent without Accept-Language is a tool wearing one (agent spoofed, its own fingerprint); with it, the browser; off when claims are not checked', () => {
  const run = (ua: string, lang: boolean, checkClaims = true) => {
    const headers: Record<string, string> = { host: 'site.test', 'user-agent': ua, accept: '*/*' };
    if (lang) headers['accept-language'] = 'de-DE,de;q=0.9';
    const req = { headers, rawHeaders: Object.entries(headers).flat(), socket: {} } as unknown as Req;
    const c = new RequestContext(req, {} as Res);
    c.peerIp = '198.51.100.7';
    c.startedAt = T;
    c.method = 'GET';
    compileIdentity({ trustedProxies: [], checkClaims }).run(c);
    return c;
  };
  const tool = run(UA, false);
  assert.equal(tool.agent, 'spoofed');
  assert.equal(tool.browser, true, 'the claim still decides "behaves unlike a browser"');
  assert.equal(run(UA, true).agent, 'chrome');
  const unchecked = run(UA, false, false);
  assert.equal(unchecked.agent, 'chrome', 'check_browser_claims: false keeps the claim');
  assert.notEqual(tool.fingerprint, unchecked.fingerprint, 'same headers, but never the fingerprint Chrome has');
  assert.equal(run('curl/8.5.0', false).agent, 'curl', 'a tool that says so stays what it says');
});

test('identity: a client that loads a page asset with its cookie is given the marked cookie, and is person-like from then on', () => {
  const see = setup();
  const first = see('198.51.100.7', T);
  const cookie = first.issueSeen!(first).split(';')[0];
  const page = see('198.51.100.7', T + 1000, cookie, UA, '/');
  assert.equal(page.personLike, false);
  assert.equal(page.offerSeen, false, 'a page: nothing to mark');
  const asset = see('198.51.100.7', T + 1100, cookie, UA, '/static/site.css');
  assert.equal(asset.offerSeen, true);
  const marked = asset.issueSeen!(asset).split(';')[0];
  assert.match(marked, /^rampart_seen=\d+p-[0-9a-f]{8}\./);
  const next = see('198.51.100.7', T + 5000, marked, UA, '/materials');
  assert.equal(next.personLike, true);
  assert.equal(next.seenAt, T, 'the same first-seen stamp');
  assert.equal(next.offerSeen, false, 'marked once');
});

test('identity: a cookie-keeping client without the assets mark is spared for the asset requests that earn it, not for its pages or form posts; the assets checks sent to it are counted', () => {
  const see = setup();
  const first = see('198.51.100.7', T);
  const cookie = first.issueSeen!(first).split(';')[0];
  const post = see('198.51.100.7', T + 500, cookie, UA, '/login', undefined, 'POST');
  assert.equal(post.markPending, false, 'a form post');
  assert.equal(post.noteMarkCheck, null, 'a form post is never sent the assets check');
  const page = see('198.51.100.7', T + 1000, cookie, UA, '/');
  assert.equal(page.markPending, false, 'a page: a crowd asks for pages too');
  assert.equal(page.markChecks, 0);
  page.noteMarkCheck!(page);
  page.noteMarkCheck!(page);
  assert.equal(see('198.51.100.7', T + 1050, cookie, UA, '/materials').markChecks, 2, 'two checks sent');
  const asset = see('198.51.100.7', T + 1100, cookie, UA, '/static/site.css');
  assert.equal(asset.markPending, true, 'the asset that marks it');
  assert.equal(asset.personLike, false, 'not marked yet');
  assert.equal(asset.noteMarkCheck, null, 'an asset is never sent the check');
  const marked = asset.issueSeen!(asset).split(';')[0];
  assert.equal(see('198.51.100.7', T + 2000, marked, UA, '/').noteMarkCheck, null, 'marked: nothing to check');
});

test('identity: while the surge guard holds, a new client posting a form gets the cookie check (a browser follows its 307 with the body); a post from another site is left to the detector', () => {
  const guard = new SurgeGuard(40);
  const see = setup(guard);
  for (let i = 0; i < 40; i++) see(`203.0.113.${i}`, T + i);
  assert.ok(guard.active(T + 100));
  const tool = see('198.51.100.50', T + 200, undefined, 'python-requests/2.31.0', '/login', undefined, 'POST');
  assert.equal(tool.cookieCheck, true, 'no person posts with python-requests');
  const person = see('198.51.100.51', T + 200, undefined, UA, '/login', undefined, 'POST', 'same-origin');
  assert.equal(person.cookieCheck, true, 'a person who loaded the form before the shield started re-posts it');
  const other = see('198.51.100.52', T + 200, undefined, UA, '/login', undefined, 'POST', 'cross-site');
  assert.equal(other.cookieCheck, false, 'its SameSite=Lax cookie would not come back with the re-post');
  const crowd = see('203.0.113.1', T + 300, undefined, UA, '/login', undefined, 'POST');
  assert.equal(crowd.cookieCheck, true, 'a newcomer of the surge itself, without the cookie');
  const app = see('198.51.100.53', T + 200, undefined, 'RivertonApp/3.1 (Android 14)', '/login', undefined, 'POST');
  assert.equal(app.cookieCheck, false, "an app's own client is left to the detector");
});

test('identity: a genuine cookie under a User-Agent of another shape is moved: no valid cookie there, and one for the new User-Agent at once; an updated browser keeps its own', () => {
  const see = setup();
  const first = see('198.51.100.9', T);
  const cookie = first.issueSeen!(first).split(';')[0];
  const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
  const moved = see('198.51.100.9', T + 400, cookie, FIREFOX);
  assert.equal(moved.cookieMoved, true);
  assert.notEqual(moved.clientState, CLIENT_COOKIE);
  assert.equal(moved.offerSeen, true, 'a cookie for its new User-Agent on this answer, not a minute later');
  const fresh = moved.issueSeen!(moved).split(';')[0];
  const back = see('198.51.100.9', T + 900, fresh, FIREFOX);
  assert.equal(back.clientState, CLIENT_COOKIE);
  assert.equal(back.cookieMoved, true, 'its new cookie says the jar moved (the "r")');
  const updated = see('198.51.100.9', T + 1200, cookie, UA.replace('Chrome/131', 'Chrome/132'));
  assert.equal(updated.clientState, CLIENT_COOKIE, 'Chrome 131 → 132 keeps its cookie');
  assert.equal(updated.cookieMoved, false);
  const none = see('198.51.100.9', T + 1500, undefined, FIREFOX);
  assert.equal(none.cookieMoved, false, 'no cookie is not a moved one');
});

test('identity: a jar that moved between User-Agents stays known as one: its new cookie carries the "r", under the same or another User-Agent, and assets earn it no spare', () => {
  const see = setup();
  const first = see('198.51.100.30', T);
  const cookie = first.issueSeen!(first).split(';')[0];
  const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
  const moved = see('198.51.100.30', T + 400, cookie, FIREFOX);
  assert.equal(moved.cookieMoved, true);
  const given = moved.issueSeen!(moved).split(';')[0];
  assert.match(given, /^rampart_seen=\d+r-/, 'the cookie given after the move says so');
  const same = see('198.51.100.30', T + 900, given, FIREFOX);
  assert.equal(same.clientState, CLIENT_COOKIE, 'valid under the User-Agent it was given to');
  assert.equal(same.cookieMoved, true, 'and still the jar that moved');
  const again = see('198.51.100.30', T + 1300, given, UA);
  assert.equal(again.cookieMoved, true);
  assert.notEqual(again.clientState, CLIENT_COOKIE);
  // Its assets: the mark is given (with the "r"), but neither the asset request nor the marked jar is spared as a person.
  const asset = see('198.51.100.30', T + 1600, given, FIREFOX, '/assets/site.css');
  assert.equal(asset.markPending, false);
  const marked = asset.issueSeen!(asset).split(';')[0];
  assert.match(marked, /^rampart_seen=\d+pr-/);
  const page = see('198.51.100.30', T + 2000, marked, FIREFOX);
  assert.equal(page.clientState, CLIENT_COOKIE);
  assert.equal(page.personLike, false, 'a marked jar that moved is no person');
  assert.equal(page.cookieMoved, true);
  // A person's browser that never moved: marked, person-like, not moved.
  const p = see('198.51.100.31', T);
  const pc = p.issueSeen!(p).split(';')[0];
  const pa = see('198.51.100.31', T + 500, pc, UA, '/assets/site.css');
  assert.equal(pa.markPending, true);
  const pm = pa.issueSeen!(pa).split(';')[0];
  const pp = see('198.51.100.31', T + 900, pm);
  assert.equal(pp.personLike, true);
  assert.equal(pp.cookieMoved, false);
});

test('identity: while the surge guard holds, a new client whose jar moved between User-Agents gets the challenge, not the cookie check it would follow', () => {
  const guard = new SurgeGuard(40);
  const see = setup(guard);
  const before = see('198.51.100.40', T - 30_000);
  const cookie = before.issueSeen!(before).split(';')[0];
  for (let i = 0; i < 40; i++) see(`203.0.113.${i}`, T + i);
  assert.equal(guard.active(T + 100), true);
  const jar = see('198.51.100.41', T + 150);
  const jarCookie = jar.issueSeen!(jar).split(';')[0];
  const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
  const moved = see('198.51.100.41', T + 1400, jarCookie, FIREFOX);
  assert.equal(moved.cookieMoved, true);
  assert.equal(moved.challengeRequired, true);
  assert.equal(moved.cookieCheck, false);
  const person = see('198.51.100.42', T + 200);
  assert.equal(person.challengeRequired, false, 'a new client without a cookie gets the cookie check');
  assert.equal(person.cookieCheck, true);
  const known = see('198.51.100.40', T + 300, cookie);
  assert.equal(known.challengeRequired, false, 'a client known before the surge is not touched');
  assert.equal(known.cookieCheck, false);
});

test('identity: a second browser behind an address that was given the cookie is offered its own on its first answer, not refused later for misses it never had a cookie to avoid; a tool dropping it is offered it on its first three misses only', () => {
  const see = setup();
  const a = see('198.51.100.20', T);
  const cookieA = a.issueSeen!(a).split(';')[0];
  assert.equal(see('198.51.100.20', T + 1500, cookieA).clientState, CLIENT_COOKIE);
  // Browser B, behind the same address, two seconds later: no cookie yet.
  const b = see('198.51.100.20', T + 2000);
  assert.equal(b.clientState, CLIENT_IGNORED, 'the address was given a cookie: counted as a miss');
  assert.equal(b.offerSeen, true, 'and offered one on this answer');
  const cookieB = b.issueSeen!(b).split(';')[0];
  const bBack = see('198.51.100.20', T + 2500, cookieB);
  assert.equal(bBack.clientState, CLIENT_COOKIE);
  const bNext = see('198.51.100.20', T + 4000);
  assert.equal(bNext.cookieMisses, 1, "B's cookie came back: the misses started again from none");
  // A tool behind another address that drops every cookie.
  const answer = (c: RequestContext) => {
    if (c.offerSeen) c.issueSeen!(c); // the response carries the cookie offered
    return c.offerSeen;
  };
  assert.equal(answer(see('198.51.100.30', T)), true);
  const offered = [2, 3, 4, 5, 6].map((s) => answer(see('198.51.100.30', T + s * 1000)));
  assert.deepEqual(offered, [true, true, true, false, false]);
});

test('identity: a page’s asset asked for without the cookie is answered with the marked one, also past the misses that stop offering it (browsers behind one address)', () => {
  const see = setup();
  const a = see('198.51.100.40', T);
  a.issueSeen!(a);
  // Browsers B, C, D… behind the same address: their first requests are misses, and past three the
  // address is offered the cookie once a minute only, so B's page came without one.
  for (let i = 1; i <= 4; i++) see('198.51.100.40', T + i * 100);
  const page = see('198.51.100.40', T + 600);
  assert.equal(
    page.offerSeen,
    false,
    'a page past the misses: not offered (a tool dropping cookies gets no cookie each time)',
  );
  const asset = see('198.51.100.40', T + 700, undefined, UA, '/static/site.css');
  assert.equal(asset.offerSeen, true, 'its stylesheet is offered the cookie');
  const cookie = asset.issueSeen!(asset).split(';')[0];
  assert.match(cookie, /^rampart_seen=\d+p-[0-9a-f]{8}\./, 'marked: the browser loaded the page’s assets');
  const next = see('198.51.100.40', T + 2000, cookie, UA, '/donate', undefined, 'POST');
  assert.equal(next.clientState, CLIENT_COOKIE);
  assert.equal(
    next.personLike,
    true,
    'its form post comes from a person-like client, though its stylesheet is cached now',
  );
});
