// Builds IncidentRecords from detector events (in memory, at event time) and
// writes them with their per-second samples once per tick, in one transaction.
// Also resumes an incident left open by a restart when the detector goes on
// with it under its id (the same signature), and closes it at its last second
// when another attack begins, when the detector's hold ends without it, or
// when nothing comes back within resume_window.
// Cluster: merges the other workers' evidence parts (evidence-parts.ts) into
// the record; in the other workers, part() is what they send the recorder.
// Bounded: one open record (≤ 1000 mitigations, top lists of 20), a 60 s ring.
import { hostname } from 'node:os';
import type { DetectorEvent, Signature, SignatureItem } from '../detector/events.js';
import { TopAccumulator } from './incidents-top.js';
import type { AttributionSnapshot, ImpactSecond } from '../detector/attribution.js';
import { classify } from './classify.js';
import type { Exposure } from './exposure.js';
import type { IncidentStore } from './incidents-store.js';
import type { AttributionRecord, ImpactTotals, IncidentRecord, Sample } from './incidents-types.js';
import { createGlobalFigures } from './incidents-global.js';
import { account, applyAccounting } from './accounting.js';
import {
  addImpact,
  mergeAttribution,
  mergeBefore,
  mergeExposure,
  MERGED_NOTE,
  type AttributionPart,
  type EvidencePart,
} from './evidence-merge.js';
import type { EvidenceParts } from './evidence-parts.js';
import type { ExposurePart } from './exposure.js';

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
/** After attack_end: the record is figured again with parts that come late (another worker's last second, its own end later). */
const LATE_MS = 10_000;
/** After attack_end a worker still sends its (frozen) part this long: its last second reaches the recorder. */
const SEND_AFTER_END_MS = 2000;
const MAX_MITIGATIONS = 1000;
const zero = (): ImpactTotals => ({ requests: 0, served: 0, originMsSum: 0, originCount: 0 });
const addTo = (a: ImpactTotals, b: ImpactTotals) => (
  (a.requests += b.requests), (a.served += b.served), (a.originMsSum += b.originMsSum), (a.originCount += b.originCount)
);
const top = (items: readonly SignatureItem[]) =>
  items.slice(0, 20).map((i) => ({ label: i.label, count: i.count, share: i.share, lift: i.lift }));
const topsOf = (sig: Signature) => ({
  sources: top(sig.sources),
  prefixes: top(sig.prefixes),
  fingerprints: top(sig.fingerprints),
  paths: top(sig.paths),
});

function fresh(id: string, at: number): IncidentRecord {
  return {
    id,
    status: 'open',
    startedAt: at,
    endedAt: null,
    lastSeenAt: at,
    enforcement: 'enforce',
    vectors: [],
    baseline: { rps: 0, rpsStd: 0, sources: 0, originMs: 0, warm: false, learnedSeconds: 0 },
    totals: {
      seconds: 0,
      requests: 0,
      refused: 0,
      forwarded: 0,
      peakRps: 0,
      peakSources: 0,
      distinctSources: 0,
      bans: 0,
      mitigations: 0,
    },
    top: { sources: [], prefixes: [], fingerprints: [], paths: [] },
    routeClasses: {},
    mitigations: [],
    escalations: [],
    impact: { before: { verified: zero(), others: zero(), seconds: 0 }, during: { verified: zero(), others: zero() } },
    indicators: {
      uaEntropy: 0,
      fingerprintEntropy: 0,
      browserLike: 0,
      unverified: 0,
      challengesSolved: 0,
      challengesIssued: 0,
      resurgedSeconds: 0,
      bursts: 1,
      peakAfterMitigation: 0,
    },
    attribution: null,
    exposure: null,
    classification: null,
    licences: [],
    notes: [],
  };
}

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
  const before: ImpactSecond[] = [];
  let cur: IncidentRecord | null = null;
  let tops = new TopAccumulator();
  /** Detector incident id → stored id (differs when a restart resumed an incident). */
  let alias: { from: string; to: string } | null = null;
  const me = { pid: process.pid, host: hostname() };
  let suspended: IncidentRecord[] = o.store.open().filter((r) => !heldByAnother(r, me));
  /** The detector's seconds since the last tick (usually one; two when one came late). */
  let pendingSamples: Partial<Sample>[] = [];
  let challengeAtStart = { issued: 0, solved: 0 };
  let priorAttribution: AttributionRecord | null = null;
  const dirty = new Set<IncidentRecord>();
  let samples: { id: string; s: Sample }[] = [];
  const globals = o.global ? createGlobalFigures(o.global) : null;
  /** This node's detector totals; with shared state the headline stays global (incidents-global.ts). */
  const setTotals = (r: IncidentRecord, local: IncidentRecord['totals']) => {
    if (globals) globals.setTotals(r, local);
    else r.totals = { ...local, distinctSources: Math.max(r.totals.distinctSources, local.distinctSources) };
    applyAccounting(r); // requests, forwarded, refused and peak: the sums of the stored samples
  };
  /** A sample final: stored, and accounted for in its record. */
  const keep = (r: IncidentRecord, s: Sample) => (account(r, s), samples.push({ id: r.id, s }));
  /** The incident that just ended: own figures frozen at its end, merged again with parts that come late. */
  let recent: {
    r: IncidentRecord;
    id: string;
    endedAt: number;
    att: AttributionPart | null;
    exp: ExposurePart | null;
  } | null = null;
  /** This worker's minute before the incident; null for a resumed record (its stored figures already hold the merge). */
  let ownBefore: IncidentRecord['impact']['before'] | null = null;
  const ownAttribution = (): AttributionPart | null =>
    o.attribution
      ? {
          snapshot: o.attribution.snapshot(50),
          sketch: o.attribution.sourceSketch?.() ?? null,
          sample: o.attribution.sourceSample?.() ?? null,
        }
      : null;
  const settle = (now: number, all: boolean) => globals?.settle(now, all, (r, s) => (dirty.add(r), keep(r, s)));

  /** A closed incident of this store that the shared slot names again: the attack came back to this node within the slot's ttl. */
  function reopen(id: string): IncidentRecord | null {
    let r: IncidentRecord | null = null;
    try {
      r = o.store.get(id);
    } catch (err) {
      o.onError(err);
    }
    if (r === null || r.status !== 'closed' || heldByAnother(r, me)) return null;
    r.status = 'open';
    r.endedAt = null;
    return r;
  }

  /** A record left open by a restart is over: it ends at its last recorded second. */
  function closeSuspended(r: IncidentRecord, why: string): void {
    r.status = 'closed';
    r.endedAt = r.lastSeenAt + 1000;
    r.notes.push(why);
    r.classification = classifyRecord(r);
    dirty.add(r);
  }

  function start(e: Extract<DetectorEvent, { type: 'attack_start' }>): void {
    // The shared id names an incident this store already holds (this node left the attack and came back, or restarted): go on with it.
    // The detector decides whether an attack after a restart is the one left open (same signature: same
    // id) or another: a record is resumed only under its own id, and the others left open are over.
    const same = suspended.find((r) => r.id === e.incidentId) ?? reopen(e.incidentId);
    const resumable = same;
    for (const r of suspended)
      if (r !== same)
        closeSuspended(
          r,
          `closed at its last recorded second: after a restart of the shield a different attack began (${e.vectors.map((v) => v.vector).join(', ') || 'another signature'}), recorded as ${e.incidentId}`,
        );
    suspended = suspended.filter((r) => r.status === 'open' && r !== resumable);
    if (resumable) {
      cur = resumable;
      const gap = Math.round((e.at - cur.lastSeenAt) / 1000);
      cur.notes.push(
        !e.resumed
          ? `this node saw the shared incident again at ${new Date(e.at).toISOString()} (gap ${gap}s) and went on recording it; distinct-source counts of both stretches are added, so a source seen in both counts twice`
          : `resumed at ${new Date(e.at).toISOString()} after a restart of the shield (gap ${gap}s): the same signature; distinct-source counts before and after the restart are added, so a source seen on both sides counts twice`,
      );
      priorAttribution = cur.attribution;
    } else {
      cur = fresh(e.incidentId, e.sample.t);
      cur.baseline = {
        rps: e.baseline.rps,
        rpsStd: e.baseline.rpsStd,
        sources: e.baseline.sources,
        originMs: e.baseline.originMs,
        warm: e.baseline.warm,
        learnedSeconds: e.baseline.learnedSeconds,
      };
      const sum = { verified: zero(), others: zero(), seconds: before.length };
      for (const b of before) addTo(sum.verified, b.verified), addTo(sum.others, b.others);
      cur.impact.before = sum;
      priorAttribution = null;
    }
    tops = new TopAccumulator();
    if (resumable) tops.seed(cur.top, cur.totals.requests);
    tops.add(e.signature, e.sample.requests);
    cur.top = tops.result();
    pendingSamples = []; // the first second comes with the update that follows at once
    alias = { from: e.incidentId, to: cur.id };
    cur.owner = me;
    cur.enforcement = e.enforcement;
    cur.licences = o.licences;
    challengeAtStart = o.challenge();
    ownBefore = resumable ? null : structuredClone(cur.impact.before);
    recent = null;
    o.peers?.keepOnly(e.incidentId);
    o.attribution?.newEpoch();
    o.exposure?.newEpoch();
    for (const v of e.vectors) if (v.templates !== undefined) o.exposure?.watchTemplates(v.templates);
    dirty.add(cur);
  }

  function mine(e: DetectorEvent): IncidentRecord | null {
    return cur !== null && alias !== null && e.incidentId === alias.from ? cur : null;
  }

  /** Attribution, exposure and the minute before: this worker's figures merged with the other workers' parts. */
  function mergeFigures(
    r: IncidentRecord,
    own: { att: AttributionPart | null; exp: ExposurePart | null },
    id: string,
  ): void {
    const parts = o.peers?.parts(id) ?? [];
    if (own.att)
      r.attribution = merge(
        priorAttribution,
        parts.length
          ? mergeAttribution([own.att, ...parts.flatMap((p) => (p.attribution ? [p.attribution] : []))], 50)
          : own.att.snapshot,
        o.asnName,
      );
    const exps = parts.flatMap((p) => (p.exposure ? [p.exposure] : []));
    if (own.exp) r.exposure = exps.length ? mergeExposure([own.exp, ...exps], 100) : own.exp.snapshot;
    if (parts.length) {
      if (ownBefore) r.impact.before = mergeBefore(ownBefore, parts);
      if (!r.notes.includes(MERGED_NOTE)) r.notes.push(MERGED_NOTE);
    }
  }

  function finishFigures(r: IncidentRecord, own = { att: ownAttribution(), exp: o.exposure?.part(100) ?? null }): void {
    mergeFigures(r, own, alias?.from ?? r.id);
    const c = o.challenge();
    r.indicators.challengesSolved = Math.max(0, c.solved - challengeAtStart.solved);
    r.indicators.challengesIssued = Math.max(0, c.issued - challengeAtStart.issued);
    r.classification = classifyRecord(r);
  }

  /** Parts of the ended incident that came after its end: folded and merged again, for LATE_MS. */
  function figureLate(x: NonNullable<typeof recent>, now: number): void {
    if (now - x.endedAt > LATE_MS) return void (recent = null);
    const imp = o.peers!.takeImpact(x.id);
    if (imp)
      addTo(x.r.impact.during.verified, imp.verified),
        addTo(x.r.impact.during.others, imp.others),
        (x.r.indicators.browserLike += imp.browserLike),
        (x.r.indicators.unverified += imp.others.requests);
    const had = JSON.stringify([x.r.attribution, x.r.exposure, x.r.impact]);
    mergeFigures(x.r, x, x.id);
    x.r.classification = classifyRecord(x.r);
    if (JSON.stringify([x.r.attribution, x.r.exposure, x.r.impact]) !== had) dirty.add(x.r);
  }

  return {
    active: () => cur,
    onEvent(e) {
      if (e.type === 'attack_start') return start(e);
      const r = mine(e);
      if (r === null) {
        // An attack held open across a restart that did not come back: its record ends at its last second.
        const held = e.type === 'attack_end' ? suspended.find((x) => x.id === e.incidentId) : undefined;
        if (held) {
          closeSuspended(
            held,
            `closed at its last recorded second: the shield restarted and the attack did not come back within its hold`,
          );
          suspended = suspended.filter((x) => x !== held);
        }
        return;
      }
      dirty.add(r);
      if (e.type === 'attack_update') {
        r.vectors = mergeVectors(r.vectors, e.vectors);
        // Identifier walks on a route nobody declared sensitive: the exposure watch takes it on by itself.
        for (const v of e.vectors) if (v.templates !== undefined) o.exposure?.watchTemplates(v.templates);
        setTotals(r, e.totals);
        // The incident's top lists: the sum over its anomalous seconds (each signature holds one second).
        if (e.sample.score >= 1) {
          tops.add(e.signature, e.sample.requests);
          r.top = tops.result();
        }
        const s = e.sample;
        const ind = r.indicators;
        if (s.score >= 1) {
          ind.uaEntropy = Math.max(ind.uaEntropy, s.entropy.ua);
          ind.fingerprintEntropy = Math.max(ind.fingerprintEntropy, s.entropy.fingerprint);
        }
        const pw = e.vectors.find((v) => v.vector === 'pulse_wave');
        if (pw) ind.bursts = Math.max(ind.bursts, pw.figures.bursts ?? 1);
        for (const [k, v] of Object.entries(s.classes)) r.routeClasses[k] = (r.routeClasses[k] ?? 0) + v;
        // Adaptation: ≥ 3 s after the first applied mitigation, the attack is still at half its peak and mostly gets through.
        const firstApplied = r.mitigations.find((x) => x.applied);
        if (
          firstApplied &&
          s.t >= firstApplied.at + 3000 &&
          s.score >= 1 &&
          s.requests >= 0.5 * r.totals.peakRps &&
          s.refused < 0.5 * s.requests
        )
          ind.resurgedSeconds++;
        pendingSamples.push(sampleOf(s, e.mode));
        r.lastSeenAt = s.t;
      } else if (e.type === 'mitigation') {
        const a = e.action;
        if (r.mitigations.length < MAX_MITIGATIONS)
          r.mitigations.push({
            at: e.at,
            kind: a.kind,
            rule: a.rule,
            level: a.level,
            target: a.ban?.target ?? describeMatch(a.mitigation),
            until: a.ban?.until ?? a.mitigation?.until ?? 0,
            reason: a.reason,
            figures: a.figures,
            applied: a.applied,
          });
      } else if (e.type === 'escalation') {
        r.escalations.push({ at: e.at, from: e.from, to: e.to, reason: e.reason, applied: e.applied });
      } else if (e.type === 'attack_end') {
        r.endedAt = e.startedAt + e.durationMs;
        setTotals(r, e.totals);
        if (tops.empty) r.top = topsOf(e.signature);
        r.status = 'closed';
        recent = { r, id: e.incidentId, endedAt: r.endedAt, att: ownAttribution(), exp: o.exposure?.part(100) ?? null };
        finishFigures(r, recent);
        o.attribution?.endEpoch();
        cur = null;
        alias = null;
      }
    },
    tick(now) {
      const own = o.attribution ? o.attribution.closeSecond() : null;
      const r = cur;
      // Other workers' impact seconds since the last tick fold into this one (a late part: the next one).
      const peerImp = o.peers && alias && r !== null ? o.peers.takeImpact(alias.from) : null;
      const imp = own && peerImp ? addImpact(structuredClone(own), peerImp) : own;
      if (recent && o.peers && cur === null) figureLate(recent, now);
      if (r !== null && r.status === 'open') {
        if (imp) {
          addTo(r.impact.during.verified, imp.verified);
          addTo(r.impact.during.others, imp.others);
          r.indicators.browserLike += imp.browserLike;
          r.indicators.unverified += imp.others.requests;
        }
        // No second from the detector this tick (it came late): the impact figures alone; its traffic comes with the next one.
        const ps =
          pendingSamples.length > 0
            ? pendingSamples
            : [
                {
                  t: now - 1000,
                  mode: 'elevated',
                  requests: 0,
                  forwarded: 0,
                  refused: 0,
                  sources: 0,
                  originMs: 0,
                  outcomes: {},
                },
              ];
        for (let i = 0; i < ps.length; i++) {
          const sample: Sample = {
            ...(ps[i] as Sample),
            seconds: 1,
            ...impactFields(i === ps.length - 1 ? imp : null),
          };
          if (globals) globals.hold(r, sample);
          else keep(r, sample);
        }
        if (r.totals.seconds % 5 === 0) finishFigures(r); // figures of an open incident stay current in the store
        dirty.add(r);
      } else if (own) {
        before.push(own);
        if (before.length > BEFORE_S) before.shift();
      }
      pendingSamples = [];
      for (const s of suspended)
        if (now - s.lastSeenAt > o.resumeWindowMs)
          closeSuspended(
            s,
            `closed at its last recorded second: the shield restarted and the attack was not seen again within ${Math.round(o.resumeWindowMs / 1000)}s`,
          );
      suspended = suspended.filter((s) => s.status === 'open');
      settle(now, false);
      this.flush(now);
    },
    part(now) {
      const live = cur !== null && alias !== null;
      const late = !live && recent !== null && now - recent.endedAt <= SEND_AFTER_END_MS;
      if (!live && !late) return null;
      const r = live ? cur! : recent!.r;
      const exp = live ? (o.exposure?.part(100) ?? null) : recent!.exp;
      const d = r.impact.during;
      return {
        incident: live ? alias!.from : recent!.id,
        pid: process.pid,
        attribution: live ? ownAttribution() : recent!.att,
        exposure: exp && exp.snapshot.requests > 0 ? exp : null,
        during: { verified: { ...d.verified }, others: { ...d.others }, browserLike: r.indicators.browserLike },
        before: r.impact.before,
      };
    },
    flush(now, final = false) {
      if (final) settle(now, true);
      if (dirty.size === 0 && samples.length === 0) return;
      if (o.write === false) {
        dirty.clear();
        samples = [];
        return;
      }
      try {
        o.store.save([...dirty], samples);
      } catch (err) {
        o.onError(err);
      }
      dirty.clear();
      samples = [];
    },
  };
}

/** An open incident another live process on this host is recording (a cluster worker, a second shield on the same data_dir). */
function heldByAnother(r: IncidentRecord, me: { pid: number; host: string }): boolean {
  const o = r.owner;
  if (!o || o.pid === me.pid) return false;
  if (o.host !== me.host) return true; // cannot check another machine: leave it alone
  try {
    process.kill(o.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sampleOf(
  s: {
    t: number;
    requests: number;
    forwarded: number;
    refused: number;
    sources: number;
    originMs: number;
    outcomes?: Record<string, number>;
  },
  mode: string,
): Partial<Sample> {
  return {
    t: s.t,
    mode,
    requests: s.requests,
    forwarded: s.forwarded,
    refused: s.refused,
    sources: s.sources,
    originMs: s.originMs,
    outcomes: s.outcomes ? { ...s.outcomes } : undefined,
  };
}

function impactFields(
  imp: ImpactSecond | null,
): Pick<Sample, 'verifiedReq' | 'verifiedServed' | 'verifiedMs' | 'othersReq' | 'othersServed' | 'othersMs'> {
  if (!imp) return { verifiedReq: 0, verifiedServed: 0, verifiedMs: 0, othersReq: 0, othersServed: 0, othersMs: 0 };
  const ms = (t: ImpactTotals) => (t.originCount > 0 ? Math.round(t.originMsSum / t.originCount) : 0);
  return {
    verifiedReq: imp.verified.requests,
    verifiedServed: imp.verified.served,
    verifiedMs: ms(imp.verified),
    othersReq: imp.others.requests,
    othersServed: imp.others.served,
    othersMs: ms(imp.others),
  };
}

function mergeVectors(
  old: IncidentRecord['vectors'],
  now: readonly { vector: string; reason: string; figures: Record<string, number> }[],
): IncidentRecord['vectors'] {
  const out = old.slice();
  for (const v of now) {
    const i = out.findIndex((x) => x.vector === v.vector);
    const entry = { vector: v.vector, reason: v.reason, figures: { ...v.figures } };
    if (i >= 0) out[i] = entry;
    else out.push(entry);
  }
  return out;
}

function describeMatch(
  m: {
    match: {
      prefixKeys: readonly number[];
      fingerprints: readonly number[];
      routeClasses: readonly string[];
      paths: readonly string[];
      unverifiedOnly: boolean;
    };
  } | null,
): string {
  if (!m) return '';
  const x = m.match;
  const parts: string[] = [];
  if (x.prefixKeys.length) parts.push(`${x.prefixKeys.length} prefixes`);
  if (x.fingerprints.length) parts.push(`fingerprints ${x.fingerprints.map((f) => (f >>> 0).toString(16)).join(', ')}`);
  if (x.routeClasses.length) parts.push(`route classes ${x.routeClasses.join(', ')}`);
  if (x.paths.length) parts.push(`paths ${x.paths.join(', ')}`);
  if (x.unverifiedOnly) parts.push('unverified clients');
  return parts.join('; ') || 'all requests';
}

function merge(
  prior: AttributionRecord | null,
  s: AttributionSnapshot,
  asnName?: (asn: number) => string,
): AttributionRecord {
  const named = (rows: { key: string; requests: number; sources: number }[]) =>
    rows.map((r) => ({ ...r, name: asnName ? asnName(Number(r.key.slice(2))) : '' }));
  const cur: AttributionRecord = { ...s, countries: s.countries.map((r) => ({ ...r })), asns: named(s.asns) };
  if (!prior) return cur;
  const add = (a: AttributionRecord['countries'], b: AttributionRecord['countries']) => {
    const m = new Map(a.map((r) => [r.key, { ...r }]));
    for (const r of b) {
      const e = m.get(r.key);
      if (e) (e.requests += r.requests), (e.sources += r.sources);
      else m.set(r.key, { ...r });
    }
    return [...m.values()].sort((x, y) => y.requests - x.requests);
  };
  return {
    requests: prior.requests + cur.requests,
    sources: prior.sources + cur.sources,
    unknownCountry: {
      requests: prior.unknownCountry.requests + cur.unknownCountry.requests,
      sources: prior.unknownCountry.sources + cur.unknownCountry.sources,
    },
    unknownAsn: {
      requests: prior.unknownAsn.requests + cur.unknownAsn.requests,
      sources: prior.unknownAsn.sources + cur.unknownAsn.sources,
    },
    countries: add(prior.countries, cur.countries),
    asns: add(prior.asns, cur.asns),
    asnError: Math.max(prior.asnError, cur.asnError),
  };
}

/** The classifier's facts from a record. */
export function classifyRecord(r: IncidentRecord): ReturnType<typeof classify> {
  const served = (t: ImpactTotals) => (t.requests > 0 ? t.served / t.requests : null);
  const ms = (t: ImpactTotals) => (t.originCount > 0 ? t.originMsSum / t.originCount : null);
  const end = r.endedAt ?? r.lastSeenAt + 1000;
  return classify({
    durationS: Math.max(1, (end - r.startedAt) / 1000),
    peakRps: r.totals.peakRps,
    baselineRps: r.baseline.warm ? scaledBaseline(r) : 0,
    baselineWarm: r.baseline.warm,
    distinctSources: r.totals.distinctSources,
    vectors: r.vectors.map((v) => v.vector),
    servedBefore: served(r.impact.before.verified),
    servedDuring: served(r.impact.during.verified),
    latencyBeforeMs: ms(r.impact.before.verified),
    latencyDuringMs: ms(r.impact.during.verified),
    topPrefixShare: r.top.prefixes[0]?.share ?? 0,
    uaEntropy: r.indicators.uaEntropy,
    fingerprintEntropy: r.indicators.fingerprintEntropy,
    browserLikeShare: r.indicators.unverified > 0 ? r.indicators.browserLike / r.indicators.unverified : 0,
    challengesSolved: r.indicators.challengesSolved,
    challengesIssued: r.indicators.challengesIssued,
    resurgedSeconds: r.indicators.resurgedSeconds,
    bursts: r.indicators.bursts,
    samples: r.totals.seconds,
    observeOnly: r.enforcement === 'observe',
  });
}

/**
 * The baseline is this node's; with global figures the multiple must still
 * compare like with like: scale it by global/local peak so that the multiple
 * equals this node's own peak over its own baseline.
 */
export function scaledBaseline(r: IncidentRecord): number {
  const sc = r.scope;
  if (!sc || sc.local.peakRps <= 0 || r.totals.peakRps <= 0) return r.baseline.rps;
  return r.baseline.rps * (r.totals.peakRps / sc.local.peakRps);
}
