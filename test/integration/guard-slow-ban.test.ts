// A ban closes the connections its address already holds, through the real
// app: raw sockets from loopback addresses (an unfinished head, an idle
// keep-alive, a silent one) are closed as soon as the address — or a CIDR
// around it — is banned in the shared state, while another address's
// connections stay open. The header deadline is 60 s, so only the ban can
// close them within the test's bounded waits. No timing assertions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ban } from '../../src/core/model.js';
import { adminRequest } from '../../src/control/admin-client.js';
import { startEchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';
import { FULL, openHeld, SLOW_HEAD, type Conn } from '../helpers/held-conn.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'guard-slow-ban-token-0123456789';

function ban(target: string): Ban {
  const now = Date.now();
  return { target, rule: 'ban/manual', createdAt: now, until: now + 60_000, reason: 'test', source: 'manual' };
}

test('a new ban closes the open connections of the banned address (and of a banned CIDR); other addresses keep theirs', async () => {
  const origin = await startEchoOrigin();
  const app = await startShield(origin.url, {
    limits: { header_timeout: '60s', idle_timeout: '60s', slow_heads_trigger: 0 },
    admin: { listen: '127.0.0.1:0', token: TOKEN },
  });
  const conns: Conn[] = [];
  try {
    const slow = await openHeld(app.port, '127.4.0.1', SLOW_HEAD);
    const silent = await openHeld(app.port, '127.4.0.1', '');
    const keepAlive = await openHeld(app.port, '127.4.0.1', FULL);
    const other = await openHeld(app.port, '127.4.0.2', SLOW_HEAD);
    const otherKeepAlive = await openHeld(app.port, '127.4.0.2', FULL);
    const inCidr = await openHeld(app.port, '127.4.1.7', SLOW_HEAD);
    conns.push(slow, silent, keepAlive, other, otherKeepAlive, inCidr);
    await waitFor(() => /^HTTP\/1\.1 200/.test(keepAlive.reply()) && /^HTTP\/1\.1 200/.test(otherKeepAlive.reply()), {
      what: 'the keep-alive responses',
      timeoutMs: 5000,
    });
    assert.ok(
      conns.every((c) => !c.closed()),
      'all open before the ban',
    );

    app.state.addBan(ban('127.4.0.1'));
    await waitFor(() => slow.closed() && silent.closed() && keepAlive.closed(), {
      what: "the banned address's connections to close",
      timeoutMs: 5000,
    });
    assert.match(slow.reply(), /^HTTP\/1\.1 403/, 'the unfinished head gets the refusal');
    assert.match(slow.reply(), /\r\nrampart-verdict: ban\/accept\r\n/i);
    assert.ok(
      !other.closed() && !otherKeepAlive.closed() && !inCidr.closed(),
      'other addresses keep their connections',
    );

    app.state.addBan(ban('127.4.1.0/24'));
    await waitFor(() => inCidr.closed(), { what: "the CIDR's connection to close", timeoutMs: 5000 });
    assert.ok(!other.closed() && !otherKeepAlive.closed(), '127.4.0.2 is outside the CIDR');

    // The unbanned address is still served on its open keep-alive connection.
    const before = otherKeepAlive.reply().length;
    otherKeepAlive.socket.write(FULL);
    await waitFor(() => otherKeepAlive.reply().length > before, {
      what: 'a second response on the kept connection',
      timeoutMs: 5000,
    });
    assert.match(otherKeepAlive.reply().slice(before), /^HTTP\/1\.1 200/);

    const metrics = await adminRequest(app.control.url(), 'GET', '/metrics', { token: TOKEN });
    assert.match(
      metrics.text,
      /^rampart_guard_closed_on_ban_total(\{[^}]*\})? 4$/m,
      'three connections of 127.4.0.1 and one in the CIDR',
    );
  } finally {
    for (const c of conns) c.socket.destroy();
    await app.stop();
    await origin.close();
  }
});

test('an allow-listed address keeps its connections when a CIDR around it is banned', async () => {
  const origin = await startEchoOrigin();
  const app = await startShield(origin.url, {
    limits: { header_timeout: '60s', slow_heads_trigger: 0 },
    policy: { allow: ['127.4.2.9'] },
  });
  const conns: Conn[] = [];
  try {
    const allowed = await openHeld(app.port, '127.4.2.9', SLOW_HEAD);
    const banned = await openHeld(app.port, '127.4.2.10', SLOW_HEAD);
    conns.push(allowed, banned);
    app.state.addBan(ban('127.4.2.0/24'));
    await waitFor(() => banned.closed(), { what: 'the banned neighbour to be closed', timeoutMs: 5000 });
    assert.ok(!allowed.closed(), 'the allow list wins over the ban, as at accept');
  } finally {
    for (const c of conns) c.socket.destroy();
    await app.stop();
    await origin.close();
  }
});

const TLS_DIR = join(import.meta.dirname, '../fixtures/tls');

for (const http2 of [false, true]) {
  test(`TLS listener (http2: ${http2}): a ban closes the address's TLS connections without writing plaintext into them`, async () => {
    const origin = await startEchoOrigin();
    const app = await startShield(origin.url, {
      limits: { header_timeout: '60s', slow_heads_trigger: 0 },
      tls: { listen: '127.0.0.1:0', cert: join(TLS_DIR, 'cert.pem'), key: join(TLS_DIR, 'key.pem'), http2 },
    });
    const sockets: Socket[] = [];
    try {
      const port = app.address('tls')!.port;
      const errors: string[] = [];
      const closed = new Set<string>();
      for (const ip of ['127.4.3.1', '127.4.3.2']) {
        // localAddress reaches net.connect at run time; tls' ConnectionOptions type does not list it.
        const opts: ConnectionOptions & { localAddress: string } = {
          host: '127.0.0.1',
          port,
          localAddress: ip,
          ca: readFileSync(join(TLS_DIR, 'cert.pem')),
          servername: 'localhost',
          ALPNProtocols: ['http/1.1'],
        };
        const s = tlsConnect(opts);
        sockets.push(s);
        s.on('error', (e: NodeJS.ErrnoException) => errors.push(`${ip}: ${e.code ?? e.message}`));
        s.on('close', () => closed.add(ip));
        await new Promise<void>((resolve, reject) => {
          s.once('secureConnect', () => resolve());
          s.once('error', reject);
        });
        s.write(SLOW_HEAD);
      }
      app.state.addBan(ban('127.4.3.1'));
      await waitFor(() => closed.has('127.4.3.1'), { what: 'the banned TLS connection to close', timeoutMs: 5000 });
      assert.ok(!closed.has('127.4.3.2'), 'the other address keeps its TLS connection');
      assert.deepEqual(
        errors.filter((e) => /SSL|TLS|PROTOCOL|record/i.test(e)),
        [],
        'no TLS protocol error: nothing was written in clear',
      );
    } finally {
      for (const s of sockets) s.destroy();
      await app.stop();
      await origin.close();
    }
  });
}
