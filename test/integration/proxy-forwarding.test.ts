// Forwarding through a real Rampart to a real origin: methods, bodies streamed
// both ways, headers, statuses, HEAD, keep-alive reuse towards the origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startEchoOrigin, type EchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';
import type { App } from '../../src/app/app.js';

let origin: EchoOrigin;
let shield: App & { port: number };
let base: string;

before(async () => {
  origin = await startEchoOrigin();
  shield = await startShield(origin.url);
  base = `http://127.0.0.1:${shield.port}`;
});
after(async () => {
  await shield.stop();
  await origin.close();
});

for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
  test(`forwards ${method}`, async () => {
    const body = method === 'GET' || method === 'OPTIONS' ? undefined : `body-of-${method}`;
    const r = await fetch(`${base}/m/${method}`, { method, body });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('rampart-verdict'), 'default/allow');
    const got = await r.json();
    assert.equal(got.method, method);
    assert.equal(got.body, body ?? '');
  });
}

test('HEAD gets headers and no body', async () => {
  const r = await fetch(`${base}/head`, { method: 'HEAD' });
  assert.equal(r.status, 200);
  assert.equal((await r.arrayBuffer()).byteLength, 0);
});

test('origin statuses and multiple Set-Cookie headers pass through', async () => {
  for (const code of [201, 204, 301, 404, 410, 500, 503]) {
    const r = await fetch(`${base}/status/${code}`, { redirect: 'manual' });
    assert.equal(r.status, code);
    assert.equal(r.headers.get('x-origin'), 'echo');
    await r.arrayBuffer();
  }
  const c = await fetch(`${base}/cookies`);
  assert.deepEqual(c.headers.getSetCookie(), ['a=1; Path=/', 'b=2; Path=/']);
  await c.arrayBuffer();
});

test('a large request body streams to the origin intact', async () => {
  const big = Buffer.alloc(5 * 1024 * 1024, 'z');
  const r = await fetch(`${base}/upload`, { method: 'POST', body: big });
  const got = await r.json();
  assert.equal(got.bodyBytes, big.length);
});

test('a chunked request body of unknown length streams through', async () => {
  const parts = ['alpha-', 'beta-', 'gamma'];
  const stream = new ReadableStream({
    start(c) {
      for (const p of parts) c.enqueue(new TextEncoder().encode(p));
      c.close();
    },
  });
  const r = await fetch(`${base}/chunked`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
  const got = await r.json();
  assert.equal(got.body, parts.join(''));
  // Re-framed for the origin: chunked, or a Content-Length when the whole body had already arrived.
  const te = got.headers['transfer-encoding'];
  assert.ok(
    te === 'chunked' || Number(got.headers['content-length']) === parts.join('').length,
    JSON.stringify(got.headers),
  );
});

test('a large response streams to a slow reader with backpressure', async () => {
  const kb = 8 * 1024;
  const received = await new Promise<number>((resolve, reject) => {
    const req = request(`${base}/big/${kb}`, (res) => {
      let n = 0;
      res.pause();
      setTimeout(() => res.resume(), 200); // the client stops reading for a while
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () => resolve(n));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(received, kb * 1024);
});

test('connections to the origin are kept alive and reused', async () => {
  const before = origin.connections;
  for (let i = 0; i < 30; i++) await (await fetch(`${base}/reuse/${i}`)).arrayBuffer();
  assert.ok(
    origin.connections - before <= 2,
    `opened ${origin.connections - before} origin connections for 30 sequential requests`,
  );
});
