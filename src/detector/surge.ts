// When an attack's surge began, and how much of its first second came from
// clients first seen since: what "new clients" means for the incident's
// mitigations (mitigate.ts). Not the scoring (assess.ts). Runs once, when an
// incident starts; reads the detector's recent seconds, allocates the result.
import type { DetectorConfig } from '../config/schema/detector.js';
import { MIN_VOLUME_SECONDS, type Assessment } from './assess.js';
import type { Baselines } from './baseline.js';
import type { DetectorSeries } from './detector-series.js';
import type { SecondSample } from './events.js';
import type { Surge } from './mitigate.js';
import { sumAges } from './second-sample.js';
import type { SecondWindow } from './window.js';

/** Without a volume rise to date a surge by, the clients first seen this long before it count as having come with it. */
export const NO_RISE_LOOKBACK_MS = 60_000;

/** A surge this soon after the detector began to watch finds it young: too little seen to know people by "first seen before". */
export const YOUNG_SURGE_MS = 30_000;

/** What dating a surge reads of the detector. */
export interface SurgeInputs {
  readonly cfg: DetectorConfig;
  readonly baselines: Baselines;
  readonly series: DetectorSeries;
  readonly window: SecondWindow;
  /** When the detector began to watch (ms): no client can have been seen by it earlier. */
  readonly bornAt: number;
  /** Seconds in a row (before this one) of clients behaving unlike people. */
  readonly cookieStreak: number;
}

/**
 * When the surge began. A volume rise: its first second before this one
 * (volume above 1.5× its baseline, looking back up to 15 s). Other evidence
 * (cookies dropped, the origin in distress) has no rise to date it, and a
 * low-and-slow crowd may have been coming for a while: the last minute.
 * Never before this detector started (a shield started into an attack
 * knows no one); one second of margin.
 */
export function surgeOf(s: SecondSample, a: Assessment, x: SurgeInputs): Surge {
  const base = x.baselines;
  let since = s.t - NO_RISE_LOOKBACK_MS;
  if (a.evidence === 'volume' && base.learned >= MIN_VOLUME_SECONDS) {
    const e = base.expectedRps(s.t);
    const rise = Math.max(x.cfg.minRps / 2, 1.5 * e, e + 3 * base.rps.std);
    let back = 0;
    while (back < 15 && back + 1 < x.series.count && x.series.requestsAt(back + 1) > rise) back++;
    since = s.t - (back + 1) * 1000;
  }
  const born = Math.floor(x.bornAt / 1000) * 1000;
  since = Math.max(born, since);
  // For what reaches clients that return the seen cookie (limits and challenges of new clients): a young
  // detector (a first start) has seen everyone for less than the minute, so without a rise the run of
  // seconds whose clients behaved unlike people dates the surge, or the people browsing since the start
  // would all count as new. The cookie check (cookieless clients only) keeps the wider minute.
  const dated =
    a.evidence !== 'volume' && s.t + 1000 - x.bornAt < NO_RISE_LOOKBACK_MS
      ? Math.max(since, s.t - (x.cookieStreak + 1) * 1000)
      : since;
  // Under 30 s of watching, not even that: the few seconds before the surge are the same crowd's. Everyone
  // first seen since the start is new, and the challenges of new clients spare those whose seen cookie
  // says they loaded a page's assets (sparesPersons).
  const young = dated - x.bornAt < YOUNG_SURGE_MS;
  // A volume rise dates the surge even then: the clients browsing before it are known (a site's own API
  // clients among them, which load no assets).
  const peopleSince = young && a.evidence !== 'volume' ? born : dated;
  const ageLimit = Math.floor((x.window.epochS * 1000 - since) / 1000);
  const recent = sumAges(x.window.ages, ageLimit);
  const newShare = s.requests > 0 ? Math.min(1, recent / s.requests) : 0;
  return { since, peopleSince, newShare, young };
}
