// Policy through the full app with a real origin and the real (memory) shared
// state: route classes, allow/deny lists, bans refused at accept (before any
// request is sent), limits per address/prefix/fingerprint/route with 429 +
// Retry-After, mitigations put into state, observe mode. Time is a manual
// clock handed to the app, so expiry is driven by the test, not by sleeping.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { createApp, type App } from '../../src/app/app.js';
import { createLogger } from '../../src/app/logger.js';
import { loadConfigObject } from '../../src/config/load.js';
import { createManualClock } from '../../src/core/clock.js';
import type { Mitigation, RequestContext } from '../../src/core/model.js';
import { startEchoOrigin, type EchoOrigin } from '../helpers/echo-origin.js';
import { tempDataDir } from '../helpers/temp-data-dir.js';

const clock = createManualClock(Date.now());
const seen: { path: string; routeClass: string; shadowRule: string; peer: string }[] = [];
let origin: EchoOrigin;
let app: App;
let raw: Record<string, unknown>;
let port = 0;

before(async () => {
  origin = await startEchoOrigin();
  raw = {
    listen: '127.0.0.1:0',
    origin: origin.url,
    hosts: ['127.0.0.1'],
    admin: { listen: '127.0.0.1:0' },
    data_dir: tempDataDir(),
    trusted_proxies: ['127.0.0.2'],
    limits: { max_connections_per_ip: 1000 },
    challenge: { enabled: false },
    policy: {
      allow: ['127.0.0.77'],
      deny: ['127.0.0.66', '198.51.100.0/24'],
      routes: [{ class: 'export', prefix: '/reports/export', methods: ['POST'] }],
      rate_limits: {
        default: { address: { rate: '1/m', burst: 3 }, prefix: { rate: '1/m', burst: 6 }, fingerprint: 'off' },
        classes: {
          static: { address: 'off', prefix: 'off' },
          export: { route: { rate: '1/h', burst: 2 }, address: 'off', prefix: 'off' },
          sensitive: { fingerprint: { rate: '1/m', burst: 2 }, address: 'off', prefix: 'off' },
        },
      },
    },
  };
  const config = loadConfigObject(raw);
  app = createApp(config, {
    log: createLogger(process.env.RAMPART_TEST_LOG ?? 'silent'),
    clock,
    observers: [
      (ctx: RequestContext) =>
        void seen.push({ path: ctx.path, routeClass: ctx.routeClass, shadowRule: ctx.shadowRule, peer: ctx.peerIp }),
    ],
  });
  await app.start();
  port = app.address()!.port;
});

after(async () => {
  await app.stop();
  await origin.close();
});

interface Reply {
  status: number;
  verdict: string;
  retryAfter: string;
}

function get(
  path: string,
  opts: { from?: string; method?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const r = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        localAddress: opts.from ?? '127.0.0.1',
        agent: false,
        headers: { 'user-agent': 'policy-test/1', ...opts.headers },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            verdict: String(res.headers['rampart-verdict'] ?? ''),
            retryAfter: String(res.headers['retry-after'] ?? ''),
          }),
        );
      },
    );
    r.on('error', reject);
    r.end();
  });
}

/** Connects from `from`, sends nothing (or `send`), returns every byte until the server closes. */
function rawConnect(from: string, send = ''): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, localAddress: from });
    let text = '';
    // A bound, not a wait: every caller expects the shield to close the connection at once.
    const guard = setTimeout(() => {
      s.destroy();
      resolve({ text, closed: false });
    }, 3000);
    s.on('connect', () => send && s.write(send));
    s.on('data', (d) => (text += d.toString('latin1')));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(guard);
      resolve({ text, closed: true });
    });
  });
}

const classOf = (path: string) => seen.filter((s) => s.path === path).at(-1)?.routeClass;

test('route classes: built-in defaults and a custom class by prefix and method', async () => {
  const paths = ['/', '/static/app.css', '/img/x.png', '/api/items', '/login', '/donate', '/admin'];
  for (const [i, p] of paths.entries()) assert.equal((await get(p, { from: `127.0.1.${i + 1}` })).status, 200, p);
  assert.deepEqual(paths.map(classOf), ['page', 'static', 'static', 'api', 'login', 'donate', 'sensitive']);
  await get('/reports/export', { from: '127.0.1.20', method: 'POST' });
  await get('/reports/export/', { from: '127.0.1.21' });
  assert.deepEqual([classOf('/reports/export'), classOf('/reports/export/')], ['export', 'page']);
});

test('limit per address: burst passes, then 429 with Retry-After and limit/address; other addresses unaffected', async () => {
  const out = [];
  for (let i = 0; i < 4; i++) out.push(await get('/page', { from: '127.0.2.1' }));
  assert.deepEqual(
    out.map((r) => r.status),
    [200, 200, 200, 429],
  );
  assert.equal(out[3].verdict, 'limit/address');
  assert.equal(out[3].retryAfter, '60', '1/m: the next token in 60 s');
  assert.equal((await get('/page', { from: '127.0.2.2' })).status, 200);
  assert.equal((await get('/static/a.js', { from: '127.0.2.1' })).status, 200, 'static has no address limit here');
});

test('limit per prefix: many addresses of one /24 share the prefix budget', async () => {
  const out = [];
  for (let i = 1; i <= 7; i++) out.push(await get('/p', { from: `127.0.3.${i}` }));
  assert.deepEqual(
    out.map((r) => r.status),
    [200, 200, 200, 200, 200, 200, 429],
  );
  assert.equal(out[6].verdict, 'limit/prefix');
  assert.equal((await get('/p', { from: '127.0.4.1' })).status, 200, 'another /24 has its own budget');
});

test('limit per fingerprint (sensitive class): same request shape from different prefixes', async () => {
  const out = [];
  for (let i = 1; i <= 3; i++)
    out.push(await get('/admin/users', { from: `127.0.${10 + i}.9`, headers: { accept: 'text/html' } }));
  assert.deepEqual(
    out.map((r) => r.status),
    [200, 200, 429],
  );
  assert.equal(out[2].verdict, 'limit/sensitive.fingerprint');
});

test('limit per route class: all clients of the class together', async () => {
  const out = [];
  for (let i = 1; i <= 3; i++) out.push(await get('/reports/export', { from: `127.0.${20 + i}.1`, method: 'POST' }));
  // Burst 2, and the route-class test above already spent one token.
  assert.deepEqual(
    out.map((r) => r.status),
    [200, 429, 429],
  );
  assert.equal(out[2].verdict, 'limit/export.route');
  assert.equal(out[2].retryAfter, '3600', '1/h: the next token in an hour');
});

test('allow list: never limited; deny list: 403 deny/list (client behind a trusted proxy)', async () => {
  for (let i = 0; i < 8; i++)
    assert.equal((await get('/page', { from: '127.0.0.77' })).status, 200, `allow-listed request ${i}`);
  const d = await get('/page', { from: '127.0.0.2', headers: { 'x-forwarded-for': '198.51.100.9' } });
  assert.deepEqual([d.status, d.verdict], [403, 'deny/list']);
});

test('a ban refuses at accept: the raw socket gets the refusal before sending anything; the origin sees nothing', async () => {
  const before = origin.received.length;
  app.state.addBan({
    target: '127.0.0.50',
    rule: 'ban/manual',
    createdAt: clock.now(),
    until: clock.now() + 60_000,
    reason: 'test',
    source: 'manual',
  });
  const r = await rawConnect('127.0.0.50');
  assert.ok(r.closed, 'server closed the connection');
  assert.match(r.text, /^HTTP\/1\.1 403 /);
  assert.match(r.text, /rampart-verdict: ban\/accept/);
  const withRequest = await rawConnect('127.0.0.50', 'GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  assert.match(withRequest.text, /^HTTP\/1\.1 403 /);
  const denied = await rawConnect('127.0.0.66');
  assert.match(denied.text, /rampart-verdict: ban\/accept/, 'the deny list is refused at accept too');
  assert.equal(origin.received.length, before, 'the origin saw nothing');
  // Behind a trusted proxy the ban applies by client address, in the pipeline.
  const viaProxy = await get('/x', { from: '127.0.0.2', headers: { 'x-forwarded-for': '127.0.0.50' } });
  assert.deepEqual([viaProxy.status, viaProxy.verdict], [403, 'ban/manual']);
  assert.ok(app.state.removeBan('127.0.0.50'));
  assert.equal((await get('/x', { from: '127.0.0.50' })).status, 200, 'unbanned');
});

function mitigation(
  id: string,
  action: Mitigation['action'],
  rule: string,
  match: Partial<Mitigation['match']>,
  until: number,
  rate = 1,
): Mitigation {
  return {
    id,
    action,
    rule,
    rate,
    createdAt: clock.now(),
    until,
    reason: 'test',
    figures: { rps: 1 },
    match: { prefixKeys: [], fingerprints: [], routeClasses: [], paths: [], unverifiedOnly: false, ...match },
  };
}

test('a mitigation put into state takes effect on the next request and stops at until', async () => {
  assert.equal((await get('/campaign', { from: '127.0.30.1' })).status, 200);
  const until = clock.now() + 30_000;
  app.state.putMitigation(mitigation('m-deny', 'deny', 'mitigate/deny-signature', { paths: ['/campaign'] }, until));
  const d = await get('/campaign', { from: '127.0.30.2' });
  assert.deepEqual([d.status, d.verdict], [403, 'mitigate/deny-signature']);
  assert.equal((await get('/other', { from: '127.0.30.3' })).status, 200, 'outside the signature');
  app.state.putMitigation(
    mitigation('m-limit', 'limit', 'mitigate/limit-signature', { paths: ['/slow-down'] }, until, 2),
  );
  const l = [];
  for (let i = 0; i < 3; i++) l.push(await get('/slow-down', { from: '127.0.31.1' }));
  assert.deepEqual(
    l.map((r) => r.status),
    [200, 200, 429],
  );
  assert.equal(l[2].verdict, 'mitigate/limit-signature');
  clock.set(until);
  assert.equal((await get('/campaign', { from: '127.0.30.4' })).status, 200, 'deny stopped at until');
  assert.equal((await get('/slow-down', { from: '127.0.31.1' })).status, 200, 'limit stopped at until');
});

test('observe mode refuses nothing but counts what it would have done', async () => {
  const before = app.state.enforcement();
  app.state.setEnforcement('observe');
  try {
    app.state.addBan({
      target: '127.0.0.51',
      rule: 'ban/auto-flood',
      createdAt: clock.now(),
      until: clock.now() + 60_000,
      reason: 'test',
      source: 'auto',
    });
    const banned = await get('/obs', { from: '127.0.0.51' });
    assert.equal(banned.status, 200, 'banned address served in observe mode');
    assert.equal(seen.at(-1)?.shadowRule, 'ban/auto-flood');
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await get('/obs', { from: '127.0.40.1' })).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200]);
    assert.equal(seen.at(-1)?.shadowRule, 'limit/address');
    const s = app.policyStats();
    assert.ok((s.wouldRefuse['ban/auto-flood'] ?? 0) >= 1);
    assert.equal(s.wouldRefuse['limit/address'], 2, 'burst 3: requests 4 and 5 would have been limited');
    assert.ok((s.wouldRefuse['ban/accept'] ?? 0) >= 1, 'the accept-time ban was counted, not applied');
  } finally {
    app.state.setEnforcement(before);
    app.state.removeBan('127.0.0.51');
  }
});

test('a config reload keeps every client\u2019s buckets: a limited source stays limited', async () => {
  const out = [];
  for (let i = 0; i < 4; i++) out.push((await get('/r', { from: '127.0.50.1' })).status);
  assert.deepEqual(out, [200, 200, 200, 429]);
  const policy = raw.policy as Record<string, unknown>;
  await app.reload(
    loadConfigObject({ ...raw, policy: { ...policy, deny: [...(policy.deny as string[]), '192.0.2.0/24'] } }),
  );
  const after = await get('/r', { from: '127.0.50.1' });
  assert.deepEqual([after.status, after.verdict], [429, 'limit/address']);
  assert.equal((await get('/r', { from: '127.0.50.2' })).status, 200, 'others unaffected');
});
