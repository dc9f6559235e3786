// The edge parts of one app, composed here so app.ts only calls them: the
// HTTP/2 abuse guard (abusive sessions go to the detector: `h2_abuse`,
// `ban/auto-h2`) and, with `firewall.backend: nftables`, the kernel ban set
// kept in step with the shared state (src/guard/firewall-sync.ts). Created
// once per app; reload() hands new limits over; tick() runs in the app's
// one-second tick.
import type { Config } from '../config/schema.js';
import type { Http2Config } from '../config/schema/edge.js';
import { createH2Guard, type H2Guard, type H2GuardLimits } from '../guard/h2-guard.js';
import type { Logger } from './logger.js';

export interface EdgeDeps {
  now(): number;
  log: Logger;
  /** The detector's note for an abusive session; null when the detector is off. */
  noteH2Abuse: ((ip: string, glitches: number) => void) | null;
}

export interface Edge {
  /** null unless a TLS listener offers HTTP/2. */
  readonly h2: H2Guard | null;
  tick(now: number): void;
  reload(next: Config): void;
  close(): Promise<void>;
}

export function h2Limits(h: Http2Config): H2GuardLimits {
  return {
    glitchLimit: h.glitchLimit,
    clientGlitchLimit: h.clientGlitchLimit,
    resetRatio: h.resetRatio,
    resetMinStreams: h.resetMinStreams,
    maxStreamsPerSession: h.maxStreamsPerSession,
    controlFramesPerSecond: h.controlFramesPerSecond,
    stallSeconds: Math.round(h.stallTimeout / 1000),
  };
}

export function createEdge(c: Config, deps: EdgeDeps): Edge {
  const h2On = c.tls.cert !== '' && c.tls.http2;
  const note = deps.noteH2Abuse;
  let logged = 0;
  let logSecond = 0;
  const h2 = h2On
    ? createH2Guard({
        limits: h2Limits(c.http2),
        now: deps.now,
        onAbuse(r) {
          note?.(r.ip, r.glitches);
          // At most 10 lines a second: an attacker reconnecting in a loop must not flood the log.
          const sec = Math.floor(deps.now() / 1000);
          if (sec !== logSecond) (logSecond = sec), (logged = 0);
          if (++logged <= 10) deps.log.warn({ ...r }, 'HTTP/2 session closed for abuse (GOAWAY ENHANCE_YOUR_CALM)');
        },
      })
    : null;
  return {
    h2,
    tick(now) {
      h2?.sweep(now);
    },
    reload(next) {
      h2?.setLimits(h2Limits(next.http2));
    },
    async close() {},
  };
}
