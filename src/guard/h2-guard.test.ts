// The HTTP/2 guard on a real node:http2 TLS server with raw-frame clients:
// each cap closes the session with GOAWAY(ENHANCE_YOUR_CALM) and reports it
// once, with the reason and figures; a client that cancels a few streams of
// many stays under every cap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import { connect, type TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createH2Guard, type H2AbuseReport, type H2Guard, type H2GuardLimits } from './h2-guard.js';
import {
  attackerPreface,
  getBlock,
  headers,
  ping,
  rapidResetBurst,
  rstStream,
  settings,
  T,
} from '../drill/h2-frames.js';

const TLS_DIR = join(import.meta.dirname, '../../test/fixtures/tls');
const LIMITS: H2GuardLimits = {
  glitchLimit: 100,
  clientGlitchLimit: 0,
  resetRatio: 0.5,
  resetMinStreams: 100,
  maxStreamsPerSession: 0,
  controlFramesPerSecond: 20,
  stallSeconds: 0,
};

async function server(
  limits: Partial<H2GuardLimits>,
): Promise<{ srv: Http2SecureServer; guard: H2Guard; reports: H2AbuseReport[]; port: number }> {
  const reports: H2AbuseReport[] = [];
  const guard = createH2Guard({ limits: { ...LIMITS, ...limits }, now: Date.now, onAbuse: (r) => reports.push(r) });
  const srv = createSecureServer({
    cert: readFileSync(join(TLS_DIR, 'cert.pem')),
    key: readFileSync(join(TLS_DIR, 'key.pem')),
  });
  srv.on('session', (s) => guard.watch(s));
  // Answer slowly, so that a client's reset always comes before the response.
  srv.on('stream', (stream, hd) => {
    if (hd[':path'] === '/big') {
      stream.respond({ ':status': 200 });
      stream.end(Buffer.alloc(256 * 1024));
      return;
    }
    setTimeout(() => !stream.destroyed && stream.respond({ ':status': 200 }, { endStream: true }), 30);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { srv, guard, reports, port: (srv.address() as { port: number }).port };
}

/** A raw h2 client: writes `chunks`, returns the GOAWAY codes it read and whether the server closed. */
function client(port: number, chunks: Buffer[], waitMs = 600): Promise<{ goaways: number[]; closed: boolean }> {
  return new Promise((resolve) => {
    const s: TLSSocket = connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ALPNProtocols: ['h2'],
      rejectUnauthorized: false,
    });
    const goaways: number[] = [];
    let closed = false;
    let buf = Buffer.alloc(0);
    s.on('error', () => {});
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      let i = 0;
      while (i + 9 <= buf.length) {
        const len = buf.readUIntBE(i, 3);
        if (i + 9 + len > buf.length) break;
        if (buf[i + 3] === T.GOAWAY) goaways.push(buf.readUInt32BE(i + 13));
        i += 9 + len;
      }
      buf = buf.subarray(i);
    });
    s.on('close', () => (closed = true));
    s.once('secureConnect', async () => {
      s.write(attackerPreface());
      for (const c of chunks) {
        s.write(c);
        await new Promise((r) => setTimeout(r, 5));
      }
      setTimeout(() => {
        s.destroy();
        resolve({ goaways, closed });
      }, waitMs);
    });
  });
}

test('rapid reset: GOAWAY(ENHANCE_YOUR_CALM) at the glitch cap, reported once with its figures', async () => {
  const { srv, guard, reports, port } = await server({ resetMinStreams: 1_000_000 });
  try {
    const r = await client(port, [rapidResetBurst(1, 150, 'localhost')]);
    assert.deepEqual(r.goaways.slice(0, 1), [11], 'ENHANCE_YOUR_CALM');
    assert.equal(reports.length, 1);
    assert.equal(reports[0].reason, 'glitches');
    assert.equal(reports[0].glitches, 100);
    assert.equal(reports[0].ip, '127.0.0.1');
    assert.equal(guard.stats().abusiveSessions, 1);
  } finally {
    srv.close();
  }
});

test('premature-reset ratio (Envoy): over half the streams reset once 100 were opened', async () => {
  const { srv, reports, port } = await server({ glitchLimit: 0 });
  try {
    const r = await client(port, [rapidResetBurst(1, 120, 'localhost')]);
    assert.ok(r.goaways.includes(11));
    assert.equal(reports[0]?.reason, 'premature-resets');
    assert.equal(reports[0].streams, 100);
  } finally {
    srv.close();
  }
});

test('PING and SETTINGS floods: each frame over the allowance is a glitch', async () => {
  const { srv, reports, guard, port } = await server({});
  try {
    const flood = Buffer.concat([
      ...Array.from({ length: 80 }, (_, i) => ping(i)),
      ...Array.from({ length: 60 }, () => settings([[4, 65535]])),
    ]);
    const r = await client(port, [flood]);
    assert.ok(r.goaways.includes(11));
    assert.equal(reports[0]?.reason, 'glitches');
    assert.ok(guard.stats().controlFrames >= 120);
  } finally {
    srv.close();
  }
});

test('the client cap spans sessions: a second session of the address is closed at once', async () => {
  const { srv, reports, port } = await server({ glitchLimit: 0, resetMinStreams: 1_000_000, clientGlitchLimit: 120 });
  try {
    await client(port, [rapidResetBurst(1, 90, 'localhost')]);
    assert.equal(reports.length, 0, '90 glitches: under the client cap');
    const second = await client(port, [rapidResetBurst(1, 40, 'localhost')]);
    assert.ok(second.goaways.includes(11));
    assert.equal(reports[0]?.reason, 'client-glitches');
    assert.ok(reports[0].clientGlitches >= 120);
    const third = await client(port, []);
    assert.ok(third.goaways.includes(11), 'a new session of the same address gets GOAWAY at once');
  } finally {
    srv.close();
  }
});

test('zero-window stall: a client that stops reading (never sends WINDOW_UPDATE) is closed after stall_timeout', async () => {
  const { srv, guard, reports, port } = await server({ stallSeconds: 2 });
  try {
    const pending = client(port, [headers(1, getBlock('localhost', '/big'))], 900);
    await new Promise((r) => setTimeout(r, 400)); // 64 KiB sent, the connection window is spent
    guard.sweep(Date.now());
    assert.equal(reports.length, 0, 'one stalled second is not yet a stall');
    guard.sweep(Date.now());
    const r = await pending;
    assert.equal(reports[0]?.reason, 'zero-window');
    assert.ok(r.goaways.includes(11));
  } finally {
    srv.close();
  }
});

test('a client that cancels a few streams of many stays under every cap', async () => {
  const { srv, reports, port } = await server({ clientGlitchLimit: 200 });
  try {
    const block = getBlock('localhost');
    const chunks: Buffer[] = [];
    for (let i = 0; i < 150; i++) chunks.push(headers(1 + 2 * i, block));
    for (let i = 0; i < 10; i++) chunks.push(rstStream(1 + 2 * i));
    const r = await client(port, [Buffer.concat(chunks)], 800);
    assert.deepEqual(r.goaways, []);
    assert.equal(reports.length, 0);
  } finally {
    srv.close();
  }
});
