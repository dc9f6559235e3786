// Schema of the edge sections: `http2:` (Node's own http2 limits, set on
// purpose, and the session-abuse counters of src/guard/h2-guard.ts),
// `fingerprints:` (passive JA4 and HTTP/2 fingerprints) and `firewall:`
// (bans and the deny list dropped in the kernel by an nftables set, through a
// privileged helper). Every key has a default; docs/edge.md explains them.
import { z } from 'zod';
import type { Camelize } from '../camelize.js';
import { duration, size } from '../units.js';

const int = (min: number, max: number, hint: string) =>
  z
    .number({ error: `a whole number (hint: ${hint})` })
    .int(`a whole number (hint: ${hint})`)
    .min(min, `at least ${min} (hint: ${hint})`)
    .max(max, `at most ${max} (hint: ${hint})`);

export const http2Schema = z
  .strictObject({
    /** SETTINGS_MAX_CONCURRENT_STREAMS we announce; streams over it are refused (REFUSED_STREAM). */
    max_concurrent_streams: int(1, 1000, '100, as nginx and HAProxy').default(100),
    /** Node's maxSessionMemory: a session over it gets its new streams refused (ENHANCE_YOUR_CALM). */
    max_session_memory: size()
      .refine((b) => b >= 1024 * 1024, 'max_session_memory is at least 1mb (hint: 10mb)')
      .default(10 * 1024 * 1024),
    /** Header fields per request (Node's maxHeaderListPairs, which counts pseudo-headers too). */
    max_header_list_pairs: int(8, 1000, '128').default(128),
    /** Invalid frames before Node closes the session (Node's default is 1000). */
    max_session_invalid_frames: int(1, 100_000, '100').default(100),
    /** Streams nghttp2 may refuse before Node closes the session. */
    max_session_rejected_streams: int(1, 100_000, '100').default(100),
    /** Our own PINGs left unanswered before Node closes the session. */
    max_outstanding_pings: int(1, 1000, '10').default(10),
    /** Glitches (resets before a response, protocol errors, control-frame floods, zero-window stalls) one session may cause before GOAWAY(ENHANCE_YOUR_CALM); 0 turns the cap off. */
    glitch_limit: int(0, 1_000_000, '100').default(100),
    /** Glitches one client address may cause in 10 s over all its sessions; 0 turns it off. */
    client_glitch_limit: int(0, 1_000_000, '200').default(200),
    /** Share of a session's streams the client may reset before their response (Envoy: 0.5)… */
    reset_ratio: z
      .number({ error: 'a share from 0 to 1 (hint: 0.5)' })
      .min(0.05, 'at least 0.05 (hint: 0.5)')
      .max(1, 'at most 1 (hint: 0.5)')
      .default(0.5),
    /** …once it has opened this many streams. */
    reset_min_streams: int(1, 1_000_000, '100').default(100),
    /** Streams per session before a graceful GOAWAY (the client reconnects); 0: unlimited. */
    max_streams_per_session: int(0, 10_000_000, '10000').default(10_000),
    /** SETTINGS and PING frames a session may send per second before each further one is a glitch. */
    control_frames_per_second: int(1, 100_000, '20').default(20),
    /** Seconds a session may keep queued responses behind a zero flow-control window. */
    stall_timeout: duration()
      .refine((ms) => ms === 0 || ms >= 1000, 'stall_timeout is 0 (off) or at least 1s (hint: 30s)')
      .default(30_000),
  })
  .prefault({});

export const fingerprintsSchema = z
  .strictObject({
    /** Read each TLS ClientHello before the handshake and compute its JA4. */
    tls: z.boolean().default(true),
    /**
     * The HTTP/2 fingerprint: `settings` (from what Node exposes — SETTINGS values that differ from the
     * protocol's defaults, in id order, the connection WINDOW_UPDATE, the pseudo-header order — at no cost
     * per request), `frames` (the exact first frames, PRIORITY and SETTINGS order included, read through a
     * JS stream between TLS and the session: ~1.5× the CPU per request, bench/edge), or `off`.
     */
    http2: z
      .enum(['settings', 'frames', 'off'], {
        message:
          'http2 is settings, frames or off (hint: settings costs nothing per request; frames reads the exact first frames at a CPU cost)',
      })
      .default('settings'),
    /** A User-Agent naming a browser over a TLS/HTTP2 stack that is not that browser's counts as a tool (`spoofed`). */
    check_browser_claims: z.boolean().default(true),
  })
  .prefault({});

export const firewallSchema = z
  .strictObject({
    /** `off`, or `nftables`: bans and the deny list go into an nftables set through `rampart firewall-helper`. */
    backend: z
      .enum(['off', 'nftables'], {
        message: 'backend is off or nftables (hint: nftables needs `rampart firewall-helper` running as root)',
      })
      .default('off'),
    /** The helper's Unix socket. */
    socket: z.string().min(1, 'a path (hint: /run/rampart/firewall.sock)').default('/run/rampart/firewall.sock'),
    /** How often the whole set is rewritten from the shared state (bans made elsewhere, expired ones, a restarted helper). */
    reconcile_interval: duration()
      .refine((ms) => ms >= 1000 && ms <= 3_600_000, 'reconcile_interval is between 1s and 1h (hint: 30s)')
      .default(30_000),
  })
  .prefault({});

export type Http2Config = Camelize<z.output<typeof http2Schema>>;
export type FingerprintsConfig = Camelize<z.output<typeof fingerprintsSchema>>;
export type FirewallConfig = Camelize<z.output<typeof firewallSchema>>;
