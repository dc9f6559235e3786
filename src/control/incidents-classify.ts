// An incident record's grade: the facts the rubric (classify.ts) needs, read
// from a stored or open IncidentRecord. Pure; shared by the recorder and the
// report checks, which must grade a record the same way.
import { classify } from './classify.js';
import type { ImpactTotals, IncidentRecord } from './incidents-types.js';

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
