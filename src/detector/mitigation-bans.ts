// An incident's automatic bans: heavy sources, slow connections, HTTP/2
// abusers and identifier walkers, each banned once per incident with its
// reason and figures. Not the mitigations of levels 1–4 (mitigation-levels.ts).
// Runs once a second; at most max_bans_per_second a call; the set of banned
// addresses is capped at 20,000.
import type { DetectorConfig } from '../config/schema/detector.js';
import type { Ban, Enforcement, Mitigation, Mode } from '../core/model.js';
import type { SpaceSaving } from '../core/space-saving.js';
import type { MitigationAction, SecondSample, SignatureItem } from './events.js';
import { templateLabel, type Walker } from './templates.js';

const MAX_TRACKED_BANS = 20_000;

/** The writes and reads of shared state the detector needs (src/state SharedState fits). */
export interface DetectorState {
  enforcement(): Enforcement;
  setMode(mode: Mode): void;
  addBan(ban: Ban): void;
  isBanned(ip: string, now: number): Ban | null;
  putMitigation(m: Mitigation): void;
  removeMitigation(id: string): boolean;
}

export class AutoBans {
  private readonly banned = new Set<string>();
  private readonly cfg: DetectorConfig;
  private readonly incidentId: string;

  constructor(cfg: DetectorConfig, incidentId: string) {
    this.cfg = cfg;
    this.incidentId = incidentId;
  }

  /** Bans the heaviest of `heavy` (by address label) under `rule`, each with `why(h)`. */
  heavy(
    now: number,
    heavy: readonly SignatureItem[],
    s: SecondSample,
    rule: string,
    why: (h: SignatureItem) => string,
    state: DetectorState | null,
    out: MitigationAction[],
  ): void {
    let n = 0;
    for (const h of heavy) {
      if (n >= this.cfg.maxBansPerSecond) break;
      const target = h.label;
      if (!this.admit(target, now, state)) continue;
      const ban = this.ban(target, rule, now, why(h));
      const figures = { rps: h.count, share: h.share, totalRps: s.requests, banMinRps: this.cfg.banMinRps };
      out.push(banAction(ban, figures));
      n++;
    }
  }

  /** Bans the sources the template watch caught walking identifiers (src/detector/templates.ts). */
  walkers(now: number, walkers: readonly Walker[], state: DetectorState | null, out: MitigationAction[]): void {
    let n = 0;
    for (const w of walkers) {
      if (n >= this.cfg.maxBansPerSecond) break;
      if (!this.admit(w.ip, now, state)) continue;
      const run = w.run >= 10 ? ` (${w.run} in sequence)` : '';
      const reason = `${w.ids} distinct identifiers of ${templateLabel(w.path)} within 30 s${run} during incident ${this.incidentId}: a person reads a few`;
      out.push(banAction(this.ban(w.ip, 'ban/auto-enumeration', now, reason), { ids: w.ids, run: w.run }));
      n++;
    }
  }

  /** A target not banned yet, by this incident or in shared state: remembered as banned from now on. */
  private admit(target: string, now: number, state: DetectorState | null): boolean {
    if (!target || this.banned.has(target) || (state !== null && state.isBanned(target, now) !== null)) return false;
    if (this.banned.size < MAX_TRACKED_BANS) this.banned.add(target);
    return true;
  }

  private ban(target: string, rule: string, now: number, reason: string): Ban {
    return { target, rule, createdAt: now, until: now + this.cfg.banDuration, reason, source: 'auto' };
  }
}

function banAction(ban: Ban, figures: Record<string, number>): MitigationAction {
  return {
    kind: 'ban',
    rule: ban.rule,
    level: 1,
    ban,
    mitigation: null,
    reason: ban.reason,
    figures,
    applied: false,
  };
}

/** The heaviest sources of a per-address table (slow connections, HTTP/2 abuse) as ban candidates. */
export function banCandidates(table: SpaceSaving, max: number): SignatureItem[] {
  return table
    .top(max)
    .map((h) => ({ key: h.key, label: h.label, count: h.count, share: 0, baselineShare: 0, lift: 0 }) as SignatureItem);
}
