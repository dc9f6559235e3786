// The Duplex an HTTP/2 session runs over instead of its TLS socket: the
// session's first inbound bytes also go to the HTTP/2 fingerprint reader,
// then bytes only pass through (socket.unshift() would not reach nghttp2,
// which reads a native socket itself). Not the fingerprint (identity/).
// Cost: one JS stream hop per chunk; the reader is dropped once it is done.
// The TLS side (ClientHello, the per-connection record) is transport.ts.
import { Duplex } from 'node:stream';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import type { ServerHttp2Session } from 'node:http2';
import { H2FingerprintReader } from '../identity/h2-fingerprint.js';
import type { Transport } from '../identity/transport.js';
import { type Carrier, finishTransport, kTransport } from './transport.js';

/**
 * HTTP/2 over TLS: each h2 session gets a Duplex over its TLS socket that
 * feeds the first inbound bytes to the fingerprint reader, then only passes
 * bytes through. HTTP/1.1 (ALPN fallback) keeps the TLS socket itself.
 */
export function readH2Fingerprints(server: TlsServer): void {
  const h2Listener = server.listeners('secureConnection').find((l) => l.name === 'connectionListener') as
    | ((this: TlsServer, s: Duplex) => void)
    | undefined;
  if (h2Listener === undefined) throw new Error('HTTP/2 server without its connection listener');
  server.removeListener('secureConnection', h2Listener);
  // The session runs on Node's JSStreamSocket around our Duplex, which knows no peer address and is not
  // `encrypted`: give it the TLS socket's (session.socket's set trap writes through to it). First, before
  // the guards' 'session' listeners read the address.
  server.prependListener('session', (session: ServerHttp2Session) => {
    const js = session.socket as unknown as Record<string, unknown> & { stream?: unknown };
    const tee = js.stream;
    if (!(tee instanceof H2Tee)) return;
    js._peername = { address: tee.remoteAddress, port: tee.remotePort, family: tee.remoteFamily };
    js.encrypted = true;
    js.alpnProtocol = 'h2';
    js.servername = tee.servername;
  });
  server.on('secureConnection', (tls: TLSSocket & Carrier) => {
    if (tls.alpnProtocol !== 'h2') {
      h2Listener.call(server, tls);
      return;
    }
    // Node sets no-delay on a session's native socket; over a JS stream it cannot: without it, Nagle and
    // delayed ACKs add ~40 ms to each response.
    tls.setNoDelay(true);
    const t = tls[kTransport] ?? {
      ja4: '',
      grease: false,
      alpn: 'h2',
      h2: '',
      key: 0,
      family: '',
      label: '',
      h2Pending: false,
    };
    tls[kTransport] = t;
    h2Listener.call(server, new H2Tee(tls, t));
  });
}

/** A Duplex over the TLS socket for an HTTP/2 session; the first bytes go to the fingerprint reader too. */
export class H2Tee extends Duplex {
  readonly [kTransport]: Transport;
  private readonly sock: TLSSocket;
  private reader: H2FingerprintReader | null = new H2FingerprintReader();

  constructor(sock: TLSSocket, t: Transport) {
    super({ allowHalfOpen: false });
    this.sock = sock;
    this[kTransport] = t;
    sock.on('data', (chunk: Buffer) => {
      const r = this.reader;
      if (r?.push(chunk)) {
        t.h2 = r.text();
        finishTransport(t);
        this.reader = null;
      }
      if (!this.push(chunk)) sock.pause();
    });
    sock.on('end', () => this.push(null));
    sock.on('close', () => this.destroy());
    sock.on('error', (e) => this.destroy(e));
  }

  override _read(): void {
    this.sock.resume();
  }

  override _write(chunk: Buffer, enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.sock.write(chunk, enc, cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.sock.end(cb);
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.sock.destroy(err ?? undefined);
    cb(err);
  }

  // What the session, the pipeline and the guards read of a socket.
  get remoteAddress() {
    return this.sock.remoteAddress;
  }
  get remotePort() {
    return this.sock.remotePort;
  }
  get remoteFamily() {
    return this.sock.remoteFamily;
  }
  get localAddress() {
    return this.sock.localAddress;
  }
  get localPort() {
    return this.sock.localPort;
  }
  get encrypted() {
    return true;
  }
  get alpnProtocol() {
    return this.sock.alpnProtocol;
  }
  get servername() {
    return (this.sock as TLSSocket & { servername?: string }).servername;
  }
  get bytesRead() {
    return this.sock.bytesRead;
  }
  get bytesWritten() {
    return this.sock.bytesWritten;
  }
  setTimeout(ms: number, cb?: () => void): this {
    this.sock.setTimeout(ms, cb);
    return this;
  }
  setNoDelay(v?: boolean): this {
    this.sock.setNoDelay(v);
    return this;
  }
  setKeepAlive(on?: boolean, ms?: number): this {
    this.sock.setKeepAlive(on, ms);
    return this;
  }
  ref(): this {
    this.sock.ref();
    return this;
  }
  unref(): this {
    this.sock.unref();
    return this;
  }
  getPeerCertificate(detailed?: boolean) {
    return this.sock.getPeerCertificate(detailed as true);
  }
  getProtocol() {
    return this.sock.getProtocol();
  }
  getCipher() {
    return this.sock.getCipher();
  }
}
