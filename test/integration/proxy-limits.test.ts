// Slow and greedy clients: slowloris headers, slow POST bodies, oversized
// streamed bodies, too many connections from one address. Short limits so the
// test is quick; the assertions are about outcomes, not timings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startEchoOrigin, type EchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';
import { sendRaw } from '../helpers/raw.js';
import type { App } from '../../src/app/app.js';
import { waitFor } from '../helpers/wait.js';

let origin: EchoOrigin;
let shield: App & { port: number };

before(async () => {
  origin = await startEchoOrigin();
  shield = await startShield(origin.url, {
    limits: {
      header_timeout: '1500ms',
      body_min_rate: '1kb',
      body_grace: '1s',
      max_body_bytes: '64kb',
      max_connections_per_ip: 4,
      idle_timeout: '1s',
    },
  });
});
after(async () => {
  await shield.stop();
  await origin.close();
});

/** Trickles `text` one byte every `everyMs` until done or closed; resolves with what the server said. */
function trickle(
  port: number,
  text: string,
  everyMs: number,
  localAddress?: string,
): Promise<{ closedEarly: boolean; reply: string; sent: number }> {
  return new Promise((resolve) => {
    const s: Socket = connect({ port, host: '127.0.0.1', localAddress });
    let i = 0;
    let reply = '';
    let timer: NodeJS.Timeout;
    s.on('data', (d) => (reply += d.toString('latin1')));
    s.on('error', () => {});
    s.on('connect', () => {
      timer = setInterval(() => {
        if (i >= text.length) return;
        s.write(text[i++]);
      }, everyMs);
    });
    s.on('close', () => {
      clearInterval(timer);
      resolve({ closedEarly: i < text.length, reply, sent: i });
    });
  });
}

test('slowloris: a client sending one header byte per second is closed by the header timeout while others are served', async () => {
  const slowHead = `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ${'a'.repeat(60)}\r\n\r\n`;
  let slowClosed = false;
  const slow = trickle(shield.port, slowHead, 1000, '127.0.0.21').then((r) => {
    slowClosed = true;
    return r;
  });
  let served = 0;
  for (let i = 0; i < 5; i++) {
    const r = await fetch(`http://127.0.0.1:${shield.port}/during`);
    await r.arrayBuffer();
    if (r.status === 200) served++;
  }
  assert.equal(served, 5, 'normal clients are served while the slow one trickles');
  assert.equal(slowClosed, false, 'the normal clients were served in parallel, not after the slow one');
  const out = await slow;
  // header_timeout is 1500ms here: the slow client gets to send about 2–3 of its ~100 bytes.
  assert.ok(out.closedEarly && out.sent < 10, `the slow client was allowed to send ${out.sent} bytes`);
  assert.match(out.reply, /^HTTP\/1\.1 408 /);
  assert.match(out.reply, /rampart-verdict: guard\/header-timeout/);
});

test('slow POST: a body under the minimum rate is cut off', async () => {
  const head = 'POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000\r\n\r\n';
  const r = await new Promise<{ reply: string; sent: number }>((resolve) => {
    const s = connect({ port: shield.port, host: '127.0.0.1', localAddress: '127.0.0.22' });
    let reply = '';
    let sent = 0;
    let t: NodeJS.Timeout;
    s.on('data', (d) => (reply += d));
    s.on('error', () => {});
    s.on('connect', () => {
      s.write(head);
      t = setInterval(() => {
        if (sent < 5000) s.write('x', () => sent++);
      }, 50);
    });
    s.on('close', () => {
      clearInterval(t);
      resolve({ reply, sent });
    });
  });
  assert.ok(r.sent < 5000, 'the upload was cut before it finished');
  assert.match(r.reply, /rampart-verdict: guard\/slow-body/);
});

test('a streamed body over max_body_bytes gets 413 and never reaches the origin whole', async () => {
  const before = origin.received.length;
  const chunk = 'x'.repeat(8 * 1024);
  let payload = 'POST /big HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n';
  for (let i = 0; i < 16; i++) payload += `${(chunk.length).toString(16)}\r\n${chunk}\r\n`;
  payload += '0\r\n\r\n';
  const r = await sendRaw(shield.port, payload, { localAddress: '127.0.0.23' });
  assert.equal(r.status, 413, r.text.slice(0, 120));
  assert.match(r.text, /rampart-verdict: guard\/body-too-large/);
  const full = origin.received.slice(before).filter((x) => x.bodyBytes >= 128 * 1024);
  assert.equal(full.length, 0);
});

test('the per-address connection cap refuses extra connections and admits other addresses', async () => {
  const held: Socket[] = [];
  for (let i = 0; i < 4; i++) {
    held.push(
      await new Promise<Socket>((r) => {
        const s = connect({ port: shield.port, host: '127.0.0.1', localAddress: '127.0.0.30' }, () => r(s));
        s.on('error', () => {});
      }),
    );
  }
  const fifth = await sendRaw(shield.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', { localAddress: '127.0.0.30' });
  assert.equal(fifth.status, 429);
  assert.match(fifth.text, /rampart-verdict: guard\/conn-limit/);
  const other = await sendRaw(shield.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', {
    localAddress: '127.0.0.31',
  });
  assert.equal(other.status, 200);
  for (const s of held) s.destroy();
  await new Promise((r) => setTimeout(r, 50));
  const again = await sendRaw(shield.port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', {
    localAddress: '127.0.0.30',
  });
  assert.equal(again.status, 200, 'closed connections free their slots');
});

test('oversized headers get 431', async () => {
  const r = await sendRaw(shield.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`, {
    localAddress: '127.0.0.24',
  });
  assert.equal(r.status, 431);
  assert.match(r.text, /rampart-verdict: parse\/header-too-large/);
});

test('an idle keep-alive connection is closed after idle_timeout; a busy one is kept', async () => {
  const s = connect({ port: shield.port, host: '127.0.0.1', localAddress: '127.0.0.25' });
  s.on('error', () => {});
  let reply = '';
  const closed = new Promise<void>((r) => s.on('close', () => r()));
  s.on('data', (d) => (reply += d.toString('latin1')));
  await new Promise<void>((r) => s.on('connect', () => r()));
  s.write('GET /first HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  await waitFor(() => /\r\n\r\n[\s\S]*"\/first"/.test(reply), { what: 'the reply to /first', intervalMs: 20 });
  // Used again within the idle timeout: the same connection serves a second request.
  await new Promise((r) => setTimeout(r, 300));
  s.write('GET /second HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  await waitFor(() => reply.includes('"/second"'), { what: 'the reply to /second', intervalMs: 20 });
  assert.equal(reply.match(/HTTP\/1\.1 200 /g)?.length, 2);
  assert.match(reply, /keep-alive: timeout=1/i, 'the client is told how long an idle connection stays open');
  // Then left idle: the shield closes it (the test would hang here otherwise).
  await closed;
  assert.ok(s.destroyed);
});
