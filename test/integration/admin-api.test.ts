// The admin API through a real Rampart: auth (401/403/429), every core
// endpoint's happy path and bad input, JSON errors with codes and hints,
// reload from the file (a bad file is refused, the old config keeps serving),
// and a ban added through the API being enforced by the proxy.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { startEchoOrigin, type EchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';
import { adminRequest } from '../../src/control/admin-client.js';
import { tempDataDir } from '../helpers/temp-data-dir.js';

const TOKEN = 'test-admin-token-0123456789';
let origin: EchoOrigin;
let shield: Awaited<ReturnType<typeof startShield>>;
let admin = '';
const dir = mkdtempSync(join(tmpdir(), 'rampart-admin-'));
const file = join(dir, 'rampart.yaml');
const dataDir = tempDataDir(); // the reloaded file names it too: not the shared ./data

function yaml(originUrl: string, extra = ''): string {
  return `listen: 127.0.0.1:0\norigin: ${originUrl}\nhosts: [127.0.0.1, localhost]\ndata_dir: ${dataDir}\nadmin:\n  listen: 127.0.0.1:0\n  token: ${TOKEN}\n${extra}`;
}

function proxyGet(
  port: number,
  path: string,
  localAddress = '127.0.0.1',
): Promise<{ status: number; verdict: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, localAddress, headers: { host: '127.0.0.1' }, agent: false },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, verdict: String(res.headers['rampart-verdict'] ?? '') }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  origin = await startEchoOrigin();
  writeFileSync(file, yaml(origin.url));
  shield = await startShield(
    origin.url,
    { data_dir: dataDir, admin: { listen: '127.0.0.1:0', token: TOKEN } },
    { configFile: file },
  );
  admin = shield.control.url();
});

after(async () => {
  await shield?.stop();
  await origin?.close();
  rmSync(dir, { recursive: true, force: true });
});

const call = (method: string, path: string, body?: unknown, token = TOKEN) =>
  adminRequest(admin, method, path, { token, body });

test('auth: 401 without a token, 403 with a wrong one, both as JSON errors with a hint', async () => {
  const none = await adminRequest(admin, 'GET', '/api/status', { localAddress: '127.0.0.21' });
  assert.equal(none.status, 401);
  assert.equal(none.json.error.code, 'E_AUTH_MISSING');
  assert.match(none.json.error.hint, /Authorization: Bearer/);
  const wrong = await adminRequest(admin, 'GET', '/api/status', { token: 'not-the-token', localAddress: '127.0.0.21' });
  assert.equal(wrong.status, 403);
  assert.equal(wrong.json.error.code, 'E_AUTH_TOKEN');
});

test('auth: repeated failures from one address get 429, even with the right token; other addresses are unaffected', async () => {
  const from = '127.0.0.22';
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++)
    statuses.push(
      (await adminRequest(admin, 'GET', '/api/status', { token: `guess-${i}`, localAddress: from })).status,
    );
  assert.deepEqual(statuses, [403, 403, 403, 403, 403, 429]);
  const right = await adminRequest(admin, 'GET', '/api/status', { token: TOKEN, localAddress: from });
  assert.equal(right.status, 429);
  assert.ok(Number(right.headers['retry-after']) > 0);
  assert.equal(right.json.error.code, 'E_AUTH_RATE');
  const other = await adminRequest(admin, 'GET', '/api/status', { token: TOKEN, localAddress: '127.0.0.23' });
  assert.equal(other.status, 200);
});

test('GET /api/status reports mode, enforcement, rates, state health and version', async () => {
  const r = await call('GET', '/api/status');
  assert.equal(r.status, 200);
  assert.equal(r.json.mode, 'normal');
  assert.equal(r.json.enforcement, 'enforce');
  assert.equal(typeof r.json.rates.rps, 'number');
  assert.equal(r.json.state.backend, 'memory');
  assert.equal(r.json.state.connected, true);
  assert.match(r.json.version, /^\d+\.\d+\.\d+/);
  assert.equal(r.headers['cache-control'], 'no-store');
});

test('GET /api/series returns aligned per-second arrays; bad seconds is a 400', async () => {
  const r = await call('GET', '/api/series?seconds=30');
  assert.equal(r.status, 200);
  assert.equal(r.json.seconds.length, 30);
  assert.equal(r.json.total.length, 30);
  assert.equal(r.json.sources.length, 30);
  assert.equal(r.json.seconds[29] - r.json.seconds[0], 29);
  for (const bad of ['0', '300', 'abc', '2.5']) {
    const b = await call('GET', `/api/series?seconds=${bad}`);
    assert.equal(b.status, 400, bad);
    assert.equal(b.json.error.code, 'E_SERIES_SECONDS');
  }
});

test('bans: add, list, remove (CIDR URL-encoded); bad input gets codes', async () => {
  const add = await call('POST', '/api/bans', { target: '198.51.100.0/24', duration: '10m', reason: 'test range' });
  assert.equal(add.status, 201);
  assert.equal(add.json.ban.rule, 'ban/manual');
  assert.equal(add.json.ban.until - add.json.ban.createdAt, 600_000);
  const ls = await call('GET', '/api/bans');
  assert.ok(ls.json.bans.some((b: { target: string }) => b.target === '198.51.100.0/24'));
  assert.ok(shield.state.isBanned('198.51.100.77', Date.now()));
  const rm = await call('DELETE', `/api/bans/${encodeURIComponent('198.51.100.0/24')}`);
  assert.equal(rm.status, 200);
  assert.equal(shield.state.isBanned('198.51.100.77', Date.now()), null);
  assert.equal(
    (await call('DELETE', `/api/bans/${encodeURIComponent('198.51.100.0/24')}`)).json.error.code,
    'E_BAN_NOT_FOUND',
  );
  const cases: [unknown, number, string][] = [
    [{ target: 'not-an-ip' }, 400, 'E_BAN_TARGET'],
    [{}, 400, 'E_BAN_TARGET'],
    [{ target: '10.0.0.0/4' }, 400, 'E_BAN_TOO_WIDE'],
    [{ target: '203.0.113.9', duration: 'forever' }, 400, 'E_BAN_DURATION'],
    [{ target: '203.0.113.9', duration: '90d' }, 400, 'E_BAN_DURATION'],
    [{ target: '203.0.113.9', reason: 42 }, 400, 'E_BAN_REASON'],
    [{ target: '203.0.113.9', until: 5 }, 400, 'E_BAN_BODY'],
    [[1, 2], 400, 'E_BAN_BODY'],
  ];
  for (const [body, status, code] of cases) {
    const r = await call('POST', '/api/bans', body);
    assert.equal(r.status, status, JSON.stringify(body));
    assert.equal(r.json.error.code, code, JSON.stringify(body));
    assert.ok(r.json.error.hint.length > 0);
  }
  const notJson = await adminRequest(admin, 'POST', '/api/bans', {
    token: TOKEN,
    headers: { 'content-type': 'application/json' },
    body: undefined,
  });
  assert.equal(notJson.status, 400); // empty body → no target
  assert.equal((await call('DELETE', '/api/bans/bogus')).json.error.code, 'E_BAN_TARGET');
});

test('a ban added through the API is refused by the proxy for that address only', async () => {
  assert.equal((await proxyGet(shield.port, '/before', '127.0.0.31')).status, 200);
  const add = await call('POST', '/api/bans', { target: '127.0.0.31', duration: '1m', reason: 'integration test' });
  assert.equal(add.status, 201);
  const refused = await proxyGet(shield.port, '/after', '127.0.0.31');
  assert.equal(refused.status, 403);
  assert.match(refused.verdict, /^ban\//);
  assert.equal((await proxyGet(shield.port, '/other', '127.0.0.32')).status, 200);
  assert.ok(!origin.received.some((r) => r.url === '/after'), 'the banned request never reached the origin');
  await call('DELETE', '/api/bans/127.0.0.31');
});

test('POST /api/mode forces under_attack and normal, clears with auto, switches enforcement', async () => {
  let r = await call('POST', '/api/mode', { mode: 'under_attack' });
  assert.equal(r.status, 200);
  assert.equal(shield.state.mode(), 'under_attack');
  assert.equal((await call('GET', '/api/status')).json.mode, 'under_attack');
  r = await call('POST', '/api/mode', { enforcement: 'observe' });
  assert.equal(shield.state.enforcement(), 'observe');
  r = await call('POST', '/api/mode', { mode: 'auto', enforcement: 'enforce' });
  assert.equal(r.status, 200);
  assert.equal(shield.state.mode(), 'normal');
  assert.equal(shield.state.enforcement(), 'enforce');
  for (const [body, code] of [
    [{ mode: 'panic' }, 'E_MODE'],
    [{ enforcement: 'maybe' }, 'E_ENFORCEMENT'],
    [{}, 'E_MODE_BODY'],
    [{ mode: 3 }, 'E_MODE'],
  ] as const) {
    const b = await call('POST', '/api/mode', body);
    assert.equal(b.status, 400);
    assert.equal(b.json.error.code, code);
  }
  const badJson = await new Promise<number>((resolve, reject) => {
    const req = request(
      `${admin}/api/mode`,
      { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end('{"mode": ');
  });
  assert.equal(badJson, 400);
});

test('POST /api/reload applies a good file and refuses a bad one with its errors; the old config keeps serving', async () => {
  writeFileSync(file, yaml(origin.url, 'log:\n  access_sample: 0.5\n'));
  const ok = await call('POST', '/api/reload');
  assert.equal(ok.status, 200);
  assert.equal(shield.config.log.accessSample, 0.5);
  writeFileSync(file, yaml(origin.url, 'limits:\n  max_conections: 5\n'));
  const bad = await call('POST', '/api/reload');
  assert.equal(bad.status, 422);
  assert.equal(bad.json.error.code, 'E_CONFIG');
  assert.ok(
    bad.json.error.details.issues.some(
      (i: { path: string; hint: string }) => i.path === 'limits.max_conections' && /max_connections/.test(i.hint),
    ),
  );
  assert.equal(shield.config.log.accessSample, 0.5);
  assert.equal((await proxyGet(shield.port, '/still-serving')).status, 200);
});

test('unknown endpoints are 404, wrong methods 405 with Allow, all JSON', async () => {
  const nf = await call('GET', '/api/nope');
  assert.equal(nf.status, 404);
  assert.equal(nf.json.error.code, 'E_NOT_FOUND');
  const m = await call('PUT', '/api/bans');
  assert.equal(m.status, 405);
  assert.match(String(m.headers.allow), /GET/);
  assert.match(String(m.headers.allow), /POST/);
});
