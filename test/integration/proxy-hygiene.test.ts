// Every hygiene rule as a raw-socket row: payload → status, verdict, and what
// the origin received (nothing, for refusals; the exact cleaned head otherwise).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEchoOrigin, type EchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';
import { sendRaw } from '../helpers/raw.js';
import type { App } from '../../src/app/app.js';

let origin: EchoOrigin;
let shield: App & { port: number };

before(async () => {
  origin = await startEchoOrigin();
  shield = await startShield(origin.url, { trusted_proxies: ['127.0.0.9'] });
});
after(async () => {
  await shield.stop();
  await origin.close();
});

const refusals: [string, string, number, string][] = [
  ['duplicate Host', 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: site.test\r\n\r\n', 400, 'parse/duplicate-host'],
  ['missing Host on HTTP/1.1', 'GET / HTTP/1.1\r\nAccept: */*\r\n\r\n', 400, 'parse/missing-host'],
  ['host not served', 'GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n', 421, 'parse/unknown-host'],
  [
    'absolute-form for another host',
    'GET http://evil.example/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
    400,
    'parse/absolute-form',
  ],
  ['absolute-form with another scheme', 'GET ftp://127.0.0.1/x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 400, ''],
  ['HTTP/0.9 request', 'GET /\r\n\r\n', 400, ''],
  [
    'Transfer-Encoding on HTTP/1.0',
    'POST / HTTP/1.0\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    400,
    '',
  ],
  [
    'Content-Length with Transfer-Encoding',
    'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    400,
    '',
  ],
  [
    'invalid chunk size',
    'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
    400,
    '',
  ],
  ['NUL in a header value', 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\u0000b\r\n\r\n', 400, ''],
  ['NUL in a header name', 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX\u0000A: b\r\n\r\n', 400, ''],
  ['space before colon', 'GET / HTTP/1.1\r\nHost : 127.0.0.1\r\n\r\n', 400, ''],
  ['bare LF line ends smuggling', 'GET / HTTP/1.1\nHost: 127.0.0.1\nTransfer-Encoding: chunked\n\n0\n\n', 400, ''],
  [
    'Transfer-Encoding other than chunked',
    'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip\r\n\r\nabc',
    400,
    '',
  ],
  [
    'two different Content-Length',
    'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
    400,
    '',
  ],
  [
    'declared body over the cap',
    'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 999999999999\r\n\r\n',
    413,
    'guard/body-too-large',
  ],
  ['CONNECT (never an open proxy)', 'CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n', 400, ''],
];

for (const [name, payload, status, rule] of refusals) {
  test(`refuses: ${name}`, async () => {
    const before = origin.received.length;
    const r = await sendRaw(shield.port, payload);
    assert.equal(r.status, status, r.text.slice(0, 200));
    assert.match(r.text, /rampart-verdict: [a-z]+\/[a-z-]+/);
    if (rule) assert.match(r.text, new RegExp(`rampart-verdict: ${rule}\r\n`));
    assert.equal(origin.received.length, before, 'the origin must receive nothing');
  });
}

function lastReceived() {
  return origin.received[origin.received.length - 1];
}

test('forwards a clean request with hop-by-hop and Connection-named headers stripped', async () => {
  const r = await sendRaw(
    shield.port,
    'GET /a?b=1 HTTP/1.1\r\nHost: site.test\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Authorization: Basic eA==\r\nUpgrade-Insecure-Requests: 1\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Host: evil\r\nForwarded: for=6.6.6.6\r\nRampart-Verified: 1\r\nX-Keep: yes\r\n\r\n',
  );
  assert.equal(r.status, 200);
  assert.match(r.text, /rampart-verdict: default\/allow\r\n/);
  assert.doesNotMatch(r.text, /x-drop-me/i, 'response headers named in Connection are stripped');
  const got = lastReceived();
  assert.equal(got.url, '/a?b=1');
  const names = got.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
  for (const gone of ['x-secret', 'keep-alive', 'te', 'proxy-authorization', 'forwarded', 'rampart-verified'])
    assert.ok(!names.includes(gone), `${gone} must be stripped`);
  assert.ok(names.includes('x-keep') && names.includes('upgrade-insecure-requests'));
  assert.equal(got.headers['x-forwarded-for'], '127.0.0.1', 'an untrusted client cannot inject X-Forwarded-For');
  assert.equal(got.headers['x-forwarded-host'], 'site.test');
  assert.equal(got.headers['x-forwarded-proto'], 'http');
  assert.equal(got.headers.host, 'site.test');
  assert.match(got.raw, /^GET \/a\?b=1 HTTP\/1\.1\r\n/);
});

test('absolute-form for a served host is rewritten to origin-form', async () => {
  const r = await sendRaw(shield.port, 'GET http://site.test/abs?q=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  assert.equal(r.status, 200);
  assert.match(lastReceived().raw, /^GET \/abs\?q=1 HTTP\/1\.1\r\n/);
  assert.equal(lastReceived().headers.host, 'site.test');
});

test('wildcard host entries match subdomains only', async () => {
  assert.equal((await sendRaw(shield.port, 'GET / HTTP/1.1\r\nHost: www.site.test\r\n\r\n')).status, 200);
  assert.equal((await sendRaw(shield.port, 'GET / HTTP/1.1\r\nHost: evilsite.test\r\n\r\n')).status, 421);
});

test('forwarding headers from a trusted proxy are kept and extended', async () => {
  const r = await sendRaw(
    shield.port,
    'GET /t HTTP/1.1\r\nHost: site.test\r\nX-Forwarded-For: 198.51.100.7, 203.0.113.5\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: www.site.test\r\n\r\n',
    { localAddress: '127.0.0.9' },
  );
  assert.equal(r.status, 200);
  const got = lastReceived();
  assert.equal(got.headers['x-forwarded-for'], '198.51.100.7, 203.0.113.5, 127.0.0.9');
  assert.equal(got.headers['x-forwarded-proto'], 'https');
  assert.equal(got.headers['x-forwarded-host'], 'www.site.test');
});

test('chunked request bodies are de-chunked and re-framed for the origin', async () => {
  const r = await sendRaw(
    shield.port,
    'POST /c HTTP/1.1\r\nHost: site.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n',
  );
  assert.equal(r.status, 200);
  assert.equal(lastReceived().body, 'abcdefg');
});
