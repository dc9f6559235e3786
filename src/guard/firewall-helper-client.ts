// The client side of the firewall helper's protocol (src/guard/firewall-
// helper.ts): JSON lines over its Unix socket, one reply per request matched
// by id, a 10 s answer deadline, reconnection at the next call after the
// socket closed. Not the sync logic (firewall-sync.ts). Memory: one line
// buffer and one pending entry per request in flight.
import { connect, type Socket } from 'node:net';

export type HelperReply = Record<string, unknown>;

const ANSWER_MS = 10_000;

export class HelperClient {
  private readonly path: string;
  private sock: Socket | null = null;
  private buf = '';
  private seq = 0;
  private readonly waiting = new Map<number, (r: HelperReply) => void>();

  constructor(path: string) {
    this.path = path;
  }

  /** Sends `req`; resolves with the helper's reply, or `{ ok: false, error }` when it cannot answer. Never rejects. */
  call(req: HelperReply): Promise<HelperReply> {
    return new Promise((resolve) => {
      const id = ++this.seq;
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve({ ok: false, error: 'helper did not answer within 10s' });
      }, ANSWER_MS);
      timer.unref();
      this.waiting.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.connection().write(`${JSON.stringify({ id, ...req })}\n`);
    });
  }

  close(): void {
    this.sock?.destroy();
  }

  private connection(): Socket {
    if (this.sock !== null && !this.sock.destroyed) return this.sock;
    this.buf = '';
    const sock = connect(this.path);
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => this.receive(d));
    sock.on('error', (e) => this.failAll(e));
    sock.on('close', () => this.failAll());
    this.sock = sock;
    return sock;
  }

  private receive(data: string): void {
    this.buf += data;
    let nl = this.buf.indexOf('\n');
    while (nl >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      try {
        const r = JSON.parse(line) as HelperReply;
        this.waiting.get(r.id as number)?.(r);
        this.waiting.delete(r.id as number);
      } catch {
        // a garbled line: its request times out
      }
      nl = this.buf.indexOf('\n');
    }
  }

  /** The connection failed or closed: every request in flight gets its answer now. */
  private failAll(e?: Error): void {
    for (const w of this.waiting.values()) w({ ok: false, error: e?.message ?? 'helper connection closed' });
    this.waiting.clear();
  }
}
