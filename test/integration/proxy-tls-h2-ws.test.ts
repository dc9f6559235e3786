// TLS listener with HTTP/2 and HTTP/1.1 (ALPN), and WebSocket upgrades passed
// through to the origin over the plain listener.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as h2connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { startEchoOrigin, type EchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';
import type { App } from '../../src/app/app.js';

const TLS_DIR = join(import.meta.dirname, '../fixtures/tls');
const ca = readFileSync(join(TLS_DIR, 'cert.pem'));
let origin: EchoOrigin;
let shield: App & { port: number };
let tlsPort = 0;

before(async () => {
  origin = await startEchoOrigin();
  // A minimal WebSocket endpoint on the echo origin: handshake, then echo raw bytes.
  origin.server.on('upgrade', (req, socket: Socket) => {
    const key = String(req.headers['sec-websocket-key']);
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nX-Seen-XFF: ${req.headers['x-forwarded-for']}\r\n\r\n`,
    );
    socket.on('data', (d) => socket.write(d));
    socket.on('end', () => socket.end()); // a real WebSocket server closes when the peer does
  });
  shield = await startShield(origin.url, {
    tls: { listen: '127.0.0.1:0', cert: join(TLS_DIR, 'cert.pem'), key: join(TLS_DIR, 'key.pem') },
  });
  tlsPort = shield.address('tls')!.port;
});
after(async () => {
  await shield.stop();
  await origin.close();
});

test('HTTP/2 over TLS is forwarded with the verdict header and X-Forwarded-Proto https', async () => {
  const client = h2connect(`https://localhost:${tlsPort}`, { ca });
  try {
    const res = await new Promise<{ status: number; verdict: string; body: string }>((resolve, reject) => {
      const req = client.request({ ':path': '/h2?x=1', ':method': 'GET' });
      let status = 0;
      let verdict = '';
      let body = '';
      req.on('response', (h) => {
        status = Number(h[':status']);
        verdict = String(h['rampart-verdict']);
      });
      req.setEncoding('utf8');
      req.on('data', (d) => (body += d));
      req.on('end', () => resolve({ status, verdict, body }));
      req.on('error', reject);
      req.end();
    });
    assert.equal(res.status, 200);
    assert.equal(res.verdict, 'default/allow');
    const got = JSON.parse(res.body);
    assert.equal(got.url, '/h2?x=1');
    assert.equal(got.headers['x-forwarded-proto'], 'https');
    assert.equal(got.headers.host, `localhost:${tlsPort}`);
  } finally {
    client.close();
  }
});

test('HTTP/2 with an unknown :authority is refused', async () => {
  const client = h2connect(`https://localhost:${tlsPort}`, { ca });
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const req = client.request({ ':path': '/', ':authority': 'evil.example' });
      req.on('response', (h) => resolve(Number(h[':status'])));
      req.on('error', reject);
      req.resume();
      req.end();
    });
    assert.equal(status, 421);
  } finally {
    client.close();
  }
});

test('HTTP/1.1 over TLS still works (ALPN fallback)', async () => {
  const body = await new Promise<string>((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port: tlsPort, path: '/h1', ca, servername: 'localhost', headers: { host: 'localhost' } },
      (res) => {
        let b = '';
        res.on('data', (d) => (b += d));
        res.on('end', () => resolve(b));
      },
    );
    req.on('error', reject);
    req.end();
  });
  assert.equal(JSON.parse(body).httpVersion, '1.1');
});

test('a WebSocket upgrade passes through and frames flow both ways', async () => {
  const s = connect({ port: shield.port, host: '127.0.0.1' });
  const got = await new Promise<string>((resolve, reject) => {
    let buf = '';
    let sentFrame = false;
    s.on('error', reject);
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (!sentFrame && buf.includes('\r\n\r\n')) {
        sentFrame = true;
        s.write('ping-frame-bytes');
      }
      if (buf.includes('ping-frame-bytes')) resolve(buf);
    });
    s.write(
      'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
  });
  s.destroy();
  assert.match(got, /^HTTP\/1\.1 101 /);
  assert.match(got, /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/);
  assert.match(got, /X-Seen-XFF: 127\.0\.0\.1/);
});

test('a WebSocket upgrade for an unknown host is refused before the origin', async () => {
  const before = origin.received.length;
  const s = connect({ port: shield.port, host: '127.0.0.1' });
  const reply = await new Promise<string>((resolve) => {
    let buf = '';
    s.on('data', (d) => (buf += d));
    s.on('close', () => resolve(buf));
    s.on('error', () => {});
    s.write('GET /ws HTTP/1.1\r\nHost: evil.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
  });
  assert.match(reply, /^HTTP\/1\.1 421 /);
  assert.equal(origin.received.length, before);
});
