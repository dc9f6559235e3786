// HTTP/2 session abuse counters (Node 20's http2 has no reset-rate limit of
// its own): per session and per client address, the "glitches" HAProxy 3.0
// counts — streams the client reset before their response (rapid reset,
// CVE-2023-44487), protocol errors that kill a session (CONTINUATION floods,
// invalid frames, nghttp2 refusing streams), SETTINGS/PING beyond a small
// allowance per second, and zero-window stalls — and Envoy's premature-reset
// ratio. A session over its cap gets GOAWAY(ENHANCE_YOUR_CALM) at once and is
// reported with its figures (the detector's `h2_abuse` vector and bans).
// Memory: one small record per open session (bounded by max_connections) and
// a fixed LRU of per-client glitch counts. Per stream: one counter and one
// listener (a shared function, no closure); the sweep is O(sessions)/s.
import { constants, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import { clientKeyOf, normalizeIp } from '../core/ip.js';
import { createLru, type Lru } from '../core/lru.js';

export interface H2GuardLimits {
  /** Glitches one session may cause before GOAWAY(ENHANCE_YOUR_CALM); 0: no session cap. */
  glitchLimit: number;
  /** Glitches one client address may cause over `windowMs` across its sessions; 0: no client cap. */
  clientGlitchLimit: number;
  /** A session whose share of streams reset by the client before their response exceeds this (after `resetMinStreams`) is closed (Envoy: 0.5). */
  resetRatio: number;
  resetMinStreams: number;
  /** Streams per session before a graceful GOAWAY (nginx keepalive_requests, HAProxy max-total-streams); 0: unlimited. */
  maxStreamsPerSession: number;
  /** SETTINGS + PING frames a session may send per second before each further one is a glitch. */
  controlFramesPerSecond: number;
  /** Seconds a session may hold responses behind a zero flow-control window before it is closed (a glitch). */
  stallSeconds: number;
}

export interface H2AbuseReport {
  ip: string;
  /** Why the session was closed: `glitches`, `client-glitches`, `premature-resets`, `protocol-error`, `zero-window`. */
  reason: string;
  streams: number;
  prematureResets: number;
  glitches: number;
  /** The client's glitches over the window, all its sessions together. */
  clientGlitches: number;
}

export interface H2GuardStats {
  sessions: number;
  streams: number;
  prematureResets: number;
  protocolErrors: number;
  controlFrames: number;
  glitches: number;
  /** Sessions closed with GOAWAY(ENHANCE_YOUR_CALM) for abuse. */
  abusiveSessions: number;
  /** Sessions closed gracefully at max_streams_per_session. */
  recycledSessions: number;
}

export interface H2Guard {
  /** Starts counting a new session (call from the server's 'session' event). */
  watch(session: ServerHttp2Session): void;
  /** Once a second: control-frame allowance, zero-window stalls; returns open sessions. */
  sweep(now: number): number;
  stats(): H2GuardStats;
  setLimits(l: H2GuardLimits): void;
}

export interface H2GuardOptions {
  limits: H2GuardLimits;
  now(): number;
  /** A session was closed for abuse (called once per session, after GOAWAY). Must not throw. */
  onAbuse(report: H2AbuseReport): void;
  /** Per-client glitch counts tracked at once (LRU); default 16384 (~640 KiB). */
  clients?: number;
  windowMs?: number;
}

const kRec = Symbol('rampart.h2');

/** One per watched session; `guard` lets the shared stream/session listeners reach their guard without a closure. */
interface Rec {
  readonly guard: Guard;
  readonly ip: string;
  readonly key: number;
  streams: number;
  premature: number;
  glitches: number;
  control: number;
  stalled: number;
  closed: boolean;
}

type Watched = ServerHttp2Session & { [kRec]?: Rec };
const kSession = Symbol('rampart.h2.session');
type StreamOf = ServerHttp2Stream & { [kSession]?: Watched };

/** nghttp2/Node errors that mean the peer broke the protocol (not a network failure). */
const PROTOCOL_ERRORS = new Set([
  'ERR_HTTP2_ERROR',
  'ERR_HTTP2_TOO_MANY_INVALID_FRAMES',
  'ERR_HTTP2_SESSION_ERROR',
  'ERR_HTTP2_STREAM_ERROR',
  'ERR_HTTP2_INVALID_SETTING_VALUE',
  'ERR_HTTP2_TOO_MANY_CUSTOM_SETTINGS',
]);
/** Glitches charged for a protocol error: nghttp2 has already counted several bad frames before it gave up (8 CONTINUATION frames, invalid-frame budget). */
const PROTOCOL_ERROR_WEIGHT = 10;

function destroyLater(s: ServerHttp2Session): void {
  if (!s.destroyed) s.destroy();
}

function abuseReason(limits: H2GuardLimits, rec: Rec, clientGlitches: number, why: string): string {
  // A protocol error or a zero-window stall closes the session whatever the counts say.
  if (why === 'protocol-error' || why === 'zero-window') return why;
  if (limits.glitchLimit > 0 && rec.glitches >= limits.glitchLimit) return 'glitches';
  if (limits.clientGlitchLimit > 0 && clientGlitches >= limits.clientGlitchLimit) return 'client-glitches';
  return '';
}

/** Tells the session to go away with ENHANCE_YOUR_CALM, and cuts whatever is still open a second later. */
function sendAway(session: Watched): void {
  if (session.destroyed) return;
  // GOAWAY first (nghttp2 then ignores new streams), close.
  try {
    session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM);
    session.close();
  } catch {
    session.destroy();
  }
  setTimeout(destroyLater, 1000, session).unref();
}

/**
 * 'close' of a stream (`this`): premature when the client aborted it before any response header went
 * out. Read at close: the 'aborted' event is not emitted for a session over a JS stream (src/proxy/transport.ts).
 */
function onStreamClose(this: ServerHttp2Stream): void {
  if (!this.aborted || this.headersSent) return;
  const session = (this as StreamOf)[kSession]; // this.session is already gone at 'close'
  const rec = session?.[kRec];
  if (session === undefined || rec === undefined) return;
  const guard = rec.guard;
  const limits = guard.limits;
  rec.premature++;
  guard.counts.prematureResets++;
  guard.glitch(session, rec, 1, 'reset');
  if (!rec.closed && rec.streams >= limits.resetMinStreams && rec.premature > limits.resetRatio * rec.streams)
    guard.abuse(session, rec, 'premature-resets', guard.clientGlitches(rec.key));
}

function onStream(this: Watched, stream: ServerHttp2Stream): void {
  const rec = this[kRec];
  if (rec === undefined) return;
  const guard = rec.guard;
  rec.streams++;
  guard.counts.streams++;
  (stream as StreamOf)[kSession] = this;
  stream.on('close', onStreamClose);
  if (guard.limits.maxStreamsPerSession > 0 && rec.streams === guard.limits.maxStreamsPerSession && !rec.closed) {
    guard.counts.recycledSessions++;
    this.close(); // graceful GOAWAY: the streams in flight finish, the client opens a new session
  }
}

/** A SETTINGS or PING frame from the client. */
function onControl(this: Watched): void {
  const rec = this[kRec];
  if (rec === undefined) return;
  rec.guard.counts.controlFrames++;
  if (++rec.control > rec.guard.limits.controlFramesPerSecond) rec.guard.glitch(this, rec, 1, 'control');
}

function onError(this: Watched, err: NodeJS.ErrnoException): void {
  const rec = this[kRec];
  if (rec === undefined || !PROTOCOL_ERRORS.has(err.code ?? '')) return;
  rec.guard.counts.protocolErrors++;
  rec.guard.glitch(this, rec, PROTOCOL_ERROR_WEIGHT, 'protocol-error');
}

function onClose(this: Watched): void {
  this[kRec]?.guard.sessions.delete(this);
}

class Guard implements H2Guard {
  limits: H2GuardLimits;
  readonly counts: H2GuardStats = {
    sessions: 0,
    streams: 0,
    prematureResets: 0,
    protocolErrors: 0,
    controlFrames: 0,
    glitches: 0,
    abusiveSessions: 0,
    recycledSessions: 0,
  };
  readonly sessions = new Set<Watched>();
  private readonly clients: Lru;
  private readonly windowMs: number;
  /** Kept whole: now() and onAbuse() are called on it, as the caller wrote them. */
  private readonly options: H2GuardOptions;

  constructor(options: H2GuardOptions) {
    this.options = options;
    this.limits = options.limits;
    this.windowMs = options.windowMs ?? 10_000;
    this.clients = createLru(options.clients ?? 16_384);
  }

  watch(session: ServerHttp2Session): void {
    const watched = session as Watched;
    const ip = normalizeIp(watched.socket?.remoteAddress ?? '');
    const rec: Rec = {
      guard: this,
      ip,
      key: clientKeyOf(ip),
      streams: 0,
      premature: 0,
      glitches: 0,
      control: 0,
      stalled: 0,
      closed: false,
    };
    watched[kRec] = rec;
    this.counts.sessions++;
    this.sessions.add(watched);
    watched.on('stream', onStream);
    watched.on('ping', onControl);
    watched.on('remoteSettings', onControl);
    watched.on('error', onError);
    watched.once('close', onClose);
    // A client whose other sessions already used up its allowance gets none on a new one.
    const limit = this.limits.clientGlitchLimit;
    if (limit > 0 && this.clientGlitches(rec.key) >= limit)
      this.abuse(watched, rec, 'client-glitches', this.clientGlitches(rec.key));
  }

  sweep(): number {
    const stallSeconds = this.limits.stallSeconds;
    for (const session of this.sessions) {
      const rec = session[kRec]!;
      rec.control = 0;
      if (rec.closed || session.destroyed || stallSeconds <= 0) continue;
      // The client keeps the connection window at zero (it stopped reading our DATA: HTTP/2 slow read).
      // A reading client reopens it as it consumes; pings keep Node's idle timeout from seeing the stall.
      if (session.state.remoteWindowSize === 0) {
        if (++rec.stalled >= stallSeconds) this.glitch(session, rec, 1, 'zero-window');
      } else rec.stalled = 0;
    }
    return this.sessions.size;
  }

  stats(): H2GuardStats {
    return { ...this.counts };
  }

  setLimits(l: H2GuardLimits): void {
    this.limits = l;
  }

  /** The client's glitches over the window, all its sessions together. */
  clientGlitches(key: number): number {
    return this.clients.get(key, this.options.now(), 0);
  }

  /** Adds `n` glitches to the session and its client; closes the session when either is over its cap. */
  glitch(session: Watched, rec: Rec, n: number, why: string): void {
    rec.glitches += n;
    this.counts.glitches += n;
    const now = this.options.now();
    const slot = this.clients.acquire(rec.key, now, now + this.windowMs);
    const total = (this.clients.created() ? 0 : this.clients.values[slot]) + n;
    this.clients.values[slot] = total;
    if (rec.closed) return;
    const reason = abuseReason(this.limits, rec, total, why);
    if (reason !== '') this.abuse(session, rec, reason, total);
  }

  abuse(session: Watched, rec: Rec, reason: string, clientGlitches: number): void {
    if (rec.closed) return;
    rec.closed = true;
    this.counts.abusiveSessions++;
    sendAway(session);
    try {
      this.options.onAbuse({
        ip: rec.ip,
        reason,
        streams: rec.streams,
        prematureResets: rec.premature,
        glitches: rec.glitches,
        clientGlitches,
      });
    } catch {
      // a reporting bug must not break the session teardown
    }
  }
}

export function createH2Guard(o: H2GuardOptions): H2Guard {
  return new Guard(o);
}
