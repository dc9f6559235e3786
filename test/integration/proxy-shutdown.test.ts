// Shutdown never hangs on long-lived connections: an idle HTTP/2 session is
// sent GOAWAY and closed, and a WebSocket tunnel whose origin never hangs up
// is cut once drain_timeout has passed; requests in flight still finish.
// (node:http's closeAllConnections() sees neither: listeners.ts tracks them.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as h2connect } from 'node:http2';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { startEchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';

const TLS_DIR = join(import.meta.dirname, '../fixtures/tls');
const ca = readFileSync(join(TLS_DIR, 'cert.pem'));
const tls = { listen: '127.0.0.1:0', cert: join(TLS_DIR, 'cert.pem'), key: join(TLS_DIR, 'key.pem') };

test('stop() closes an idle HTTP/2 session (GOAWAY) instead of waiting for the client', async () => {
  const origin = await startEchoOrigin();
  const shield = await startShield(origin.url, { tls, limits: { drain_timeout: '30s' } });
  const client = h2connect(`https://localhost:${shield.address('tls')!.port}`, { ca });
  try {
    client.on('error', () => {});
    const status = await new Promise<number>((resolve, reject) => {
      const req = client.request({ ':path': '/h2' });
      req.on('response', (h) => resolve(Number(h[':status'])));
      req.on('error', reject);
      req.resume();
      req.end();
    });
    assert.equal(status, 200);
    const sessionClosed = new Promise<void>((r) => client.once('close', () => r()));
    const goaway = new Promise<boolean>((r) => client.once('goaway', () => r(true)));
    // The client keeps its session open; stop() must not wait the 30 s drain for it.
    await shield.stop();
    assert.equal(await goaway, true, 'the client was told to go away');
    await sessionClosed;
  } finally {
    client.destroy();
    await origin.close();
  }
});

test('stop() cuts a WebSocket tunnel the origin keeps open, after the drain time', async () => {
  const origin = await startEchoOrigin();
  const stuck: Socket[] = [];
  origin.server.on('upgrade', (_req, socket: Socket) => {
    stuck.push(socket);
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    socket.on('error', () => {}); // never ends its side: a stuck origin
  });
  const shield = await startShield(origin.url, { limits: { drain_timeout: '300ms' } });
  const s = connect({ port: shield.port, host: '127.0.0.1' });
  s.on('error', () => {});
  const clientClosed = new Promise<void>((r) => s.once('close', () => r()));
  await new Promise<void>((resolve) => {
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n\r\n')) resolve();
    });
    s.write(
      'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
  });
  assert.equal(shield.inFlight(), 1, 'the tunnel counts as in flight');
  await shield.stop();
  await clientClosed;
  assert.ok(s.destroyed, 'the client side of the tunnel was closed');
  for (const o of stuck) o.destroy(); // the stuck origin's own side, so that it can close
  await origin.close();
});
