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

interface Rec {
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

export function createH2Guard(o: H2GuardOptions): H2Guard {
  let limits = o.limits;
  const windowMs = o.windowMs ?? 10_000;
  const clients: Lru = createLru(o.clients ?? 16_384);
  const sessions = new Set<Watched>();
  const st: H2GuardStats = {
    sessions: 0,
    streams: 0,
    prematureResets: 0,
    protocolErrors: 0,
    controlFrames: 0,
    glitches: 0,
    abusiveSessions: 0,
    recycledSessions: 0,
  };

  /** Adds `n` glitches to the session and its client; closes the session when either is over its cap. */
  function glitch(s: Watched, r: Rec, n: number, why: string): void {
    r.glitches += n;
    st.glitches += n;
    const now = o.now();
    const slot = clients.acquire(r.key, now, now + windowMs);
    const total = (clients.created() ? 0 : clients.values[slot]) + n;
    clients.values[slot] = total;
    if (r.closed) return;
    const over =
      limits.glitchLimit > 0 && r.glitches >= limits.glitchLimit
        ? 'glitches'
        : limits.clientGlitchLimit > 0 && total >= limits.clientGlitchLimit
          ? 'client-glitches'
          : '';
    if (over !== '') abuse(s, r, why === 'protocol-error' || why === 'zero-window' ? why : over, total);
    else if (why === 'protocol-error' || why === 'zero-window') abuse(s, r, why, total);
  }

  function abuse(s: Watched, r: Rec, reason: string, clientGlitches: number): void {
    if (r.closed) return;
    r.closed = true;
    st.abusiveSessions++;
    if (!s.destroyed) {
      // GOAWAY first (nghttp2 then ignores new streams), close, and cut whatever is still open a second later.
      try {
        s.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM);
        s.close();
      } catch {
        s.destroy();
      }
      setTimeout(destroyLater, 1000, s).unref();
    }
    try {
      o.onAbuse({
        ip: r.ip,
        reason,
        streams: r.streams,
        prematureResets: r.premature,
        glitches: r.glitches,
        clientGlitches,
      });
    } catch {
      // a reporting bug must not break the session teardown
    }
  }

  /**
   * 'close' of a stream (`this`): premature when the client aborted it before any response header went
   * out. Read at close: the 'aborted' event is not emitted for a session over a JS stream (src/proxy/transport.ts).
   */
  function onStreamClose(this: ServerHttp2Stream): void {
    if (!this.aborted || this.headersSent) return;
    const s = (this as StreamOf)[kSession]; // this.session is already gone at 'close'
    const r = s?.[kRec];
    if (s === undefined || r === undefined) return;
    r.premature++;
    st.prematureResets++;
    glitch(s, r, 1, 'reset');
    if (!r.closed && r.streams >= limits.resetMinStreams && r.premature > limits.resetRatio * r.streams)
      abuse(s, r, 'premature-resets', clients.get(r.key, o.now(), 0));
  }

  function onStream(this: Watched, stream: ServerHttp2Stream): void {
    const r = this[kRec];
    if (r === undefined) return;
    r.streams++;
    st.streams++;
    (stream as StreamOf)[kSession] = this;
    stream.on('close', onStreamClose);
    if (limits.maxStreamsPerSession > 0 && r.streams === limits.maxStreamsPerSession && !r.closed) {
      st.recycledSessions++;
      this.close(); // graceful GOAWAY: the streams in flight finish, the client opens a new session
    }
  }

  function onControl(this: Watched): void {
    const r = this[kRec];
    if (r === undefined) return;
    st.controlFrames++;
    if (++r.control > limits.controlFramesPerSecond) glitch(this, r, 1, 'control');
  }

  function onError(this: Watched, err: NodeJS.ErrnoException): void {
    const r = this[kRec];
    if (r === undefined || !PROTOCOL_ERRORS.has(err.code ?? '')) return;
    st.protocolErrors++;
    glitch(this, r, PROTOCOL_ERROR_WEIGHT, 'protocol-error');
  }

  function onClose(this: Watched): void {
    sessions.delete(this);
  }

  return {
    watch(session) {
      const s = session as Watched;
      const ip = normalizeIp(s.socket?.remoteAddress ?? '');
      s[kRec] = {
        ip,
        key: clientKeyOf(ip),
        streams: 0,
        premature: 0,
        glitches: 0,
        control: 0,
        stalled: 0,
        closed: false,
      };
      st.sessions++;
      sessions.add(s);
      s.on('stream', onStream);
      s.on('ping', onControl);
      s.on('remoteSettings', onControl);
      s.on('error', onError);
      s.once('close', onClose);
      // A client whose other sessions already used up its allowance gets none on a new one.
      const r = s[kRec]!;
      if (limits.clientGlitchLimit > 0 && clients.get(r.key, o.now(), 0) >= limits.clientGlitchLimit)
        abuse(s, r, 'client-glitches', clients.get(r.key, o.now(), 0));
    },
    sweep() {
      for (const s of sessions) {
        const r = s[kRec]!;
        r.control = 0;
        if (r.closed || s.destroyed || limits.stallSeconds <= 0) continue;
        // The client keeps the connection window at zero (it stopped reading our DATA: HTTP/2 slow read).
        // A reading client reopens it as it consumes; pings keep Node's idle timeout from seeing the stall.
        if (s.state.remoteWindowSize === 0) {
          if (++r.stalled >= limits.stallSeconds) glitch(s, r, 1, 'zero-window');
        } else r.stalled = 0;
      }
      return sessions.size;
    },
    stats: () => ({ ...st }),
    setLimits(l) {
      limits = l;
    },
  };
}
