// Origin faults: refused → 502, slow → 504, both with the branded page and
// their verdicts; an origin that appears later is served; nothing crashes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

test('origin refused → 502 origin/unavailable, then served once the origin appears', async () => {
  const port = await freePort();
  const shield = await startShield(`http://127.0.0.1:${port}`);
  try {
    const r = await fetch(`http://127.0.0.1:${shield.port}/x`);
    assert.equal(r.status, 502);
    assert.equal(r.headers.get('rampart-verdict'), 'origin/unavailable');
    assert.match(await r.text(), /The site is not answering/);
    const head = await fetch(`http://127.0.0.1:${shield.port}/x`, { method: 'HEAD' });
    assert.equal(head.status, 502);
    const late = createServer((_q, s) => s.end('late origin'));
    await new Promise<void>((r) => late.listen(port, '127.0.0.1', r));
    const ok = await fetch(`http://127.0.0.1:${shield.port}/x`);
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'late origin');
    late.closeAllConnections();
    await new Promise((r) => late.close(r));
  } finally {
    await shield.stop();
  }
});

test('origin too slow → 504 origin/timeout; a POST body is not lost silently', async () => {
  const origin = await startEchoOrigin();
  const shield = await startShield(origin.url, { limits: { origin_timeout: '300ms' } });
  try {
    const r = await fetch(`http://127.0.0.1:${shield.port}/slow/3000`);
    assert.equal(r.status, 504);
    assert.equal(r.headers.get('rampart-verdict'), 'origin/timeout');
    const fast = await fetch(`http://127.0.0.1:${shield.port}/fast`);
    assert.equal(fast.status, 200, 'the shield keeps serving after a timeout');
    await fast.arrayBuffer();
  } finally {
    await shield.stop();
    await origin.close();
  }
});

test('an origin that dies mid-response truncates the client response instead of faking success', async () => {
  const origin = createServer((_q, s) => {
    s.writeHead(200, { 'content-length': '100000' });
    s.write('partial');
    setTimeout(() => s.socket?.destroy(), 50);
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const shield = await startShield(`http://127.0.0.1:${(origin.address() as AddressInfo).port}`);
  try {
    const r = await fetch(`http://127.0.0.1:${shield.port}/`);
    assert.equal(r.status, 200);
    await assert.rejects(r.text());
    const again = await fetch(`http://127.0.0.1:${shield.port}/`);
    assert.equal(again.status, 200, 'still serving');
    await assert.rejects(again.text());
  } finally {
    await shield.stop();
    origin.closeAllConnections();
    await new Promise((r) => origin.close(r));
  }
});
