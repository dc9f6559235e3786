// An HTTP/2 stream the client resets reports res.writableFinished (its
// writable side is gone) though no response was sent: the relay took that for
// a finished response, never aborted the origin request, then paused it
// forever on the first write that failed — each reset stream held an origin
// connection, and 4 resets took a 4-connection pool away from everyone.
// After the fix, resets abort their origin requests and a later request is served.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { connect as h2connect } from 'node:http2';
import { readFileSync } from 'node:fs';
import { startEchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';
import { attackerPreface, getBlock, headers, rstStream } from '../../src/drill/h2-frames.js';
import { waitFor } from '../helpers/wait.js';

const TLS_DIR = join(import.meta.dirname, '../fixtures/tls');

test('HTTP/2 streams reset by the client release their origin connections', async () => {
  const origin = await startEchoOrigin();
  const app = await startShield(origin.url, {
    limits: { origin_connections: 4 },
    origin_protection: { cache: { enabled: false } },
    tls: { listen: '127.0.0.1:0', cert: join(TLS_DIR, 'cert.pem'), key: join(TLS_DIR, 'key.pem') },
  });
  const port = app.address('tls')!.port;
  try {
    // 8 streams to a slow origin path, reset once the origin has them (well under the glitch cap: no GOAWAY).
    const s = connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ALPNProtocols: ['h2'],
      rejectUnauthorized: false,
    });
    s.on('error', () => {});
    await new Promise((r) => s.once('secureConnect', r));
    s.write(attackerPreface());
    for (let i = 0; i < 8; i++) s.write(headers(1 + 2 * i, getBlock('localhost', '/slow/300')));
    await waitFor(() => origin.received.filter((r) => r.url === '/slow/300').length >= 4, {
      what: 'four slow requests at the origin',
      timeoutMs: 5000,
      intervalMs: 20,
    });
    for (let i = 0; i < 8; i++) s.write(rstStream(1 + 2 * i));
    await new Promise((r) => setTimeout(r, 600)); // the slow responses arrive and find their clients gone
    const client = h2connect(`https://localhost:${port}`, { ca: readFileSync(join(TLS_DIR, 'cert.pem')) });
    client.on('error', () => {});
    const status = await new Promise<number>((resolve) => {
      const req = client.request({ ':path': '/after' });
      req.setTimeout(4000, () => req.close());
      let st = 0;
      req.on('response', (h) => (st = Number(h[':status'])));
      req.on('close', () => resolve(st));
      req.resume();
      req.end();
    });
    client.close();
    s.destroy();
    assert.equal(status, 200, 'a request after the resets is served (the pool was not held by paused origin requests)');
    assert.ok(origin.received.some((r) => r.url === '/after'));
  } finally {
    await app.stop();
    await origin.close();
  }
});
