// Listeners: HTTP/1.1 (node:http, llhttp strict), and TLS with HTTP/2 and
// HTTP/1.1 (ALPN) when cert/key are configured. Each listener wires the
// connection guard at accept, parse errors to pre-built 4xx bytes, upgrades
// to the pipeline, and refuses CONNECT (never an open proxy). Deadlines are
// Node's own (its one-second connections check): adaptive ones only change
// the server's values, once a second at most; no per-request timers.
import {
  createServer as createHttpServer,
  ServerResponse,
  type Server as HttpServer,
  type IncomingMessage,
} from 'node:http';
import { createSecureServer, type Http2SecureServer, type ServerHttp2Session } from 'node:http2';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Mode, Req, Res } from '../core/model.js';
import type { ConnectionGuard } from '../guard/connections.js';
import type { H2Guard } from '../guard/h2-guard.js';
import type { Http2Config } from '../config/schema/edge.js';
import { rawRefusal } from './refusals.js';
import { readClientHellos, type FingerprintSwitches } from './transport.js';
import { readH2Fingerprints } from './h2-tee.js';
import { track, trackForShutdown } from './shutdown-sockets.js';
import { proxyVerdicts } from './verdicts.js';

export interface ListenerLimits {
  maxHeaderBytes: number;
  headerTimeout: number;
  idleTimeout: number;
  sendTimeout: number;
  maxConnections: number;
  /** Header deadline while deadlines are tight (mode elevated/under_attack, or slow-head pressure); never above headerTimeout. */
  headerTimeoutUnderAttack: number;
  /** Idle keep-alive deadline while tight; never above idleTimeout. */
  idleTimeoutUnderAttack: number;
  /** Connections holding an unfinished request head ≥ 1 s that tighten deadlines without waiting for the detector; 0: off. */
  slowHeadsTrigger: number;
}

export interface ListenerHooks {
  handle(req: Req, res: Res): void;
  upgrade(req: Req, res: Res, head: Buffer): void;
  guard: ConnectionGuard;
  /** HTTP/2 session abuse counters (TLS listener with http2); null: not counted. */
  h2?: H2Guard | null;
  /** Counts parse-level refusals (metrics); must not throw. */
  onParseError(rule: string): void;
}

export type AnyServer = HttpServer | Http2SecureServer;

function clientErrorVerdict(code: string | undefined) {
  if (code === 'HPE_HEADER_OVERFLOW') return proxyVerdicts.headerTooLarge;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return proxyVerdicts.headerTimeout;
  if (
    code === 'HPE_INVALID_TRANSFER_ENCODING' ||
    code === 'HPE_UNEXPECTED_CONTENT_LENGTH' ||
    code === 'HPE_INVALID_CHUNK_SIZE'
  )
    return proxyVerdicts.badFraming;
  return proxyVerdicts.badRequest;
}

function onClientError(hooks: ListenerHooks, err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const v = clientErrorVerdict(err.code);
  hooks.onParseError(v.rule);
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
  if (inFlight?.headersSent) socket.destroy();
  else socket.end(rawRefusal(v));
}

/** Wires the hooks; returns the accept-time admission (the caller runs it itself when `ownAccept`: TLS reading ClientHellos). */
function wire(
  server: AnyServer,
  hooks: ListenerHooks,
  limits: ListenerLimits,
  plain: boolean,
  ownAccept = false,
): (socket: Socket) => boolean {
  const extra = trackForShutdown(server, plain);
  // The guard sees the raw TCP socket: under TLS (https/1.1 too) refusal bytes would be plaintext garbage.
  const writable = plain && !(server instanceof TlsServer);
  const admit = (socket: Socket): boolean => {
    const ok = hooks.guard.admit(socket, writable);
    if (!plain) track(extra, socket);
    return ok;
  };
  if (!ownAccept) server.on('connection', admit);
  server.on('request', hooks.handle as never);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    track(extra, socket);
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    // No server owns this response: when a stage refuses the upgrade (the
    // response finishes; a tunnel never ends it), close the socket ourselves.
    res.once('finish', () => socket.end());
    hooks.upgrade(req, res, head);
  });
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    hooks.onParseError(proxyVerdicts.badRequest.rule);
    socket.on('error', () => {});
    socket.end(rawRefusal(proxyVerdicts.badRequest));
  });
  if (plain)
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => onClientError(hooks, err, socket));
  applyLimits(server, limits);
  return admit;
}

/**
 * Timeouts that can change on reload (and with the attack mode) without
 * rebinding. Node reads headersTimeout at each connections check, so a new
 * value applies at once to every connection still sending its first head
 * (a slowloris socket opened before the change included); keepAliveTimeout
 * applies from each connection's next idle period.
 */
export function applyLimits(server: AnyServer, limits: ListenerLimits, tight = false): void {
  const s = server as HttpServer;
  s.headersTimeout = tight ? Math.min(limits.headerTimeout, limits.headerTimeoutUnderAttack) : limits.headerTimeout;
  s.requestTimeout = 0; // the body guard enforces a minimum rate instead of a total
  s.keepAliveTimeout = tight ? Math.min(limits.idleTimeout, limits.idleTimeoutUnderAttack) : limits.idleTimeout;
  s.maxConnections = limits.maxConnections;
  s.setTimeout(limits.sendTimeout);
}

export function createHttpListener(hooks: ListenerHooks, limits: ListenerLimits): HttpServer {
  const server = createHttpServer({
    maxHeaderSize: limits.maxHeaderBytes,
    insecureHTTPParser: false,
    requireHostHeader: false,
    joinDuplicateHeaders: false,
    noDelay: true,
    connectionsCheckingInterval: 1000,
    headersTimeout: limits.headerTimeout,
    requestTimeout: 0,
  });
  wire(server, hooks, limits, true);
  return server;
}

export interface TlsFiles {
  cert: string;
  key: string;
  http2: boolean;
}

/**
 * Node's own http2 limits, set on purpose (docs/edge.md): nghttp2 refuses
 * streams over max_concurrent_streams, Node closes a session after
 * max_session_invalid_frames invalid frames (its default, 1000, is lax) or
 * max_session_rejected_streams refused streams, and refuses new streams of a
 * session over max_session_memory (MB in Node's units).
 */
export function http2Options(h: Http2Config, maxHeaderBytes: number) {
  return {
    maxSessionMemory: Math.max(1, Math.round(h.maxSessionMemory / (1024 * 1024))),
    maxHeaderListPairs: h.maxHeaderListPairs,
    maxSessionInvalidFrames: h.maxSessionInvalidFrames,
    maxSessionRejectedStreams: h.maxSessionRejectedStreams,
    maxOutstandingPings: h.maxOutstandingPings,
    settings: { maxConcurrentStreams: h.maxConcurrentStreams, maxHeaderListSize: maxHeaderBytes },
  };
}

export function createTlsListener(
  hooks: ListenerHooks,
  limits: ListenerLimits,
  tls: TlsFiles,
  h2: Http2Config,
  fp: FingerprintSwitches = { tls: false, http2: 'off' },
): AnyServer {
  const cert = readFileSync(tls.cert);
  const key = readFileSync(tls.key);
  if (!tls.http2) {
    const server = createHttpsServer({
      cert,
      key,
      maxHeaderSize: limits.maxHeaderBytes,
      handshakeTimeout: limits.headerTimeout,
      requireHostHeader: false,
      noDelay: true,
      connectionsCheckingInterval: 1000,
    });
    // The guard at accept, then the ClientHello (JA4), then Node's TLS handshake.
    readClientHellos(server, wire(server, hooks, limits, true, true), limits.headerTimeout, fp);
    return server;
  }
  const server = createSecureServer({
    cert,
    key,
    allowHTTP1: true,
    handshakeTimeout: limits.headerTimeout,
    ...http2Options(h2, limits.maxHeaderBytes),
  });
  const guard = hooks.h2 ?? null;
  if (guard !== null) server.on('session', (session: ServerHttp2Session) => guard.watch(session));
  readClientHellos(server, wire(server, hooks, limits, false, true), limits.headerTimeout, fp);
  if (fp.http2 === 'frames') readH2Fingerprints(server);
  return server;
}

/** How long (ms) deadlines stay tight after the last second with slow-head pressure (no flapping at the threshold). */
export const TIGHT_HOLD_MS = 10_000;

export interface DeadlineSignals {
  /** The attack mode (operator override wins over the detector). */
  mode(): Mode;
  /** Connections holding an unfinished request head (the guard's once-a-second sweep). */
  stalledHeads(now: number): number;
  /** Shadow mode (enforcement observe): deadlines stay as configured; the switch is only reported. */
  observe(): boolean;
}

export interface AdaptiveDeadlines {
  /** Once a second: tighten while the mode is elevated/under_attack or slow heads pile up; relax after. */
  tick(now: number): void;
  /** A reload's limits, applied at the current tightness. */
  setLimits(limits: ListenerLimits): void;
  tight(): boolean;
}

/**
 * Adaptive header and idle deadlines (Cloudflare's "under attack", HAProxy's
 * short `timeout http-request`): the listeners' configured values in normal
 * and recovering mode, the `_under_attack` values while the mode is elevated
 * or under_attack — or while `slowHeadsTrigger` connections hold unfinished
 * heads, which a slowloris shows seconds before the first deadline close
 * could tell the detector. Cost: one compare per tick, servers touched only
 * when the tightness changes.
 */
export function createAdaptiveDeadlines(
  servers: () => readonly (AnyServer | null)[],
  initial: ListenerLimits,
  signals: DeadlineSignals,
  onSwitch?: (tight: boolean, why: string) => void,
): AdaptiveDeadlines {
  let limits = initial;
  let tight = false; // what the signals ask for
  let applied = false; // what the servers run (never tight in observe mode)
  let pressureUntil = 0;
  const apply = (): void => {
    for (const s of servers()) if (s !== null) applyLimits(s, limits, applied);
  };
  return {
    tick(now) {
      const stalled = limits.slowHeadsTrigger > 0 ? signals.stalledHeads(now) : 0;
      if (limits.slowHeadsTrigger > 0 && stalled >= limits.slowHeadsTrigger) pressureUntil = now + TIGHT_HOLD_MS;
      const mode = signals.mode();
      const byMode = mode === 'elevated' || mode === 'under_attack';
      const want = byMode || now < pressureUntil;
      const observe = signals.observe();
      if (applied !== (want && !observe)) {
        applied = want && !observe;
        apply();
      }
      if (want === tight) return;
      tight = want;
      const why = !tight
        ? `mode ${mode}, no slow-head pressure for ${TIGHT_HOLD_MS / 1000} s`
        : byMode
          ? `mode ${mode}`
          : `${stalled} connections hold unfinished request heads (trigger ${limits.slowHeadsTrigger})`;
      onSwitch?.(tight, observe ? `${why} (observe mode: deadlines left as configured)` : why);
    },
    setLimits(next) {
      limits = next;
      apply();
    },
    tight: () => applied,
  };
}
