// Passive fingerprints of each TLS connection, taken where the bytes pass:
// the ClientHello is read before the handshake (read-tls-client-hello reads
// it and puts the bytes back; src/identity/ja4.ts computes JA4), and an
// HTTP/2 session's first frames are read through a thin Duplex between the
// TLS socket and the session (socket.unshift() would not reach nghttp2,
// which reads the socket natively). The result is one record per connection
// on the socket, which the pipeline hands each request (ctx.transport).
// Cost: per connection, one hello parse and a 32-bit hash; per HTTP/2 chunk,
// one JS stream hop (the session runs over a JS stream: bench/h2 measures it).
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import type { ServerHttp2Session } from 'node:http2';
import { createRequire } from 'node:module';
import type { readTlsClientHello as ReadHello } from 'read-tls-client-hello';

// read-tls-client-hello (and its parser) is loaded by the first TLS listener
// that fingerprints: a plain-HTTP shield never pays its ~2 MB of code.
const require = createRequire(import.meta.url);
let readHelloFn: typeof ReadHello | null = null;
const helloReader = (): typeof ReadHello =>
  (readHelloFn ??= (require('read-tls-client-hello') as { readTlsClientHello: typeof ReadHello }).readTlsClientHello);
import { fnv1a } from '../core/hash.js';
import { tlsFingerprintOf } from '../identity/ja4.js';
import { H2FingerprintReader } from '../identity/h2-fingerprint.js';
import { transportFamily, type Transport } from '../identity/transport.js';

export const kTransport = Symbol('rampart.transport');
type Carrier = { [kTransport]?: Transport };

/** The record of the connection a request came on; null for plain HTTP or when fingerprints are off. */
export function transportOf(socket: unknown): Transport | null {
  const s = socket as (Carrier & { stream?: Carrier }) | null;
  if (s === null || s === undefined) return null;
  // An HTTP/2 session over our Duplex runs on Node's JSStreamSocket, whose `stream` is the Duplex.
  return s[kTransport] ?? s.stream?.[kTransport] ?? null;
}

/** RFC 9113 defaults: a SETTINGS value equal to its default says nothing (Node merges the unsent ones in). */
const SETTINGS: readonly [number, string, number][] = [
  [1, 'headerTableSize', 4096],
  [2, 'enablePush', 1],
  [3, 'maxConcurrentStreams', 0xffffffff],
  [4, 'initialWindowSize', 65535],
  [5, 'maxFrameSize', 16384],
  [6, 'maxHeaderListSize', 0xffffffff],
  [8, 'enableConnectProtocol', 0],
];
const LETTER: Record<string, string> = { ':method': 'm', ':authority': 'a', ':scheme': 's', ':path': 'p' };

interface H2Req {
  rawHeaders: string[];
  stream?: { session?: { remoteSettings?: Record<string, number | boolean>; state?: { remoteWindowSize?: number } } };
}

/**
 * fingerprints.http2 `settings`: the HTTP/2 fingerprint from what Node exposes, taken at the session's
 * first request — SETTINGS values that differ from the defaults in id order (the order sent and values
 * sent equal to a default are not visible), the connection WINDOW_UPDATE (the window before any DATA of
 * ours, less 65535), `-` for PRIORITY (not visible), the pseudo-header order of the request.
 */
export function settingsFingerprint(t: Transport, req: H2Req): void {
  const session = req.stream?.session;
  const rs = session?.remoteSettings;
  if (rs === undefined) return;
  const parts: string[] = [];
  for (const [id, name, def] of SETTINGS) {
    const v = Number(rs[name]);
    if (Number.isFinite(v) && v !== def) parts.push(`${id}:${v}`);
  }
  const win = (session?.state?.remoteWindowSize ?? 65535) - 65535;
  const raw = req.rawHeaders;
  const order: string[] = [];
  for (let i = 0; i < raw.length && i < 16; i += 2) {
    const l = LETTER[raw[i]];
    if (l !== undefined) order.push(l);
  }
  t.h2 = `${parts.join(';')}|${win > 0 ? win : '00'}|-|${order.join(',')}`;
  finishTransport(t);
}

/** The connection's record for a request, its HTTP/2 fingerprint taken at the session's first request when pending. */
export function requestTransport(req: { socket: unknown; httpVersionMajor: number }): Transport | null {
  const t = transportOf(req.socket);
  if (t?.h2Pending && req.httpVersionMajor === 2) {
    t.h2Pending = false;
    settingsFingerprint(t, req as unknown as H2Req);
  }
  return t;
}

function fnv32(s: string): number {
  return fnv1a(s) || 1; // never 0: 0 means "no transport fingerprint"
}

export function finishTransport(t: Transport): void {
  t.key = fnv32(`${t.ja4}|${t.h2}`);
  t.family = transportFamily(t);
  t.label = t.h2 === '' ? t.ja4 : `${t.ja4} ${t.h2}`;
}

export interface FingerprintSwitches {
  tls: boolean;
  /** 'settings': from the session's remote settings at its first request; 'frames': the first frames, read through H2Tee. */
  http2: 'settings' | 'frames' | 'off';
}

/**
 * Takes over the TLS server's own 'connection' listener: `admit` (the
 * connection guard) runs first; an admitted socket's ClientHello is read
 * (within `helloTimeoutMs`, else it is closed: the TLS handshake timer only
 * starts after), then the TLS handshake proceeds as Node would run it.
 */
export function readClientHellos(
  server: TlsServer,
  admit: (socket: Socket) => boolean,
  helloTimeoutMs: number,
  on: FingerprintSwitches,
): void {
  const tlsListener = server.listeners('connection')[0] as ((this: TlsServer, s: Socket) => void) | undefined;
  if (tlsListener === undefined) throw new Error('TLS server without its connection listener');
  server.removeListener('connection', tlsListener);
  const proceed = (raw: Socket & Carrier): void => {
    raw.setTimeout(0);
    if (!raw.destroyed) tlsListener.call(server, raw);
  };
  const settings = on.http2 === 'settings';
  const readTlsClientHello = on.tls ? helloReader() : null;
  server.on('connection', (raw: Socket & Carrier) => {
    if (!admit(raw)) return;
    if (readTlsClientHello === null) {
      if (settings)
        raw[kTransport] = {
          ja4: '',
          grease: false,
          alpn: '',
          h2: '',
          key: 0,
          family: 'other',
          label: '',
          h2Pending: true,
        };
      return void tlsListener.call(server, raw);
    }
    raw.setTimeout(helloTimeoutMs, () => raw.destroy());
    readTlsClientHello(raw).then(
      (hello) => {
        const f = tlsFingerprintOf(hello);
        const t: Transport = {
          ja4: f.ja4,
          grease: f.grease,
          alpn: f.alpn,
          h2: '',
          key: 0,
          family: '',
          label: '',
          h2Pending: settings,
        };
        finishTransport(t);
        raw[kTransport] = t;
        proceed(raw);
      },
      () => proceed(raw), // not TLS, or a broken hello: the handshake itself will fail
    );
  });
  // The TLS socket carries the record from here on (req.socket of HTTP/1.1, session.socket of HTTP/2).
  server.prependListener('secureConnection', (tls: TLSSocket & Carrier) => {
    const parent = (tls as unknown as { _parent?: Carrier })._parent;
    if (parent?.[kTransport] !== undefined) tls[kTransport] = parent[kTransport];
  });
}

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
    if (tls.alpnProtocol !== 'h2') return void h2Listener.call(server, tls);
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
class H2Tee extends Duplex {
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
