// Admin token rules: a non-loopback admin listener without a token is a config
// error (Rampart refuses to start); on loopback with no token a random token is
// generated for the run, and the API still requires it. Metrics on a
// non-loopback listener need the token unless admin.metrics_public is set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigObject } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { startEchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';
import { adminRequest } from '../../src/control/admin-client.js';

const base = { origin: 'http://127.0.0.1:3000', hosts: ['example.org'] };

test('a non-loopback admin listener without a token is refused with a hint', () => {
  for (const listen of ['0.0.0.0:9090', '[::]:9090', '192.0.2.10:9090', ':9090']) {
    assert.throws(
      () => loadConfigObject({ ...base, admin: { listen } }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        const issue = e.issues.find((i) => i.path === 'admin.token');
        assert.ok(issue, listen);
        assert.match(issue.message, /needs a token/);
        assert.match(issue.hint, /openssl rand -hex 32|listen on 127\.0\.0\.1/);
        return true;
      },
    );
  }
  for (const listen of ['127.0.0.1:9090', '127.0.0.2:0', '[::1]:9090', 'localhost:9090'])
    assert.doesNotThrow(() => loadConfigObject({ ...base, admin: { listen } }), listen);
  assert.doesNotThrow(() =>
    loadConfigObject({ ...base, admin: { listen: '0.0.0.0:9090', token: 'a-long-enough-token-123' } }),
  );
});

test('no token on loopback: one is generated and required', async () => {
  delete process.env.RAMPART_ADMIN_TOKEN; // this test is about the generated token
  const origin = await startEchoOrigin();
  const shield = await startShield(origin.url, { data_dir: '/nonexistent-rampart-dir' });
  try {
    const token = shield.control.token();
    assert.ok(token.length >= 32);
    const url = shield.control.url();
    assert.equal((await adminRequest(url, 'GET', '/api/status')).status, 401);
    assert.equal((await adminRequest(url, 'GET', '/api/status', { token })).status, 200);
    assert.equal((await adminRequest(url, 'GET', '/metrics')).status, 200);
    const other = await startShield(origin.url);
    assert.notEqual(other.control.token(), token, 'each run gets its own token');
    await other.stop();
  } finally {
    await shield.stop();
    await origin.close();
  }
});

test('with admin.token unset, RAMPART_ADMIN_TOKEN is used (one token for every worker of a cluster)', async () => {
  const origin = await startEchoOrigin();
  const prev = process.env.RAMPART_ADMIN_TOKEN;
  process.env.RAMPART_ADMIN_TOKEN = 'from-the-environment-0123456789';
  try {
    const a = await startShield(origin.url);
    const b = await startShield(origin.url);
    assert.equal(a.control.token(), 'from-the-environment-0123456789');
    assert.equal(b.control.token(), a.control.token());
    assert.equal(
      (await adminRequest(a.control.url(), 'GET', '/api/status', { token: 'from-the-environment-0123456789' })).status,
      200,
    );
    await a.stop();
    await b.stop();
  } finally {
    if (prev === undefined) delete process.env.RAMPART_ADMIN_TOKEN;
    else process.env.RAMPART_ADMIN_TOKEN = prev;
    await origin.close();
  }
});

test('/metrics needs the token off loopback unless metrics_public', async () => {
  const origin = await startEchoOrigin();
  const token = 'metrics-token-0123456789';
  // 0.0.0.0 is not loopback, but the test still connects over 127.0.0.1.
  const closed = await startShield(origin.url, { admin: { listen: '0.0.0.0:0', token } });
  const open = await startShield(origin.url, { admin: { listen: '0.0.0.0:0', token, metrics_public: true } });
  try {
    const at = (s: typeof closed) => `http://127.0.0.1:${new URL(s.control.url()).port}`;
    assert.equal((await adminRequest(at(closed), 'GET', '/metrics')).status, 401);
    assert.equal((await adminRequest(at(closed), 'GET', '/metrics', { token })).status, 200);
    assert.equal((await adminRequest(at(open), 'GET', '/metrics')).status, 200);
    assert.equal((await adminRequest(at(open), 'GET', '/api/status')).status, 401);
  } finally {
    await closed.stop();
    await open.stop();
    await origin.close();
  }
});

test('an admin port in use fails start with a hint and leaves no proxy listener open', async () => {
  const { createServer } = await import('node:net');
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  const port = (busy.address() as { port: number }).port;
  const origin = await startEchoOrigin();
  try {
    await assert.rejects(startShield(origin.url, { admin: { listen: `127.0.0.1:${port}` } }), (e: unknown) => {
      assert.equal((e as { code?: string }).code, 'E_ADMIN_LISTEN');
      assert.match((e as { hint?: string }).hint ?? '', /admin\.listen/);
      return true;
    });
  } finally {
    busy.close();
    await origin.close();
  }
});

test('a proxy port in use fails start and closes the admin listener it had opened', async () => {
  const { createServer, connect } = await import('node:net');
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  const busyPort = (busy.address() as { port: number }).port;
  const free = createServer();
  await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
  const adminPort = (free.address() as { port: number }).port;
  await new Promise<void>((r) => free.close(() => r()));
  const origin = await startEchoOrigin();
  try {
    await assert.rejects(
      startShield(origin.url, { listen: `127.0.0.1:${busyPort}`, admin: { listen: `127.0.0.1:${adminPort}` } }),
      /port is in use/,
    );
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: adminPort });
      s.once('connect', () => {
        s.destroy();
        resolve(false);
      });
      s.once('error', () => resolve(true));
    });
    assert.ok(refused, 'the admin listener was closed');
  } finally {
    busy.close();
    await origin.close();
  }
});
