// Header hygiene both ways: hop-by-hop headers and those a Connection header
// names never cross the proxy, client-sent forwarding headers count only from
// a trusted peer, X-Forwarded-* are always set by us, rampart-* never come from
// outside, and the response carries the verdict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestContext, type Req, type Res } from '../core/model.js';
import { connectionTokens, downstreamResponseHeaders, upstreamRequestHeaders } from './headers.js';

function ctx(
  raw: [string, string][],
  o: { host?: string; peer?: string; proto?: 'http' | 'https' } = {},
): RequestContext {
  const headers: Record<string, string> = {};
  for (const [k, v] of raw) {
    const l = k.toLowerCase();
    headers[l] = headers[l] === undefined ? v : `${headers[l]}, ${v}`;
  }
  const c = new RequestContext({ rawHeaders: raw.flat(), headers } as unknown as Req, {} as Res);
  c.host = o.host ?? 'example.org';
  c.peerIp = o.peer ?? '203.0.113.9';
  c.proto = o.proto ?? 'https';
  return c;
}

/** Flat [name, value, …] list as pairs, for readable comparisons. */
function pairs(flat: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}
const names = (flat: string[]) => pairs(flat).map(([n]) => n);

test('connectionTokens: the header names a Connection header lists, close and keep-alive aside', () => {
  const table: [string | string[] | undefined, string[] | null][] = [
    [undefined, null],
    ['', null],
    ['close', null],
    ['keep-alive', null],
    ['Keep-Alive', null],
    ['CLOSE', null],
    ['close, keep-alive', null],
    ['Upgrade', ['upgrade']],
    ['keep-alive, X-Secret', ['x-secret']],
    ['X-A,X-B , ,x-a', ['x-a', 'x-b']],
    ['te, close', ['te']],
    [['keep-alive', 'X-Forwarded-For'], ['x-forwarded-for']],
    ['Cookie', ['cookie']],
  ];
  for (const [v, tokens] of table) {
    const got = connectionTokens(v);
    assert.deepEqual(
      got === null ? null : [...got].sort(),
      tokens === null ? null : [...tokens].sort(),
      JSON.stringify(v),
    );
  }
});

test('upstream: hop-by-hop headers and the headers Connection names are dropped; Host is ours, first', () => {
  const c = ctx([
    ['Host', 'example.org'],
    ['Connection', 'keep-alive, X-Secret, Cookie'],
    ['Keep-Alive', 'timeout=5'],
    ['TE', 'trailers'],
    ['Trailer', 'Expires'],
    ['Transfer-Encoding', 'chunked'],
    ['Upgrade', 'websocket'],
    ['Proxy-Connection', 'keep-alive'],
    ['Proxy-Authorization', 'Basic eDp5'],
    ['HTTP2-Settings', 'AAMAAABkAAQAAP__'],
    ['Expect', '100-continue'],
    ['X-Secret', 'token'],
    ['Cookie', 'a=1'],
    ['Accept', 'text/html'],
    ['User-Agent', 'test'],
  ]);
  const out = upstreamRequestHeaders(c, false, false);
  assert.deepEqual(pairs(out), [
    ['host', 'example.org'],
    ['accept', 'text/html'],
    ['user-agent', 'test'],
    ['x-forwarded-for', '203.0.113.9'],
    ['x-forwarded-proto', 'https'],
    ['x-forwarded-host', 'example.org'],
  ]);
});

test('upstream: a second Host header, h2 pseudo-headers and rampart-* headers never reach the origin', () => {
  const c = ctx([
    [':authority', 'example.org'],
    [':path', '/'],
    ['host', 'evil.example'],
    ['Rampart-Verdict', 'default/allow'],
    ['rampart-pass', 'x'],
    ['x-ok', '1'],
  ]);
  assert.deepEqual(pairs(upstreamRequestHeaders(c, true, false)).slice(0, 2), [
    ['host', 'example.org'],
    ['x-ok', '1'],
  ]);
  assert.equal(names(upstreamRequestHeaders(c, true, false)).filter((n) => n === 'host').length, 1);
});

test('upstream, untrusted peer: client-sent forwarding headers are dropped, ours say who connected', () => {
  const c = ctx(
    [
      ['X-Forwarded-For', '1.2.3.4'],
      ['X-Forwarded-Proto', 'https'],
      ['X-Forwarded-Host', 'admin.example.org'],
      ['Forwarded', 'for=1.2.3.4'],
      ['X-Real-IP', '1.2.3.4'],
    ],
    { proto: 'http' },
  );
  assert.deepEqual(pairs(upstreamRequestHeaders(c, false, false)), [
    ['host', 'example.org'],
    ['x-forwarded-for', '203.0.113.9'],
    ['x-forwarded-proto', 'http'],
    ['x-forwarded-host', 'example.org'],
  ]);
});

test('upstream, trusted peer: its chain is extended with the peer, its proto and host kept, Forwarded and X-Real-IP passed', () => {
  const c = ctx(
    [
      ['X-Forwarded-For', '198.51.100.7'],
      ['x-forwarded-for', '10.0.0.5'],
      ['X-Forwarded-Proto', 'https'],
      ['X-Forwarded-Host', 'www.example.org'],
      ['Forwarded', 'for=198.51.100.7'],
      ['X-Real-IP', '198.51.100.7'],
    ],
    { peer: '10.0.0.1', proto: 'http' },
  );
  assert.deepEqual(pairs(upstreamRequestHeaders(c, true, false)), [
    ['host', 'example.org'],
    ['forwarded', 'for=198.51.100.7'],
    ['x-real-ip', '198.51.100.7'],
    ['x-forwarded-for', '198.51.100.7, 10.0.0.5, 10.0.0.1'],
    ['x-forwarded-proto', 'https'],
    ['x-forwarded-host', 'www.example.org'],
  ]);
});

test("upstream: Connection naming X-Forwarded-For cannot strip ours (it is hop-by-hop: the client's value goes, ours stays)", () => {
  const c = ctx([
    ['Connection', 'close, X-Forwarded-For, X-Forwarded-Proto'],
    ['X-Forwarded-For', '1.2.3.4'],
  ]);
  for (const trusted of [false, true]) {
    const out = pairs(upstreamRequestHeaders(c, trusted, false));
    assert.deepEqual(
      out.filter(([n]) => n.startsWith('x-forwarded-')),
      [
        ['x-forwarded-for', '203.0.113.9'],
        ['x-forwarded-proto', 'https'],
        ['x-forwarded-host', 'example.org'],
      ],
      `trusted ${trusted}`,
    );
  }
});

test('upstream, an upgrade: Connection and Upgrade are set again by us, once', () => {
  const c = ctx([
    ['Connection', 'Upgrade'],
    ['Upgrade', 'websocket'],
    ['Sec-WebSocket-Key', 'k'],
  ]);
  (c.req.headers as Record<string, string>).upgrade = 'websocket';
  const out = upstreamRequestHeaders(c, false, true);
  assert.deepEqual(pairs(out).slice(0, 4), [
    ['host', 'example.org'],
    ['sec-websocket-key', 'k'],
    ['connection', 'upgrade'],
    ['upgrade', 'websocket'],
  ]);
  assert.equal(names(out).filter((n) => n === 'connection' || n === 'upgrade').length, 2);
  assert.equal(names(upstreamRequestHeaders(c, false, false)).includes('upgrade'), false, 'not an upgrade: dropped');
});

test('downstream: hop-by-hop and Connection-named headers dropped, arrays kept in order, our verdict last and only', () => {
  const out = downstreamResponseHeaders(
    {
      'content-type': 'text/html',
      connection: 'keep-alive, x-internal',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      trailer: 'expires',
      upgrade: 'h2c',
      'proxy-authenticate': 'Basic',
      'x-internal': 'secret',
      'set-cookie': ['a=1', 'b=2'],
      'rampart-verdict': 'default/allow',
      'x-none': undefined,
    },
    'limit/login',
  );
  assert.deepEqual(pairs(out), [
    ['content-type', 'text/html'],
    ['set-cookie', 'a=1'],
    ['set-cookie', 'b=2'],
    ['rampart-verdict', 'limit/login'],
  ]);
});
