// Passive fingerprints of each TLS connection, taken where the bytes pass:
// the ClientHello is read before the handshake (read-tls-client-hello reads
// it and puts the bytes back; src/identity/ja4.ts computes JA4), and an
// HTTP/2 session's first frames are read through a thin Duplex between the
// TLS socket and the session (socket.unshift() would not reach nghttp2,
// which reads the socket natively). The result is one record per connection
// on the socket, which the pipeline hands each request (ctx.transport).
// Cost: per connection, one hello parse and a 32-bit hash; per HTTP/2 chunk,
// one JS stream hop (the session runs over a JS stream: bench/h2 measures it).
// The HTTP/2 side (readH2Fingerprints and its Duplex) is h2-tee.ts.
import type { Socket } from 'node:net';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import { createRequire } from 'node:module';
import type { readTlsClientHello as ReadHello } from 'read-tls-client-hello';
import { fnv1a } from '../core/hash.js';
import { tlsFingerprintOf } from '../identity/ja4.js';
import { transportFamily, type Transport } from '../identity/transport.js';

// read-tls-client-hello (and its parser) is loaded by the first TLS listener
// that fingerprints: a plain-HTTP shield never pays its ~2 MB of code.
const require = createRequire(import.meta.url);
let readHelloFn: typeof ReadHello | null = null;
const helloReader = (): typeof ReadHello =>
  (readHelloFn ??= (require('read-tls-client-hello') as { readTlsClientHello: typeof ReadHello }).readTlsClientHello);

export const kTransport = Symbol('rampart.transport');
export type Carrier = { [kTransport]?: Transport };

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
      tlsListener.call(server, raw);
      return;
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
