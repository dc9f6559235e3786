// The detector's mode machine and the incident it runs: normal → elevated →
// under_attack → recovering → normal, with hysteresis (start_after, end_after,
// recover_hold, pulse periods), the incident's mitigation steps applied to
// shared state, and the events that say so. Not the scoring (assess.ts) nor
// the choice of actions (mitigate.ts). Runs once a second; memory: one
// incident (incident.ts bounds) and the last 100 actions.
import type { DetectorConfig } from '../config/schema/detector.js';
import type { Enforcement, Mode } from '../core/model.js';
import type { Assessment } from './assess.js';
import { incidentFromMemory, keysOf, memoryOf } from './attack-memory.js';
import { holdOf, trackBursts } from './bursts.js';
import type { AttackStartEvent, DetectorEvent, MitigationAction, SecondSample } from './events.js';
import { Incident } from './incident.js';
import { type AttackMemory, sameAttack } from './learned.js';
import { type DetectorState, Mitigator, TOP_LEVEL } from './mitigate.js';
import { banCandidates } from './mitigation-bans.js';
import { type SurgeInputs, surgeOf } from './surge.js';

const MAX_RECENT = 100;

/** What the machine reads of the detector that owns it, and how it speaks. */
export interface MachineHost extends SurgeInputs {
  /** Shared state for writes; null: actions are recorded, never applied. */
  readonly state: DetectorState | null;
  enforcement(): Enforcement;
  emit(e: DetectorEvent): void;
}

export class AttackMachine {
  mode: Mode = 'normal';
  incident: Incident | null = null;
  /** The last actions taken (newest last), for the dashboard. */
  readonly recentActions: MitigationAction[] = [];
  private anomalousStreak = 0;
  private calmStreak = 0;
  /** The attack is calm and the incident waits out recover_hold (published as `recovering` after under_attack, else still `elevated`). */
  private cooling = false;
  private recoverUntil = 0;
  private incidentSeq = 0;
  private readonly host: MachineHost;
  private readonly cfg: DetectorConfig;
  private readonly startAfter: number;
  private readonly endAfter: number;
  private readonly warmupS: number;

  constructor(host: MachineHost) {
    this.host = host;
    this.cfg = host.cfg;
    this.startAfter = Math.round(host.cfg.startAfter / 1000);
    this.endAfter = Math.round(host.cfg.endAfter / 1000);
    this.warmupS = Math.round(host.cfg.warmup / 1000);
  }

  /** One closed second, assessed. */
  step(now: number, s: SecondSample, a: Assessment): void {
    this.countStreaks(a.anomalous);
    if (this.mode === 'normal') {
      if (this.anomalousStreak >= this.startAfter) this.startAndMitigate(now, s, a);
      return;
    }
    const restored = this.incident!.restored;
    if (restored !== null && a.anomalous && !this.resumeAfterRestart(now, s, a, restored)) return;
    const inc = this.incident!;
    inc.add(s, a.signature, this.host.window.sources, a.vectors);
    trackBursts(inc, s, a, this.calmStreak);
    if (this.coolDown(now, s, a, inc)) return;
    inc.distressSeconds = a.anomalous && a.distress ? inc.distressSeconds + 1 : 0;
    // Cooling, the incident stays armed through the quiet phase: a pulse's next burst meets it from its first second.
    if (this.cooling) this.renew(now, inc);
    else this.mitigate(now, s, a, inc);
    this.escalate(now, s, a, inc);
  }

  /** What to persist of the attack in progress (as restored, until it is seen again), or null. */
  memory(): AttackMemory | null {
    const inc = this.incident;
    return inc === null ? null : (inc.restored ?? memoryOf(inc, this.mode, this.host.baselines));
  }

  /**
   * Holds a remembered attack open when it was seen at most end_after +
   * recover_hold before `now`: cooling since its last attack second, it
   * ends by itself unless the attack comes back (`savedAt`: when it was
   * saved, the calm seen before the restart). False when too old.
   */
  restore(m: AttackMemory, now: number, savedAt = now): boolean {
    if (now - m.lastAnomalousAt > this.cfg.endAfter + this.cfg.recoverHold) return false;
    const inc = incidentFromMemory(this.cfg, m, now);
    this.incident = inc;
    this.mode = m.mode === 'normal' ? 'elevated' : m.mode;
    this.cooling = true;
    // The calm seconds watched before the save: the time the shield was down is no calm anyone saw, and
    // two calm seconds make a gap between pulses (bursts.ts) — a restart is not a pulse wave.
    this.calmStreak = Math.max(0, Math.round((savedAt - m.lastAnomalousAt) / 1000) - 1);
    this.recoverUntil = m.lastAnomalousAt + this.cfg.endAfter + holdOf(inc, this.cfg.recoverHold);
    return true;
  }

  private countStreaks(anomalous: boolean): void {
    if (anomalous) {
      this.anomalousStreak++;
      this.calmStreak = 0;
    } else {
      this.anomalousStreak = 0;
      this.calmStreak++;
    }
  }

  private startAndMitigate(now: number, s: SecondSample, a: Assessment): void {
    const inc = this.start(now, s, a);
    this.mitigate(now, s, a, inc);
  }

  private start(now: number, s: SecondSample, a: Assessment): Incident {
    const host = this.host;
    const id = `inc-${new Date(s.t).toISOString().replace(/[-:]/g, '').slice(0, 15)}z-${++this.incidentSeq}`;
    const inc = new Incident(id, s.t, new Mitigator(this.cfg, id, surgeOf(s, a, host)));
    this.incident = inc;
    inc.add(s, a.signature, host.window.sources, a.vectors);
    this.emitStart(now, inc, 'elevated', s, a, false);
    this.setMode('elevated', now, a.vectors.map((v) => v.reason).join('; '), {
      score: a.score,
      rps: s.requests,
      baselineRps: Math.round(host.baselines.rps.mean * 10) / 10,
    });
    return inc;
  }

  /**
   * The first attack second after a restart: the same attack goes on under
   * its id (true); another one ends it and starts its own incident (false).
   */
  private resumeAfterRestart(now: number, s: SecondSample, a: Assessment, was: AttackMemory): boolean {
    const inc = this.incident!;
    inc.restored = null;
    const vectors = a.vectors.map((v) => v.vector);
    if (!sameAttack(was, vectors, keysOf(a))) {
      this.end(now, `a different attack (${vectors.join(', ')}) after a restart`);
      this.startAndMitigate(now, s, a);
      return false;
    }
    this.cooling = false;
    this.emitStart(now, inc, this.mode, s, a, true);
    return true;
  }

  /** attack_start: a new incident, or (resumed) the one remembered from before a restart, seen again. */
  private emitStart(now: number, inc: Incident, mode: Mode, s: SecondSample, a: Assessment, resumed: boolean): void {
    const host = this.host;
    const event: AttackStartEvent = {
      type: 'attack_start',
      incidentId: inc.id,
      at: now,
      mode,
      enforcement: host.enforcement(),
      vectors: a.vectors,
      signature: a.signature,
      sample: s,
      baseline: host.baselines.figures(host.baselines.learned >= this.warmupS),
    };
    if (resumed) event.resumed = true;
    host.emit(event);
  }

  /**
   * Calm for end_after: the incident cools, held armed. Cooled past its hold:
   * it ends (returns true). Attacked again while cooling: it resumes.
   */
  private coolDown(now: number, s: SecondSample, a: Assessment, inc: Incident): boolean {
    if (!this.cooling) {
      if (this.calmStreak >= this.endAfter) this.startCooling(now, s, inc);
      return false;
    }
    if (this.anomalousStreak >= this.startAfter) {
      this.cooling = false;
      this.setMode(
        inc.mitigator.level >= TOP_LEVEL ? 'under_attack' : 'elevated',
        now,
        `attack resumed (burst ${inc.bursts})`,
        { score: a.score, rps: s.requests, bursts: inc.bursts },
      );
      return false;
    }
    if (now < this.recoverUntil) return false;
    this.end(now);
    return true;
  }

  private startCooling(now: number, s: SecondSample, inc: Incident): void {
    this.cooling = true;
    this.recoverUntil = now + holdOf(inc, this.cfg.recoverHold);
    // The challenge stage treats `recovering` like `under_attack`: only step down to it from there.
    if (this.mode === 'under_attack')
      this.setMode('recovering', now, `no anomaly for ${this.calmStreak}s`, {
        calmSeconds: this.calmStreak,
        rps: s.requests,
        baselineRps: Math.round(this.host.baselines.rps.mean * 10) / 10,
      });
  }

  /**
   * under_attack challenges every unverified client (challenge.require default): only once the
   * narrow actions failed (widened to the top level), or the origin stays in distress after the
   * surge's new clients were challenged.
   */
  private escalate(now: number, s: SecondSample, a: Assessment, inc: Incident): void {
    const level = inc.mitigator.level;
    const top = level >= TOP_LEVEL;
    if (this.mode !== 'elevated' || !a.anomalous) return;
    if (!top && !(inc.distressSeconds * 1000 >= this.cfg.widenAfter && level >= 3)) return;
    this.setMode(
      'under_attack',
      now,
      top ? 'narrow mitigations did not bring the origin load back' : `origin in distress for ${inc.distressSeconds}s`,
      { score: a.score, rps: s.requests, forwarded: s.forwarded, originMs: s.originMs, level },
    );
  }

  private end(now: number, why?: string): void {
    const inc = this.incident!;
    const reason = why ?? `incident ${inc.id} ended; recovering held for ${this.cfg.recoverHold / 1000}s`;
    for (const r of inc.mitigator.relax(reason)) this.apply(r, inc, now);
    this.host.emit({
      type: 'attack_end',
      incidentId: inc.id,
      at: now,
      startedAt: inc.startedAt,
      durationMs: inc.lastAnomalousAt + 1000 - inc.startedAt,
      vectors: [...inc.vectors.keys()],
      totals: { ...inc.totals },
      signature: inc.signature(this.host.baselines),
    });
    this.setMode('normal', now, `no anomaly for ${Math.round((now - inc.lastAnomalousAt) / 1000)}s`, {});
    this.incident = null;
    this.cooling = false;
  }

  private mitigate(now: number, s: SecondSample, a: Assessment, inc: Incident): void {
    const host = this.host;
    if (a.anomalous) {
      const max = this.cfg.maxBansPerSecond;
      const slow = banCandidates(host.window.topSlow, max);
      const h2 = banCandidates(host.window.topH2, max);
      for (const act of inc.mitigator.step(now, a, s, host.baselines, slow, host.state, h2)) this.apply(act, inc, now);
    }
    this.renew(now, inc);
    host.emit({
      type: 'attack_update',
      incidentId: inc.id,
      at: now,
      mode: this.mode,
      vectors: a.vectors,
      signature: a.signature,
      sample: s,
      totals: { ...inc.totals },
    });
  }

  private renew(now: number, inc: Incident): void {
    const renewed = inc.mitigator.renew(now);
    const state = this.host.state;
    if (renewed.length > 0 && this.host.enforcement() === 'enforce' && state !== null)
      for (const m of renewed) state.putMitigation(m);
  }

  private apply(a: MitigationAction, inc: Incident, now: number): void {
    const state = this.host.state;
    let act = this.host.enforcement() === 'enforce' && state !== null;
    if (act && state !== null) {
      try {
        if (a.kind === 'ban' && a.ban) state.addBan(a.ban);
        else if (a.kind === 'mitigation' && a.mitigation) state.putMitigation(a.mitigation);
        else if (a.kind === 'remove_mitigation' && a.mitigation) state.removeMitigation(a.mitigation.id);
      } catch (err) {
        // A refused write (e.g. a target the state cannot parse) is recorded as not applied, never thrown into the tick.
        act = false;
        a.reason += ` (not applied: ${(err as Error).message})`;
      }
    }
    a.applied = act;
    inc.record(a);
    this.recentActions.push(a);
    if (this.recentActions.length > MAX_RECENT) this.recentActions.shift();
    this.host.emit({ type: 'mitigation', incidentId: inc.id, at: now, action: a });
  }

  private setMode(to: Mode, now: number, reason: string, figures: Record<string, number>): void {
    if (to === this.mode) return;
    const from = this.mode;
    this.mode = to;
    const state = this.host.state;
    const act = this.host.enforcement() === 'enforce' && state !== null;
    if (act) state.setMode(to);
    const incidentId = this.incident?.id ?? '';
    this.host.emit({ type: 'escalation', incidentId, at: now, from, to, reason, figures, applied: act });
  }
}
