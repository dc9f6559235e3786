// Builds IncidentRecords from detector events (in memory, at event time) and
// writes them with their per-second samples once per tick, in one transaction.
// A restart's open records are resumed or closed by incidents-suspended.ts,
// the record's pieces built by incidents-record.ts, its merged figures kept
// by incidents-figures.ts.
// Cluster: merges the other workers' evidence parts (evidence-parts.ts) into
// the record; in the other workers, part() is what they send the recorder.
// Bounded: one open record (≤ 1000 mitigations, top lists of 20), a 60 s ring.
import type { AttributionSnapshot, ImpactSecond } from '../detector/attribution.js';
import type { DetectorEvent } from '../detector/events.js';
import { account, applyAccounting } from './accounting.js';
import { addImpact, addTotals, type EvidencePart } from './evidence-merge.js';
import type { EvidenceParts } from './evidence-parts.js';
import type { Exposure } from './exposure.js';
import { IncidentFigures } from './incidents-figures.js';
import { createGlobalFigures, type GlobalFigures } from './incidents-global.js';
import {
  countResurgence,
  emptySecond,
  foldIndicators,
  freshRecord,
  impactFields,
  mergeVectors,
  mitigationEntry,
  sampleOf,
  topsOf,
  zeroTotals,
} from './incidents-record.js';
import type { IncidentStore } from './incidents-store.js';
import { SuspendedIncidents } from './incidents-suspended.js';
import { TopAccumulator } from './incidents-top.js';
import type { IncidentRecord, Sample } from './incidents-types.js';

export interface AttributionView {
  newEpoch(): void;
  endEpoch(): void;
  snapshot(limit?: number): AttributionSnapshot;
  closeSecond(): ImpactSecond;
  sourceSketch?(): Uint8Array;
  sourceSample?(): Uint32Array;
}

export interface RecorderOptions {
  store: IncidentStore;
  attribution: AttributionView | null;
  exposure: Exposure | null;
  resumeWindowMs: number;
  licences: string[];
  /** Challenge counters now (issued, solved), for the challenge-solving indicator. */
  challenge(): { issued: number; solved: number };
  asnName?(asn: number): string;
  onError(err: unknown): void;
  /**
   * Per-second counts summed over every worker and node (state.globalCounts),
   * when the state is shared; null/absent: this process's figures are the whole.
   */
  global?: ((second: number) => Record<string, number> | null) | null;
  /** false: keep records in memory (status, dashboard) but never write them: another worker records for this data_dir. */
  write?: boolean;
  /** Cluster recorder: the other workers' latest evidence parts, merged into the record. */
  peers?: EvidenceParts | null;
}

const BEFORE_S = 60;
const MAX_MITIGATIONS = 1000;

type AttackStart = Extract<DetectorEvent, { type: 'attack_start' }>;
type AttackUpdate = Extract<DetectorEvent, { type: 'attack_update' }>;
type AttackEnd = Extract<DetectorEvent, { type: 'attack_end' }>;

export interface Recorder {
  onEvent(e: DetectorEvent): void;
  tick(now: number): void;
  active(): IncidentRecord | null;
  /** Writes what is pending; `final` (stop()) also writes samples still waiting for global sums. */
  flush(now: number, final?: boolean): void;
  /** This worker's evidence part of the open (or just ended) incident, for the recorder; null when there is none. */
  part(now: number): EvidencePart | null;
}

export function createRecorder(o: RecorderOptions): Recorder {
  return new IncidentRecorder(o);
}

class IncidentRecorder implements Recorder {
  /** This worker's impact seconds before the incident (the last BEFORE_S). */
  private readonly before: ImpactSecond[] = [];
  private cur: IncidentRecord | null = null;
  private tops = new TopAccumulator();
  /** Detector incident id → stored id (differs when a restart resumed an incident). */
  private alias: { from: string; to: string } | null = null;
  private readonly suspended: SuspendedIncidents;
  /** The detector's seconds since the last tick (usually one; two when one came late). */
  private pendingSamples: Partial<Sample>[] = [];
  private readonly dirty = new Set<IncidentRecord>();
  private samples: { id: string; s: Sample }[] = [];
  private readonly globals: GlobalFigures | null;
  private readonly figures: IncidentFigures;

  constructor(private readonly o: RecorderOptions) {
    this.suspended = new SuspendedIncidents(o.store, o.onError, (r) => this.dirty.add(r));
    this.globals = o.global ? createGlobalFigures(o.global) : null;
    this.figures = new IncidentFigures(o, (r) => this.dirty.add(r));
  }

  active(): IncidentRecord | null {
    return this.cur;
  }

  onEvent(e: DetectorEvent): void {
    if (e.type === 'attack_start') {
      this.start(e);
      return;
    }
    const r = this.mine(e);
    if (r === null) {
      if (e.type === 'attack_end') this.suspended.endHeld(e.incidentId);
      return;
    }
    this.dirty.add(r);
    if (e.type === 'attack_update') this.update(r, e);
    else if (e.type === 'mitigation') {
      if (r.mitigations.length < MAX_MITIGATIONS) r.mitigations.push(mitigationEntry(e));
    } else if (e.type === 'escalation')
      r.escalations.push({ at: e.at, from: e.from, to: e.to, reason: e.reason, applied: e.applied });
    else if (e.type === 'attack_end') this.end(r, e);
  }

  tick(now: number): void {
    const own = this.o.attribution ? this.o.attribution.closeSecond() : null;
    const r = this.cur;
    // Other workers' impact seconds since the last tick fold into this one (a late part: the next one).
    const peerImp = this.o.peers && this.alias && r !== null ? this.o.peers.takeImpact(this.alias.from) : null;
    const imp = own && peerImp ? addImpact(structuredClone(own), peerImp) : own;
    if (this.cur === null) this.figures.late(now);
    if (r !== null && r.status === 'open') this.recordSecond(r, imp, now);
    else if (own) {
      this.before.push(own);
      if (this.before.length > BEFORE_S) this.before.shift();
    }
    this.pendingSamples = [];
    this.suspended.expire(now, this.o.resumeWindowMs);
    this.settle(now, false);
    this.flush(now);
  }

  part(now: number): EvidencePart | null {
    const live = this.cur !== null && this.alias !== null ? { r: this.cur, id: this.alias.from } : null;
    return this.figures.part(now, live);
  }

  flush(now: number, final = false): void {
    if (final) this.settle(now, true);
    if (this.dirty.size === 0 && this.samples.length === 0) return;
    if (this.o.write !== false) {
      try {
        this.o.store.save([...this.dirty], this.samples);
      } catch (err) {
        this.o.onError(err);
      }
    }
    this.dirty.clear();
    this.samples = [];
  }

  private start(e: AttackStart): void {
    // The shared id names an incident this store already holds (this node left the attack and came back, or restarted): go on with it.
    const resumable = this.suspended.resume(e);
    const cur = resumable ? this.resume(resumable, e) : this.begin(e);
    this.cur = cur;
    this.tops = new TopAccumulator();
    if (resumable) this.tops.seed(cur.top, cur.totals.requests);
    this.tops.add(e.signature, e.sample.requests);
    cur.top = this.tops.result();
    this.pendingSamples = []; // the first second comes with the update that follows at once
    this.alias = { from: e.incidentId, to: cur.id };
    cur.owner = this.suspended.me;
    cur.enforcement = e.enforcement;
    cur.licences = this.o.licences;
    this.figures.begin(resumable ? resumable.attribution : null, resumable ? null : structuredClone(cur.impact.before));
    this.o.peers?.keepOnly(e.incidentId);
    this.o.attribution?.newEpoch();
    this.o.exposure?.newEpoch();
    for (const v of e.vectors) if (v.templates !== undefined) this.o.exposure?.watchTemplates(v.templates);
    this.dirty.add(cur);
  }

  /** A stored record the detector goes on with: a note says why (its attribution so far is added to: incidents-figures.ts). */
  private resume(r: IncidentRecord, e: AttackStart): IncidentRecord {
    const gap = Math.round((e.at - r.lastSeenAt) / 1000);
    r.notes.push(
      !e.resumed
        ? `this node saw the shared incident again at ${new Date(e.at).toISOString()} (gap ${gap}s) and went on recording it; distinct-source counts of both stretches are added, so a source seen in both counts twice`
        : `resumed at ${new Date(e.at).toISOString()} after a restart of the shield (gap ${gap}s): the same signature; distinct-source counts before and after the restart are added, so a source seen on both sides counts twice`,
    );
    return r;
  }

  /** A new record: the detector's baseline, and this worker's minute before the attack. */
  private begin(e: AttackStart): IncidentRecord {
    const r = freshRecord(e.incidentId, e.sample.t);
    r.baseline = {
      rps: e.baseline.rps,
      rpsStd: e.baseline.rpsStd,
      sources: e.baseline.sources,
      originMs: e.baseline.originMs,
      warm: e.baseline.warm,
      learnedSeconds: e.baseline.learnedSeconds,
    };
    const sum = { verified: zeroTotals(), others: zeroTotals(), seconds: this.before.length };
    for (const b of this.before) {
      addTotals(sum.verified, b.verified);
      addTotals(sum.others, b.others);
    }
    r.impact.before = sum;
    return r;
  }

  private mine(e: DetectorEvent): IncidentRecord | null {
    return this.cur !== null && this.alias !== null && e.incidentId === this.alias.from ? this.cur : null;
  }

  private update(r: IncidentRecord, e: AttackUpdate): void {
    r.vectors = mergeVectors(r.vectors, e.vectors);
    // Identifier walks on a route nobody declared sensitive: the exposure watch takes it on by itself.
    for (const v of e.vectors) if (v.templates !== undefined) this.o.exposure?.watchTemplates(v.templates);
    this.setTotals(r, e.totals);
    // The incident's top lists: the sum over its anomalous seconds (each signature holds one second).
    if (e.sample.score >= 1) {
      this.tops.add(e.signature, e.sample.requests);
      r.top = this.tops.result();
    }
    foldIndicators(r, e);
    const s = e.sample;
    for (const [k, v] of Object.entries(s.classes)) r.routeClasses[k] = (r.routeClasses[k] ?? 0) + v;
    countResurgence(r, e);
    this.pendingSamples.push(sampleOf(s, e.mode));
    r.lastSeenAt = s.t;
  }

  private end(r: IncidentRecord, e: AttackEnd): void {
    r.endedAt = e.startedAt + e.durationMs;
    this.setTotals(r, e.totals);
    if (this.tops.empty) r.top = topsOf(e.signature);
    r.status = 'closed';
    this.figures.end(r, e.incidentId, r.endedAt);
    this.o.attribution?.endEpoch();
    this.cur = null;
    this.alias = null;
  }

  /** One tick of the open incident: its impact second, the detector's samples, and now and then its merged figures. */
  private recordSecond(r: IncidentRecord, imp: ImpactSecond | null, now: number): void {
    if (imp) {
      addTotals(r.impact.during.verified, imp.verified);
      addTotals(r.impact.during.others, imp.others);
      r.indicators.browserLike += imp.browserLike;
      r.indicators.unverified += imp.others.requests;
    }
    // No second from the detector this tick (it came late): the impact figures alone; its traffic comes with the next one.
    const ps = this.pendingSamples.length > 0 ? this.pendingSamples : [emptySecond(now - 1000)];
    for (let i = 0; i < ps.length; i++) {
      const sample: Sample = {
        ...(ps[i] as Sample),
        seconds: 1,
        ...impactFields(i === ps.length - 1 ? imp : null),
      };
      if (this.globals) this.globals.hold(r, sample);
      else this.keep(r, sample);
    }
    if (r.totals.seconds % 5 === 0) this.figures.finish(r, this.alias?.from ?? r.id); // figures of an open incident stay current in the store
    this.dirty.add(r);
  }

  /** This node's detector totals; with shared state the headline stays global (incidents-global.ts). */
  private setTotals(r: IncidentRecord, local: IncidentRecord['totals']): void {
    if (this.globals) this.globals.setTotals(r, local);
    else r.totals = { ...local, distinctSources: Math.max(r.totals.distinctSources, local.distinctSources) };
    applyAccounting(r); // requests, forwarded, refused and peak: the sums of the stored samples
  }

  /** A sample final: stored, and accounted for in its record. */
  private keep(r: IncidentRecord, s: Sample): void {
    account(r, s);
    this.samples.push({ id: r.id, s });
  }

  private settle(now: number, all: boolean): void {
    this.globals?.settle(now, all, (r, s) => {
      this.dirty.add(r);
      this.keep(r, s);
    });
  }
}
