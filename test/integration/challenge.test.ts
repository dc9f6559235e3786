// The challenge through the full app (createApp: listeners, pipeline, identity,
// forwarder) in front of a real echo origin: clients without a pass never
// reach the origin while the challenge is required; solving earns a pass that
// opens the site; forged, expired, replayed, other-prefix and other-browser
// passes are refused; redirects stay on the site; unsafe methods get 429 with a
// JSON or text body; exemptions pass; the cookie is Secure under TLS.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as h2connect } from 'node:http2';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { createManualClock } from '../../src/core/clock.js';
import type { RequestContext } from '../../src/core/model.js';
import { checkSolution, solve } from '../../src/challenge/pow.js';
import { loadConfigObject } from '../../src/config/load.js';
import { startEchoOrigin, type EchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';
import { fetchRaw, pageParams, passOf, type FetchOptions } from '../e2e/helpers/challenge-client.js';
import { waitFor } from '../helpers/wait.js';

const TLS_DIR = join(import.meta.dirname, '../fixtures/tls');
const ca = readFileSync(join(TLS_DIR, 'cert.pem'));
const API_TOKEN = 'integration-token-0123456789abcdef';
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const CHALLENGE = {
  require: 'always',
  difficulty: { elevated: 8, under_attack: 8, manual: 8 },
  pass_ttl: '10m',
  text: { appeal_url: '/contact' },
  exempt: {
    api_token_header: 'x-rampart-token',
    api_tokens: [API_TOKEN],
    session_cookie: 'sessionid',
    // 127.0.0.1 is "localhost" in the hosts file, forward and back: a real (if local) rDNS check.
    crawlers: { enabled: true, known: [{ agent: 'TestBot', domains: ['localhost'] }] },
  },
};

describe('challenge required (require: always) through the full app', () => {
  let origin: EchoOrigin;
  let shield: Awaited<ReturnType<typeof startShield>>;
  let tlsPort = 0;
  const clock = createManualClock(T0);
  const seen: { path: string; verified: boolean; rule: string }[] = [];
  const observer = (ctx: RequestContext) =>
    void seen.push({ path: ctx.path, verified: ctx.verified, rule: ctx.verdict.rule });

  before(async () => {
    origin = await startEchoOrigin();
    const tls = { listen: '127.0.0.1:0', cert: join(TLS_DIR, 'cert.pem'), key: join(TLS_DIR, 'key.pem') };
    shield = await startShield(origin.url, { challenge: CHALLENGE, tls }, { clock, observers: [observer] });
    tlsPort = shield.address('tls')!.port;
  });
  after(async () => {
    await shield.stop();
    await origin.close();
  });

  const http = (path: string, o: FetchOptions = {}) => fetchRaw(shield.port, path, o);

  /** GET (challenged) → solve in Node → POST verify; returns the verify reply. */
  async function earn(path: string, o: FetchOptions = {}, ret = path) {
    const page = await http(path, o);
    assert.equal(page.status, 403);
    const p = pageParams(page.body);
    assert.ok(p.token && p.seed && p.bits === 8, 'the page carries a challenge');
    clock.advance(700);
    const body = new URLSearchParams({
      challenge: p.token,
      solution: String(solve(p.seed, p.bits)),
      return: ret,
      via: 'js',
    }).toString();
    const verify = await http('/.rampart/challenge/verify', {
      ...o,
      method: 'POST',
      body,
      headers: { ...o.headers, 'content-type': 'application/x-www-form-urlencoded' },
    });
    return { verify, body };
  }

  test('a client without a pass (curl, HEAD, no JS) never reaches the origin', async () => {
    const before = origin.received.length;
    const get = await http('/donate?campaign=7', { headers: { 'user-agent': 'curl/8.5.0' } });
    assert.equal(get.status, 403);
    assert.equal(get.headers['rampart-verdict'], 'challenge/required');
    assert.match(get.body, /<noscript>/);
    assert.match(get.body, /href="\/contact"/, 'the appeal link is on the page');
    const head = await http('/donate', { method: 'HEAD' });
    assert.equal(head.status, 403);
    assert.equal(head.body, '');
    assert.equal(origin.received.length, before);
  });

  test('solving earns a pass: 303 back to the asked URL, then the origin answers, with no new challenge', async () => {
    const target = '/campaign/sign?ref=mail&x=1';
    const { verify } = await earn(target);
    assert.equal(verify.status, 303);
    assert.equal(verify.headers.location, target);
    assert.equal(verify.headers['rampart-verdict'], 'challenge/solved');
    const cookie = String(verify.headers['set-cookie']);
    assert.match(
      cookie,
      /^rampart_pass=\d+\.[A-Za-z0-9_-]{22}; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax$/,
      'no Secure flag over plain HTTP',
    );
    const issued = shield.challengeStats()!.issued;
    const next = await http(target, { headers: { cookie: `a=1; ${passOf(cookie)}` } });
    assert.equal(next.status, 200);
    assert.equal(next.headers['rampart-verdict'], 'default/allow');
    assert.equal(JSON.parse(next.body).url, target, 'the origin got the asked URL');
    assert.equal(shield.challengeStats()!.issued, issued, 'no new challenge');
    assert.equal(seen.at(-1)?.verified, true, 'ctx.verified is set for later stages (admission priority)');
  });

  test('a pass is bound to the address prefix and the browser; same /24 is fine (NAT, mobile)', async () => {
    const { verify } = await earn('/bound');
    const pass = passOf(String(verify.headers['set-cookie']));
    assert.equal(
      (await http('/bound', { headers: { cookie: pass }, localAddress: '127.0.0.77' })).status,
      200,
      'same /24',
    );
    const other = await http('/bound', { headers: { cookie: pass }, localAddress: '127.0.9.1' });
    assert.equal(other.status, 403, 'another prefix is challenged');
    assert.equal(other.headers['rampart-verdict'], 'challenge/required');
    const otherUa = await http('/bound', { headers: { cookie: pass, 'user-agent': 'python-requests/2.31' } });
    assert.equal(otherUa.status, 403, 'another browser (User-Agent) is challenged');
  });

  test('forged and expired passes are refused; the origin never sees those requests', async () => {
    const { verify } = await earn('/forge');
    const pass = passOf(String(verify.headers['set-cookie']));
    const before = origin.received.length;
    const rejected = shield.challengeStats()!.passesRejected;
    const last = pass.at(-1) === 'A' ? 'B' : 'A';
    const [, value] = pass.split('=');
    const [expiry, mac] = value.split('.');
    const forged = [
      `${pass.slice(0, -1)}${last}`, // one MAC character changed
      `rampart_pass=${Number(expiry) + 86_400}.${mac}`, // expiry extended
      'rampart_pass=9999999999.AAAAAAAAAAAAAAAAAAAAAA',
      'rampart_pass=',
    ];
    for (const c of forged) assert.equal((await http('/forge', { headers: { cookie: c } })).status, 403, c);
    assert.equal(shield.challengeStats()!.passesRejected, rejected + 3, 'three non-empty passes counted as rejected');
    assert.equal((await http('/forge', { headers: { cookie: pass } })).status, 200, 'the genuine pass still works');
    clock.advance(10 * 60_000 + 1000);
    assert.equal((await http('/forge', { headers: { cookie: pass } })).status, 403, 'expired after pass_ttl');
    assert.equal(origin.received.length, before + 1);
  });

  test('a solution is accepted once: a replay gets 403 and no cookie', async () => {
    const { verify, body } = await earn('/replay');
    assert.equal(verify.status, 303);
    const again = await http('/.rampart/challenge/verify', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    });
    assert.equal(again.status, 403);
    assert.equal(again.headers['rampart-verdict'], 'challenge/replayed');
    assert.equal(again.headers['set-cookie'], undefined);
    assert.equal(JSON.parse(again.body).error, 'challenge_replayed');
  });

  test('a wrong solution or a token from another prefix earns nothing', async () => {
    const page = await http('/wrong');
    const p = pageParams(page.body);
    const good = String(solve(p.seed, p.bits));
    const form = (solution: string) => ({
      method: 'POST',
      body: new URLSearchParams({ challenge: p.token, solution, return: '/wrong' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    let bad = Number(good) + 1;
    while (checkSolution(p.seed, String(bad), p.bits)) bad++; // a counter that is not a solution
    const wrong = await http('/.rampart/challenge/verify', form(String(bad)));
    assert.equal(wrong.status, 403);
    assert.equal(wrong.headers['rampart-verdict'], 'challenge/failed');
    const elsewhere = await http('/.rampart/challenge/verify', { ...form(good), localAddress: '127.0.9.2' });
    assert.equal(elsewhere.status, 403, 'a token solved for one prefix cannot be cashed from another');
    assert.equal(elsewhere.headers['set-cookie'], undefined);
  });

  test('the redirect after solving never leaves the site', async () => {
    for (const ret of [
      '//evil.example/x',
      'https://evil.example/',
      '/\\evil.example',
      '/\t/evil.example',
      'javascript:alert(1)',
      '/.rampart/challenge/verify',
    ]) {
      const { verify } = await earn('/r', {}, ret);
      assert.equal(verify.status, 303, ret);
      assert.equal(verify.headers.location, '/', ret);
    }
  });

  test('POST without a pass: 429 with a JSON or text body, the origin never sees a half-handled body; with a pass it arrives whole', async () => {
    const before = origin.received.length;
    const body = 'amount=25&name=Ada';
    const json = await http('/donate', {
      method: 'POST',
      body: JSON.stringify({ amount: 25 }),
      headers: { 'content-type': 'application/json', accept: 'application/json' },
    });
    assert.equal(json.status, 429);
    assert.ok(Number(json.headers['retry-after']) > 0);
    assert.equal(JSON.parse(json.body).error, 'challenge_required');
    const text = await http('/donate', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(text.status, 429);
    assert.match(String(text.headers['content-type']), /^text\/plain/);
    assert.match(text.body, /Open the site in a web browser first/);
    assert.equal(origin.received.length, before, 'nothing reached the origin');
    const { verify } = await earn('/donate');
    const pass = passOf(String(verify.headers['set-cookie']));
    const ok = await http('/donate', {
      method: 'POST',
      body,
      headers: { cookie: pass, 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(ok.status, 200);
    assert.equal(JSON.parse(ok.body).body, body, 'the origin got the body, whole');
  });

  test('exempt paths, API tokens and the origin session cookie pass without a challenge', async () => {
    for (const path of ['/robots.txt', '/feed.xml', '/.well-known/security.txt', '/contact']) {
      const r = await http(path);
      assert.equal(r.status, 200, path);
      assert.equal(seen.at(-1)?.verified, false, 'an exempt path does not verify the client');
    }
    const api = await http('/api/orders', {
      method: 'POST',
      body: '{}',
      headers: { 'x-rampart-token': API_TOKEN, 'content-type': 'application/json' },
    });
    assert.equal(api.status, 200);
    assert.equal(JSON.parse(api.body).body, '{}');
    assert.equal(
      (await http('/api/orders', { headers: { 'x-rampart-token': `${API_TOKEN}x` } })).status,
      403,
      'a wrong token is no token',
    );
    assert.equal((await http('/account', { headers: { cookie: 'theme=dark; sessionid=abc' } })).status, 200);
    assert.equal(seen.at(-1)?.verified, true);
  });

  test('over HTTP/2 (TLS, ALPN h2) the whole flow works: page, verify, Secure pass, origin', async () => {
    const client = h2connect(`https://localhost:${tlsPort}`, { ca });
    const h2 = (method: string, path: string, headers: Record<string, string> = {}, body = '') =>
      new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
        const req = client.request({
          ':method': method,
          ':path': path,
          'user-agent': 'Mozilla/5.0 h2-test',
          ...headers,
        });
        let got: Record<string, unknown> = {};
        let text = '';
        req.on('response', (h) => (got = h));
        req.setEncoding('utf8');
        req.on('data', (d) => (text += d));
        req.on('end', () => resolve({ status: Number(got[':status']), headers: got, body: text }));
        req.on('error', reject);
        req.end(body === '' ? undefined : body);
      });
    try {
      const page = await h2('GET', '/h2-page');
      assert.equal(page.status, 403);
      const p = pageParams(page.body);
      const form = new URLSearchParams({
        challenge: p.token,
        solution: String(solve(p.seed, p.bits)),
        return: '/h2-page',
      }).toString();
      const v = await h2(
        'POST',
        '/.rampart/challenge/verify',
        { 'content-type': 'application/x-www-form-urlencoded' },
        form,
      );
      assert.equal(v.status, 303);
      const cookie = String(v.headers['set-cookie']);
      assert.match(cookie, /; Secure$/);
      const ok = await h2('GET', '/h2-page', { cookie: passOf(cookie) });
      assert.equal(ok.status, 200);
      assert.equal(JSON.parse(ok.body).url, '/h2-page');
      assert.equal((await h2('POST', '/h2-form', { 'content-type': 'text/plain' }, 'x')).status, 429);
    } finally {
      client.close();
    }
  });

  test('a crawler verified by reverse DNS (forward-confirmed) passes once its lookup is done; a fake one never', async () => {
    const ua = { 'user-agent': 'TestBot/1.0 (+https://example.org/bot)' };
    assert.equal(
      (await http('/crawl', { headers: ua })).status,
      403,
      'the first request, before the lookup ends, is challenged',
    );
    await waitFor(() => shield.challengeStats()!.crawlers!.verified > 0, {
      what: 'the reverse-DNS lookup to verify the crawler',
      intervalMs: 20,
    });
    const r = await http('/crawl', { headers: ua });
    assert.equal(r.status, 200);
    assert.equal(seen.at(-1)?.verified, false, 'exempt, not verified');
    assert.equal(
      (await http('/crawl', { headers: ua, localAddress: '127.0.0.2' })).status,
      403,
      '127.0.0.2 has no name',
    );
    assert.equal(
      (await http('/crawl', { headers: { 'user-agent': 'Mozilla/5.0 Firefox/128' } })).status,
      403,
      'a browser from that address is no crawler',
    );
  });

  test('the pass cookie is Secure when solved over TLS, and the scripts are served', async () => {
    const o = { tls: { port: tlsPort, ca } };
    const { verify } = await earn('/secure', o);
    assert.equal(verify.status, 303);
    assert.match(String(verify.headers['set-cookie']), /; HttpOnly; SameSite=Lax; Secure$/);
    const pass = passOf(String(verify.headers['set-cookie']));
    assert.equal((await http('/secure', { ...o, headers: { cookie: pass } })).status, 200);
    const solver = await http('/.rampart/challenge/solver.js');
    assert.equal(solver.status, 200);
    assert.match(String(solver.headers['content-type']), /javascript/);
    assert.match(solver.body, /rampartSha256/);
    assert.equal((await http('/.rampart/challenge/nothing')).status, 404);
  });
});

describe('challenge not required (require: off) through the full app', () => {
  let origin: EchoOrigin;
  let shield: Awaited<ReturnType<typeof startShield>>;
  const seen: boolean[] = [];
  const base = (require: string) => ({
    listen: '127.0.0.1:0',
    origin: origin.url,
    hosts: ['127.0.0.1'],
    challenge: { require, difficulty: { manual: 8 } },
  });

  before(async () => {
    origin = await startEchoOrigin();
    shield = await startShield(
      origin.url,
      { challenge: base('always').challenge },
      { observers: [(ctx) => void seen.push(ctx.verified)] },
    );
  });
  after(async () => {
    await shield.stop();
    await origin.close();
  });

  test('requests pass untouched; the stage still serves its URLs and marks a valid pass as verified, across a reload', async () => {
    // Earn a pass while the challenge is required, then reload with require: off.
    const page = pageParams((await fetchRaw(shield.port, '/x')).body);
    const body = new URLSearchParams({
      challenge: page.token,
      solution: String(solve(page.seed, page.bits)),
      return: '/x',
    }).toString();
    const verify = await fetchRaw(shield.port, '/.rampart/challenge/verify', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const pass = passOf(String(verify.headers['set-cookie']));
    await shield.reload(loadConfigObject({ ...base('off'), data_dir: shield.config.dataDir }));

    const plain = await fetchRaw(shield.port, '/x?y=1');
    assert.equal(plain.status, 200);
    assert.equal(JSON.parse(plain.body).url, '/x?y=1');
    assert.equal(seen.at(-1), false);
    const post = await fetchRaw(shield.port, '/form', {
      method: 'POST',
      body: 'a=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(JSON.parse(post.body).body, 'a=1');
    assert.equal((await fetchRaw(shield.port, '/.rampart/challenge/worker.js')).status, 200);
    assert.equal(shield.challengeStats()!.issued, 0);

    assert.equal((await fetchRaw(shield.port, '/x', { headers: { cookie: pass } })).status, 200);
    assert.equal(seen.at(-1), true, 'the pass earned before the reload still verifies');
    assert.equal(shield.challengeStats()!.passesAccepted, 1);
    await fetchRaw(shield.port, '/x', { headers: { cookie: 'rampart_pass=1.AAAAAAAAAAAAAAAAAAAAAA' } });
    assert.equal(seen.at(-1), false, 'a bogus pass is not verified');
    assert.equal(shield.challengeStats()!.passesRejected, 1);
  });
});
