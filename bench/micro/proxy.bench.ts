// Micro-benchmarks of the proxy core's per-request pieces (mitata): request
// header hygiene for the origin (untrusted and trusted peer), response header
// relay, the parse stage (host allowlist, framing checks), and the host
// matcher with exact names versus wildcards. The whole chain's cost is in
// bench/load; these say which piece to look at when it regresses.
// Run: node --import tsx bench/micro/proxy.bench.ts
import { bench, do_not_optimize, run, summary } from 'mitata';
import { RequestContext, type Req, type Res } from '../../src/core/model.js';
import { downstreamResponseHeaders, upstreamRequestHeaders } from '../../src/proxy/headers.js';
import { compileHosts, compileHygiene, splitTarget } from '../../src/proxy/hygiene.js';

// A Chrome navigation as llhttp hands it over (rawHeaders) plus a Connection-named header.
const RAW = [
  'Host',
  'www.example.org',
  'Connection',
  'keep-alive, X-Trace',
  'X-Trace',
  'abc',
  'sec-ch-ua',
  '"Chromium";v="126", "Not.A/Brand";v="24"',
  'sec-ch-ua-mobile',
  '?0',
  'Upgrade-Insecure-Requests',
  '1',
  'User-Agent',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Accept',
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
  'Sec-Fetch-Site',
  'none',
  'Sec-Fetch-Mode',
  'navigate',
  'Accept-Encoding',
  'gzip, deflate, br',
  'Accept-Language',
  'en-GB,en;q=0.9',
  'Cookie',
  'session=abc123; theme=dark',
  'X-Forwarded-For',
  '198.51.100.7',
];
const headers: Record<string, string> = {};
for (let i = 0; i < RAW.length; i += 2) headers[RAW[i].toLowerCase()] = RAW[i + 1];

function context(): RequestContext {
  const req = {
    method: 'GET',
    url: '/news/story?id=7',
    httpVersion: '1.1',
    rawHeaders: RAW,
    headers,
  } as unknown as Req;
  const ctx = new RequestContext(req, {} as Res);
  ctx.method = 'GET';
  ctx.target = '/news/story?id=7';
  splitTarget(ctx);
  ctx.host = 'www.example.org';
  ctx.peerIp = '203.0.113.9';
  ctx.clientIp = ctx.peerIp;
  return ctx;
}

const ORIGIN_RESPONSE: Record<string, string | string[]> = {
  'content-type': 'text/html; charset=utf-8',
  'content-length': '5123',
  'cache-control': 'public, max-age=10',
  date: 'Sun, 22 Nov 2026 21:00:00 GMT',
  connection: 'keep-alive',
  'keep-alive': 'timeout=5',
  'set-cookie': ['a=1; Path=/', 'b=2; Path=/'],
  etag: '"abc"',
  vary: 'Accept-Encoding',
};

const ctx = context();
const exact = compileHosts(['example.org', 'www.example.org', 'static.example.org']);
const wild = compileHosts(['example.org', '*.example.org', '*.example.net', '*.example.com']);
const parse = compileHygiene(exact, 10 * 1024 * 1024);

summary(() => {
  bench('upstreamRequestHeaders, untrusted peer (14 headers)', () =>
    do_not_optimize(upstreamRequestHeaders(ctx, false, false)),
  );
  bench('upstreamRequestHeaders, trusted proxy (XFF kept)', () =>
    do_not_optimize(upstreamRequestHeaders(ctx, true, false)),
  );
});
bench('downstreamResponseHeaders (9 headers, 2 cookies)', () =>
  do_not_optimize(downstreamResponseHeaders(ORIGIN_RESPONSE, 'default/allow')),
);
bench('parse stage: clean request', () => do_not_optimize(parse.run(ctx)));
summary(() => {
  bench('hosts.has: exact list', () => do_not_optimize(exact.has('www.example.org:8080')));
  bench('hosts.has: wildcard list', () => do_not_optimize(wild.has('shop.example.com')));
  bench('hosts.has: miss', () => do_not_optimize(wild.has('evil.example')));
});

await run();
