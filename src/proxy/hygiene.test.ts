// Request hygiene (the parse stage): host allowlist with wildcards and ports,
// duplicate or missing Host, Transfer-Encoding on HTTP/1.0 or with
// Content-Length, absolute-form targets, OPTIONS *, declared body size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestContext, type Req, type Res, type Verdict } from '../core/model.js';
import { compileHosts, compileHygiene, splitTarget, stripPort } from './hygiene.js';
import { proxyVerdicts } from './verdicts.js';

test('stripPort: names, IPv4, bracketed IPv6, with and without a port', () => {
  const table: [string, string][] = [
    ['example.org', 'example.org'],
    ['example.org:8080', 'example.org'],
    ['1.2.3.4:80', '1.2.3.4'],
    ['[::1]:8443', '::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['[::1', '[::1'],
    ['', ''],
    [':80', ''],
  ];
  for (const [h, name] of table) assert.equal(stripPort(h), name, h);
});

test('compileHosts: exact names and *.suffix wildcards, any case, any port; never a look-alike', () => {
  const hosts = compileHosts(['Example.org', '*.cdn.example.org', '[::1]', '192.0.2.1']);
  const table: [string, boolean][] = [
    ['example.org', true],
    ['EXAMPLE.ORG', true],
    ['example.org:8080', true],
    ['www.example.org', false],
    ['example.org.evil.com', false],
    ['evilexample.org', false],
    ['a.cdn.example.org', true],
    ['A.B.CDN.Example.Org:443', true],
    ['cdn.example.org', false], // the wildcard needs a label before the suffix
    ['.cdn.example.org', false],
    ['evilcdn.example.org', false],
    ['cdn.example.org.evil.com', false],
    ['[::1]:8080', true],
    ['[::1]', true],
    ['::1', false], // an IPv6 Host must be bracketed (RFC 3986)
    ['192.0.2.1:80', true],
    ['192.0.2.10', false],
    ['', false],
  ];
  for (const [h, ok] of table) assert.equal(hosts.has(h), ok, JSON.stringify(h));
  assert.equal(compileHosts([]).has('example.org'), false);
});

interface Shape {
  method?: string;
  target?: string;
  version?: string;
  raw?: [string, string][];
}

function ctx(s: Shape): RequestContext {
  const raw = s.raw ?? [['Host', 'example.org']];
  const headers: Record<string, string> = {};
  for (const [k, v] of raw) headers[k.toLowerCase()] ??= v;
  const c = new RequestContext({ rawHeaders: raw.flat(), headers } as unknown as Req, {} as Res);
  // As the pipeline fills it before the parse stage.
  c.method = s.method ?? 'GET';
  c.target = s.target ?? '/';
  splitTarget(c);
  c.httpVersion = s.version ?? '1.1';
  c.host = (headers.host ?? headers[':authority'] ?? '').trim();
  return c;
}

const stage = compileHygiene(compileHosts(['example.org', '*.example.net']), 1000);
const run = (c: RequestContext) => stage.run(c) as Verdict | null;

test('compileHygiene: the verdict of each request shape', () => {
  const table: [string, Shape, Verdict | null][] = [
    ['plain GET', {}, null],
    ['wildcard host with port', { raw: [['Host', 'a.example.net:8080']] }, null],
    ['unknown host', { raw: [['Host', 'evil.com']] }, proxyVerdicts.unknownHost],
    ['empty Host header', { raw: [['Host', '']] }, proxyVerdicts.unknownHost],
    [
      'two Host headers',
      {
        raw: [
          ['Host', 'example.org'],
          ['host', 'evil.com'],
        ],
      },
      proxyVerdicts.duplicateHost,
    ],
    [
      'two identical Host headers',
      {
        raw: [
          ['Host', 'example.org'],
          ['HOST', 'example.org'],
        ],
      },
      proxyVerdicts.duplicateHost,
    ],
    ['no Host', { raw: [['Accept', '*/*']] }, proxyVerdicts.missingHost],
    ['no Host, HTTP/1.0', { raw: [], version: '1.0' }, proxyVerdicts.missingHost],
    [
      'Transfer-Encoding on HTTP/1.0',
      {
        version: '1.0',
        raw: [
          ['Host', 'example.org'],
          ['Transfer-Encoding', 'chunked'],
        ],
      },
      proxyVerdicts.badFraming,
    ],
    [
      'Content-Length with Transfer-Encoding',
      {
        method: 'POST',
        raw: [
          ['Host', 'example.org'],
          ['Content-Length', '5'],
          ['Transfer-Encoding', 'chunked'],
        ],
      },
      proxyVerdicts.badFraming,
    ],
    [
      'Transfer-Encoding alone on 1.1',
      {
        method: 'POST',
        raw: [
          ['Host', 'example.org'],
          ['Transfer-Encoding', 'chunked'],
        ],
      },
      null,
    ],
    [
      'body at the limit',
      {
        method: 'POST',
        raw: [
          ['Host', 'example.org'],
          ['Content-Length', '1000'],
        ],
      },
      null,
    ],
    [
      'body over the limit',
      {
        method: 'POST',
        raw: [
          ['Host', 'example.org'],
          ['Content-Length', '1001'],
        ],
      },
      proxyVerdicts.bodyTooLarge,
    ],
    ['absolute form, known host', { target: 'http://example.org/a?b=1' }, null],
    ['absolute form, unknown host', { target: 'http://evil.com/' }, proxyVerdicts.absoluteForm],
    ['absolute form, other scheme', { target: 'ftp://example.org/' }, proxyVerdicts.absoluteForm],
    ['absolute form, unreadable', { target: 'http://' }, proxyVerdicts.absoluteForm],
    ['authority form', { method: 'CONNECT', target: 'example.org:443' }, proxyVerdicts.absoluteForm],
    ['asterisk on GET', { target: '*' }, proxyVerdicts.absoluteForm],
    ['OPTIONS *', { method: 'OPTIONS', target: '*' }, null],
    [
      'OPTIONS *, unknown host',
      { method: 'OPTIONS', target: '*', raw: [['Host', 'evil.com']] },
      proxyVerdicts.unknownHost,
    ],
    [
      'OPTIONS *, body over the limit',
      {
        method: 'OPTIONS',
        target: '*',
        raw: [
          ['Host', 'example.org'],
          ['Content-Length', '5000'],
        ],
      },
      proxyVerdicts.bodyTooLarge,
    ],
    [
      'h2: no Host count, :authority',
      {
        version: '2.0',
        raw: [
          [':authority', 'example.org'],
          ['host', 'example.org'],
        ],
      },
      null,
    ],
    ['h2: unknown :authority', { version: '2.0', raw: [[':authority', 'evil.com']] }, proxyVerdicts.unknownHost],
  ];
  for (const [name, shape, verdict] of table) assert.equal(run(ctx(shape)), verdict, name);
});

test('an absolute-form target is rewritten to origin form with its own host (it wins over Host)', () => {
  const c = ctx({ target: 'https://www.example.net:8443/p/a?q=1', raw: [['Host', 'example.org']] });
  assert.equal(run(c), null);
  assert.deepEqual([c.host, c.target, c.path, c.query], ['www.example.net:8443', '/p/a?q=1', '/p/a', 'q=1']);
  const creds = ctx({ target: 'http://user:pw@example.org/x' });
  assert.equal(run(creds), null);
  assert.deepEqual([creds.host, creds.target], ['example.org', '/x'], 'credentials never forwarded');
  const smuggle = ctx({ target: 'http://evil.com/', raw: [['Host', 'example.org']] });
  assert.equal(run(smuggle), proxyVerdicts.absoluteForm, 'a known Host does not let an unknown absolute host through');
});

test('splitTarget: path and query', () => {
  const table: [string, string, string][] = [
    ['/', '/', ''],
    ['/a?b=1&c', '/a', 'b=1&c'],
    ['/a?', '/a', ''],
    ['/?x?y', '/', 'x?y'],
    ['*', '*', ''],
  ];
  for (const [t, path, query] of table) {
    const c = ctx({ target: t });
    assert.deepEqual([c.path, c.query], [path, query], t);
  }
});
