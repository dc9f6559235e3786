import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CookieJar } from './cookie-jar.js';
import { assetsOf, navOutcome, NoJsClient, redirectNext, selfRefreshOf, type NavResult } from './nojs-client.js';
import { browserProfile } from './profiles.js';
import { parseTarget } from './target.js';
import type { Reply } from './client.js';

test('redirects follow fetch: 303 → GET, 301/302 turn POST into GET, 307/308 keep method and body', () => {
  const rows: [number, string, string | undefined, { method: string; body: string | undefined } | null][] = [
    [303, 'POST', 'a=1', { method: 'GET', body: undefined }],
    [303, 'GET', undefined, { method: 'GET', body: undefined }],
    [303, 'HEAD', undefined, { method: 'HEAD', body: undefined }],
    [302, 'POST', 'a=1', { method: 'GET', body: undefined }],
    [301, 'POST', 'a=1', { method: 'GET', body: undefined }],
    [302, 'GET', undefined, { method: 'GET', body: undefined }],
    [307, 'POST', 'a=1', { method: 'POST', body: 'a=1' }],
    [308, 'PUT', 'x', { method: 'PUT', body: 'x' }],
    [304, 'GET', undefined, null],
    [200, 'GET', undefined, null],
  ];
  for (const [status, method, body, want] of rows)
    assert.deepEqual(redirectNext(status, method, body), want, `${status} ${method}`);
});

test('cookie jar: set, replace, delete by Max-Age, Expires or empty value', () => {
  const j = new CookieJar();
  j.store(['a=1; Path=/; HttpOnly', 'b=2', 'c=3; Max-Age=60']);
  assert.equal(j.header(), 'a=1; b=2; c=3');
  j.store(['a=9', 'b=; Max-Age=0', 'c=3; Expires=Thu, 01 Jan 1970 00:00:00 GMT', 'bad', '=x']);
  assert.equal(j.header(), 'a=9');
});

test('assets of a page without JavaScript: stylesheets and images, same origin, no scripts', () => {
  const html =
    '<link rel="stylesheet" href="/static/site.css"><link href="/b.css" rel="stylesheet"><script src="/static/app.js"></script><img src="/static/logo.svg"><img src="//cdn.example/x.png"><img src="/static/logo.svg">';
  assert.deepEqual(assetsOf(html), ['/static/site.css', '/b.css', '/static/logo.svg']);
});

const reply = (status: number, verdict = '', body = '', error = ''): Reply => ({
  status,
  verdict,
  body,
  setCookie: [],
  location: '',
  ms: 1,
  error,
});
const nav = (r: Reply, more: Partial<NavResult> = {}): NavResult => ({
  reply: r,
  ms: 1,
  hops: 0,
  checked: false,
  loop: false,
  path: '/',
  ...more,
});

test('outcomes for a person without JavaScript: served, challenged (interstitial), limited, failed', () => {
  assert.deepEqual(navOutcome(nav(reply(200, 'default/allow'))), { outcome: 'served', rule: '' });
  assert.deepEqual(navOutcome(nav(reply(200, 'default/allow'), { checked: true, hops: 1 })), {
    outcome: 'served',
    rule: '',
  });
  assert.deepEqual(navOutcome(nav(reply(403, 'challenge/required', '<form id="rampart-challenge">'))), {
    outcome: 'challenged',
    rule: 'challenge/required',
  });
  assert.deepEqual(navOutcome(nav(reply(429, 'challenge/required'))), {
    outcome: 'challenged',
    rule: 'challenge/required',
  });
  assert.deepEqual(navOutcome(nav(reply(403, 'mitigate/challenge-all'))), {
    outcome: 'challenged',
    rule: 'mitigate/challenge-all',
  });
  assert.deepEqual(navOutcome(nav(reply(429, 'challenge/cookie'))), {
    outcome: 'challenged',
    rule: 'challenge/cookie',
  });
  assert.deepEqual(navOutcome(nav(reply(403, 'challenge/cookie-missing'))), {
    outcome: 'challenged',
    rule: 'challenge/cookie-missing',
  });
  assert.deepEqual(navOutcome(nav(reply(200, 'challenge/asset'))), { outcome: 'served', rule: '' });
  assert.deepEqual(navOutcome(nav(reply(429, 'limit/address'))), { outcome: 'limited', rule: 'limit/address' });
  assert.deepEqual(navOutcome(nav(reply(403, 'ban/auto-flood'))), { outcome: 'limited', rule: 'ban/auto-flood' });
  assert.deepEqual(navOutcome(nav(reply(0, '', '', 'ECONNREFUSED'))), {
    outcome: 'failed',
    rule: 'error/ECONNREFUSED',
  });
  assert.deepEqual(navOutcome(nav(reply(502, 'origin/unavailable'))), {
    outcome: 'failed',
    rule: 'origin/unavailable',
  });
  assert.deepEqual(navOutcome(nav(reply(302, 'challenge/check'), { loop: true, hops: 10 })), {
    outcome: 'challenged',
    rule: 'loop/challenge/check',
  });
});

test('against a tiny server: cookies kept, redirects followed, a shield check counted as checked, loops and other origins stopped', async () => {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const cookie = req.headers.cookie ?? '';
      seen.push(`${req.method} ${req.url} [${cookie}] ${body} ${req.socket.remoteAddress}`);
      const go = (status: number, location: string, extra: Record<string, string | string[]> = {}) => {
        res.writeHead(status, { location, 'content-length': 0, ...extra });
        res.end();
      };
      switch (req.url) {
        case '/a':
          return go(302, '/b', { 'set-cookie': 'c1=1; Path=/' });
        case '/b':
          return res.end(`cookie ${cookie}`);
        case '/form':
          return go(303, '/done');
        case '/keep':
          return go(307, '/echo');
        case '/echo':
          return res.end(`${req.method} ${body}`);
        case '/done':
          return res.end(`${req.method} done`);
        case '/page':
          return cookie.includes('rc=ok')
            ? res.end('page')
            : go(302, '/page', { 'rampart-verdict': 'challenge/cookie-check', 'set-cookie': 'rc=ok' });
        case '/loop':
          return go(302, '/loop', { 'rampart-verdict': 'challenge/cookie-check' });
        case '/away':
          return go(302, 'http://192.0.2.1/elsewhere');
        default:
          res.writeHead(404);
          res.end();
          return;
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const target = parseTarget(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const c = new NoJsClient(target, '127.10.200.7', browserProfile(3));
  try {
    const a = await c.navigate('page', 'GET', '/a');
    assert.deepEqual([a.reply.status, a.reply.body, a.hops, a.checked, a.path], [200, 'cookie c1=1', 1, false, '/b']);
    const f = await c.navigate('form', 'POST', '/form', 'x=1');
    assert.deepEqual([f.reply.body, f.hops], ['GET done', 1]);
    const k = await c.navigate('form', 'POST', '/keep', 'y=2');
    assert.equal(k.reply.body, 'POST y=2');
    const p = await c.navigate('page', 'GET', '/page');
    assert.deepEqual([p.reply.status, p.reply.body, p.checked, navOutcome(p).outcome], [200, 'page', true, 'served']);
    const l = await c.navigate('page', 'GET', '/loop');
    assert.deepEqual([l.loop, l.hops, navOutcome(l).outcome], [true, 10, 'challenged']);
    const w = await c.navigate('page', 'GET', '/away');
    assert.deepEqual([w.reply.status, w.hops], [302, 0]);
    assert.ok(
      seen.every((s) => s.endsWith('127.10.200.7')),
      'every request from the client’s own address',
    );
    assert.ok(seen.includes('POST /echo [c1=1] y=2 127.10.200.7'), seen.join('\n'));
    assert.ok(seen.includes('GET /done [c1=1]  127.10.200.7'), '303: a GET without the body');
  } finally {
    await c.close();
    await new Promise((r) => server.close(r));
  }
});

test('a page that reloads itself (the shield assets check): its stylesheet is loaded with the cookie, then the page again, counted as checked', async () => {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const cookie = req.headers.cookie ?? '';
    seen.push(`${req.url} [${cookie}]`);
    if (req.url === '/mark.css') {
      res.writeHead(200, { 'content-type': 'text/css', 'set-cookie': 'm=1; Path=/' });
      return res.end('/**/');
    }
    if (cookie.includes('m=1')) return res.end('the page');
    res.writeHead(403, { 'content-type': 'text/html', 'rampart-verdict': 'challenge/mark' });
    res.end(
      '<html><head><meta http-equiv="refresh" content="0"><link rel="stylesheet" href="/mark.css"></head></html>',
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const target = parseTarget(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const c = new NoJsClient(target, '127.10.200.8', browserProfile(2));
  try {
    const n = await c.navigate('page', 'GET', '/p');
    assert.deepEqual([n.reply.status, n.reply.body, n.checked], [200, 'the page', true]);
    assert.deepEqual(seen, ['/p []', '/mark.css []', '/p [m=1]']);
    assert.equal(navOutcome(n).outcome, 'served');
    assert.equal(selfRefreshOf('<meta http-equiv="refresh" content="2">'), 2);
    assert.equal(
      selfRefreshOf('<meta http-equiv="refresh" content="1;url=/elsewhere">'),
      -1,
      'to another URL: not a reload',
    );
    assert.equal(selfRefreshOf('<p>no refresh</p>'), -1);
  } finally {
    await c.close();
    server.close();
  }
});
