// Slow connections through the real app: sockets from five loopback addresses
// open requests and never finish their headers; the header deadline closes
// them, the app reports each close to the detector with its address, and the
// detector bans the sources (ban/auto-slow) so that their next connection is
// refused at accept. Bounded polls, no timing assertions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import type { DetectorEvent } from '../../src/detector/events.js';
import { sendRaw } from '../helpers/raw.js';
import { startEchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';
import { waitFor } from '../helpers/wait.js';
import type { App } from '../../src/app/app.js';

/** Four connections from each of `ips` that start a request head and never finish it; resolves once every address is banned. */
async function slowHeadsBanned(app: App & { port: number }, ips: readonly string[], sockets: Socket[]): Promise<void> {
  for (const ip of ips) {
    for (let k = 0; k < 4; k++) {
      const s = connect({ host: '127.0.0.1', port: app.port, localAddress: ip });
      s.on('error', () => {});
      s.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
      sockets.push(s);
    }
  }
  await waitFor(() => ips.every((ip) => app.state.isBanned(ip, Date.now()) !== null), {
    what: 'the slow sources to be banned',
    timeoutMs: 15_000,
  });
}

/** A shield with a 1 s header deadline and low slow-connection thresholds; the sockets `body` opens are destroyed after it. */
async function withSlowShield(body: (app: App & { port: number }, sockets: Socket[]) => Promise<void>): Promise<void> {
  const origin = await startEchoOrigin();
  const app = await startShield(origin.url, {
    limits: { header_timeout: '1s' },
    detector: { slow_connections: 5, ban_duration: '30s' },
  });
  const sockets: Socket[] = [];
  try {
    await body(app, sockets);
  } finally {
    for (const s of sockets) s.destroy();
    await app.stop();
    await origin.close();
  }
}

test('slowloris: header-deadline closes are counted per address and the sources banned', async () => {
  await withSlowShield(async (app, sockets) => {
    const events: DetectorEvent[] = [];
    app.detector!.onEvent((e) => events.push(e));
    const ips = ['127.3.0.1', '127.3.0.2', '127.3.0.3', '127.3.0.4', '127.3.0.5'];
    await slowHeadsBanned(app, ips, sockets);
    const ban = app.state.isBanned('127.3.0.2', Date.now())!;
    assert.equal(ban.rule, 'ban/auto-slow');
    assert.match(ban.reason, /closed by header\/body deadlines/);
    const start = events.find((e) => e.type === 'attack_start');
    assert.ok(start && start.type === 'attack_start' && start.vectors.some((v) => v.vector === 'slow_connections'));
    const raw = await sendRaw(app.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', {
      localAddress: '127.3.0.2',
      quietMs: 300,
    });
    assert.equal(raw.status, 403, 'refused at accept');
    const ok = await sendRaw(app.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', {
      localAddress: '127.3.0.9',
      quietMs: 300,
    });
    assert.equal(ok.status, 200, 'another address is served');
  });
});

test('slowloris: a browser’s spare connections that never send a byte are closed by the deadline but never get its address banned', async () => {
  await withSlowShield(async (app, sockets) => {
    const ips = ['127.3.2.1', '127.3.2.2', '127.3.2.3', '127.3.2.4', '127.3.2.5'];
    const spares: Promise<void>[] = [];
    for (let k = 0; k < 4; k++) {
      // Chromium-like preconnects from a person's address: opened, then nothing.
      const s = connect({ host: '127.0.0.1', port: app.port, localAddress: '127.3.2.9' });
      s.on('error', () => {});
      s.resume(); // read the deadline's 408 to its end, so the socket closes
      spares.push(new Promise((r) => s.once('close', () => r())));
      sockets.push(s);
    }
    await slowHeadsBanned(app, ips, sockets);
    await Promise.all(spares);
    assert.equal(app.state.isBanned('127.3.2.9', Date.now()), null, 'the idle spares’ address is not banned');
    const ok = await sendRaw(app.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', {
      localAddress: '127.3.2.9',
      quietMs: 300,
    });
    assert.equal(ok.status, 200, 'the person behind the spares is served');
  });
});

test('slow POST: bodies cut by the minimum-rate sweep are counted per client address and the sources banned', async () => {
  const origin = await startEchoOrigin();
  const app = await startShield(origin.url, {
    limits: { body_grace: '1s', body_min_rate: '1kb' },
    detector: { slow_connections: 5, ban_duration: '30s' },
  });
  const sockets: Socket[] = [];
  const drips: NodeJS.Timeout[] = [];
  try {
    const events: DetectorEvent[] = [];
    app.detector!.onEvent((e) => events.push(e));
    const ips = ['127.3.1.1', '127.3.1.2', '127.3.1.3', '127.3.1.4', '127.3.1.5'];
    for (const ip of ips) {
      for (let k = 0; k < 4; k++) {
        const s = connect({ host: '127.0.0.1', port: app.port, localAddress: ip });
        s.on('error', () => {});
        // Complete headers, then a body that trickles in far under 1 kB/s.
        s.write(
          'POST /donate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\nx',
        );
        drips.push(setInterval(() => s.writable && s.write('x'), 300));
        sockets.push(s);
      }
    }
    await waitFor(() => ips.every((ip) => app.state.isBanned(ip, Date.now()) !== null), {
      what: 'the slow-POST sources to be banned',
      timeoutMs: 20_000,
    });
    const ban = app.state.isBanned('127.3.1.3', Date.now())!;
    assert.equal(ban.rule, 'ban/auto-slow');
    const start = events.find((e) => e.type === 'attack_start');
    assert.ok(
      start && start.type === 'attack_start' && start.vectors.some((v) => v.vector === 'slow_connections'),
      'the incident names slow connections',
    );
    const ok = await sendRaw(app.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', {
      localAddress: '127.3.1.9',
      quietMs: 300,
    });
    assert.equal(ok.status, 200, 'another address is served');
  } finally {
    for (const d of drips) clearInterval(d);
    for (const s of sockets) s.destroy();
    await app.stop();
    await origin.close();
  }
});
