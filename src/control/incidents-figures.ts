// The merged figures of the recorder's incident: attribution, data exposure and
// the minute before, this worker's own merged with the other cluster workers'
// parts (evidence-merge.ts), the challenge counts since it began, and the
// grade. After attack_end the record is figured again with parts that come
// late, for LATE_MS. Not the record's lifecycle (incidents-recorder.ts).
// Bounded: one incident's parts, merged once every 5 s and at its end.
import type { AttributionSnapshot } from '../detector/attribution.js';
import {
  addTotals,
  mergeAttribution,
  mergeBefore,
  MERGED_NOTE,
  type AttributionPart,
  type EvidencePart,
} from './evidence-merge.js';
import type { EvidenceParts } from './evidence-parts.js';
import type { Exposure, ExposurePart } from './exposure.js';
import { mergeExposure } from './exposure-merge.js';
import { classifyRecord } from './incidents-classify.js';
import { addAttribution } from './incidents-record.js';
import type { AttributionRecord, IncidentRecord } from './incidents-types.js';

/** After attack_end: the record is figured again with parts that come late (another worker's last second, its own end later). */
const LATE_MS = 10_000;
/** After attack_end a worker still sends its (frozen) part this long: its last second reaches the recorder. */
const SEND_AFTER_END_MS = 2000;

/** What of the recorder's options the figures read. */
export interface FigureSources {
  attribution: {
    snapshot(limit?: number): AttributionSnapshot;
    sourceSketch?(): Uint8Array;
    sourceSample?(): Uint32Array;
  } | null;
  exposure: Exposure | null;
  peers?: EvidenceParts | null;
  challenge(): { issued: number; solved: number };
  asnName?(asn: number): string;
}

/** This worker's own figures of the incident, to merge with the other workers' parts. */
interface OwnFigures {
  att: AttributionPart | null;
  exp: ExposurePart | null;
}

/** The incident that just ended: own figures frozen at its end, merged again with parts that come late. */
interface EndedIncident extends OwnFigures {
  r: IncidentRecord;
  id: string;
  endedAt: number;
}

export class IncidentFigures {
  private challengeAtStart = { issued: 0, solved: 0 };
  /** A resumed record's attribution before this stretch: this stretch's is added to it. */
  private priorAttribution: AttributionRecord | null = null;
  /** This worker's minute before the incident; null for a resumed record (its stored figures already hold the merge). */
  private ownBefore: IncidentRecord['impact']['before'] | null = null;
  private recent: EndedIncident | null = null;

  constructor(
    private readonly o: FigureSources,
    /** A record whose figures changed after its end: the recorder writes it again. */
    private readonly onChanged: (r: IncidentRecord) => void,
  ) {}

  /** At attack_start: counts start afresh; a resumed record keeps its attribution to add to. */
  begin(prior: AttributionRecord | null, ownBefore: IncidentRecord['impact']['before'] | null): void {
    this.priorAttribution = prior;
    this.challengeAtStart = this.o.challenge();
    this.ownBefore = ownBefore;
    this.recent = null;
  }

  /** At attack_end: own figures frozen, the record figured one last time (and again when late parts come). */
  end(r: IncidentRecord, id: string, endedAt: number): void {
    this.recent = { r, id, endedAt, ...this.own() };
    this.finish(r, id, this.recent);
  }

  /** The record's merged figures, challenge counts and grade as they are now. */
  finish(r: IncidentRecord, id: string, own: OwnFigures = this.own()): void {
    this.merge(r, own, id);
    const c = this.o.challenge();
    r.indicators.challengesSolved = Math.max(0, c.solved - this.challengeAtStart.solved);
    r.indicators.challengesIssued = Math.max(0, c.issued - this.challengeAtStart.issued);
    r.classification = classifyRecord(r);
  }

  /** Once a tick with no open incident: parts of the ended one that came after its end, folded and merged again. */
  late(now: number): void {
    const x = this.recent;
    if (!x || !this.o.peers) return;
    if (now - x.endedAt > LATE_MS) {
      this.recent = null;
      return;
    }
    const imp = this.o.peers.takeImpact(x.id);
    if (imp) {
      addTotals(x.r.impact.during.verified, imp.verified);
      addTotals(x.r.impact.during.others, imp.others);
      x.r.indicators.browserLike += imp.browserLike;
      x.r.indicators.unverified += imp.others.requests;
    }
    const had = JSON.stringify([x.r.attribution, x.r.exposure, x.r.impact]);
    this.merge(x.r, x, x.id);
    x.r.classification = classifyRecord(x.r);
    if (JSON.stringify([x.r.attribution, x.r.exposure, x.r.impact]) !== had) this.onChanged(x.r);
  }

  /** This worker's part of the open incident (`live`), or of the one that ended within SEND_AFTER_END_MS; else null. */
  part(now: number, live: { r: IncidentRecord; id: string } | null): EvidencePart | null {
    const recent = this.recent;
    const late = live === null && recent !== null && now - recent.endedAt <= SEND_AFTER_END_MS;
    if (live === null && !late) return null;
    const r = live ? live.r : recent!.r;
    const exp = live ? (this.o.exposure?.part(100) ?? null) : recent!.exp;
    const d = r.impact.during;
    return {
      incident: live ? live.id : recent!.id,
      pid: process.pid,
      attribution: live ? this.ownAttribution() : recent!.att,
      exposure: exp && exp.snapshot.requests > 0 ? exp : null,
      during: { verified: { ...d.verified }, others: { ...d.others }, browserLike: r.indicators.browserLike },
      before: r.impact.before,
    };
  }

  private own(): OwnFigures {
    return { att: this.ownAttribution(), exp: this.o.exposure?.part(100) ?? null };
  }

  private ownAttribution(): AttributionPart | null {
    const a = this.o.attribution;
    if (!a) return null;
    return { snapshot: a.snapshot(50), sketch: a.sourceSketch?.() ?? null, sample: a.sourceSample?.() ?? null };
  }

  /** Attribution, exposure and the minute before: this worker's figures merged with the other workers' parts. */
  private merge(r: IncidentRecord, own: OwnFigures, id: string): void {
    const parts = this.o.peers?.parts(id) ?? [];
    if (own.att)
      r.attribution = addAttribution(
        this.priorAttribution,
        parts.length
          ? mergeAttribution([own.att, ...parts.flatMap((p) => (p.attribution ? [p.attribution] : []))], 50)
          : own.att.snapshot,
        this.o.asnName,
      );
    const exps = parts.flatMap((p) => (p.exposure ? [p.exposure] : []));
    if (own.exp) r.exposure = exps.length ? mergeExposure([own.exp, ...exps], 100) : own.exp.snapshot;
    if (parts.length) {
      if (this.ownBefore) r.impact.before = mergeBefore(this.ownBefore, parts);
      if (!r.notes.includes(MERGED_NOTE)) r.notes.push(MERGED_NOTE);
    }
  }
}
