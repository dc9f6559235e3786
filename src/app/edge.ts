// The edge parts of one app, composed here so app.ts only calls them: the
// HTTP/2 abuse guard (abusive sessions go to the detector: `h2_abuse`,
// `ban/auto-h2`) and, with `firewall.backend: nftables`, the kernel ban set
// kept in step with the shared state (src/guard/firewall-sync.ts). Created
// once per app; reload() hands new limits over; tick() runs in the app's
// one-second tick.
import type { Config } from '../config/schema.js';
import type { Ban, Enforcement } from '../core/model.js';
import { createFirewallSync, type FirewallSync } from '../guard/firewall-sync.js';
import type { Http2Config } from '../config/schema/edge.js';
import { createH2Guard, type H2Guard, type H2GuardLimits } from '../guard/h2-guard.js';
import type { Logger } from './logger.js';

export { startFirewallHelper } from '../guard/firewall-helper.js';

export interface EdgeDeps {
  now(): number;
  log: Logger;
  /** The bans (local and other nodes'), for the kernel set. */
  state: { bans(): readonly Ban[]; onChange(fn: () => void): () => void };
  /** The enforcement in force (observe empties the kernel ban set). */
  enforcement(): Enforcement;
  /** The configuration in force (allow and deny lists change on reload). */
  config(): Config;
  /** One process per node talks to the firewall helper (a cluster's recorder worker). */
  firewallWriter: boolean;
  /** The detector's note for an abusive session; null when the detector is off. */
  noteH2Abuse: ((ip: string, glitches: number) => void) | null;
}

export interface Edge {
  /** null unless a TLS listener offers HTTP/2. */
  readonly h2: H2Guard | null;
  /** null unless firewall.backend is nftables (and this process is the node's writer). */
  readonly firewall: FirewallSync | null;
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
          if (sec !== logSecond) {
            logSecond = sec;
            logged = 0;
          }
          if (++logged <= 10) deps.log.warn({ ...r }, 'HTTP/2 session closed for abuse (GOAWAY ENHANCE_YOUR_CALM)');
        },
      })
    : null;
  const fw = c.firewall.backend === 'nftables' && deps.firewallWriter ? createFirewall(c, deps) : null;
  return {
    h2,
    firewall: fw,
    tick(now) {
      h2?.sweep(now);
      fw?.tick(now);
    },
    reload(next) {
      h2?.setLimits(h2Limits(next.http2));
    },
    async close() {
      await fw?.close();
    },
  };
}

/** The kernel ban set: bans and the deny list, the allow list cut out; empty in observe enforcement. */
function createFirewall(c: Config, deps: EdgeDeps): FirewallSync {
  const { state, log } = deps;
  return createFirewallSync({
    socket: c.firewall.socket,
    reconcileMs: c.firewall.reconcileInterval,
    now: deps.now,
    entries() {
      if (deps.enforcement() === 'observe') return [];
      const out: { target: string; until: number }[] = state.bans().map((b) => ({ target: b.target, until: b.until }));
      for (const d of deps.config().policy.deny) out.push({ target: d, until: Infinity });
      return out;
    },
    allow: () => deps.config().policy.allow,
    onChange: (fn) => state.onChange(fn),
    onHealth: (ok, why) =>
      ok
        ? log.info({ socket: c.firewall.socket }, why)
        : log.error(
            { socket: c.firewall.socket, why },
            'firewall helper unreachable or refusing: bans are enforced in Rampart only until it answers',
          ),
  });
}
