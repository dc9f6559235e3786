// The classification rubric of docs/classification.md as code: pure, no I/O.
// Scale (low-level … severe) from five dimensions (rate and multiple count as
// one, volume), the level two of them agree on; sophistication from eight indicators, each with the figure that fired it;
// a confidence with its reasons; and one verdict line quoting those figures.
// Changing a threshold here means changing the table in the doc too.

export interface ClassifyFacts {
  durationS: number;
  peakRps: number;
  /** Learned baseline rps at the start (0 when not learned). */
  baselineRps: number;
  baselineWarm: boolean;
  distinctSources: number;
  vectors: readonly string[];
  /** Served share (0..1) of verified/known clients before and during; null when none were seen. */
  servedBefore: number | null;
  servedDuring: number | null;
  latencyBeforeMs: number | null;
  latencyDuringMs: number | null;
  /** Share of the incident's requests from its busiest /24 (0..1). */
  topPrefixShare: number;
  /** Highest normalised entropy (0..1) of user agents / fingerprints in an attack second. */
  uaEntropy: number;
  fingerprintEntropy: number;
  /** Unverified requests with browser-like headers / unverified requests (0..1). */
  browserLikeShare: number;
  /** Challenges solved while the incident ran, and challenges issued. */
  challengesSolved: number;
  challengesIssued: number;
  /** Anomalous seconds, from 3 s after the first applied mitigation, at ≥ half the peak with under half of the requests refused (the attack got past it). */
  resurgedSeconds: number;
  bursts: number;
  samples: number;
  observeOnly: boolean;
}

export interface Criterion {
  name: string;
  level: number;
  text: string;
}

export interface Indicator {
  name: string;
  fired: boolean;
  text: string;
}

export interface Classification {
  level: number;
  scale: 'low-level' | 'moderate' | 'large-scale' | 'severe';
  criteria: Criterion[];
  sophistication: 'basic' | 'intermediate' | 'sophisticated';
  indicators: Indicator[];
  confidence: 'low' | 'medium' | 'high';
  confidenceReasons: string[];
  verdict: string;
}

export const SCALES = ['low-level', 'moderate', 'large-scale', 'severe'] as const;

/** Level 1..4 from ascending thresholds [t2, t3, t4]. */
export function levelOf(x: number, t: readonly [number, number, number]): number {
  return x >= t[2] ? 4 : x >= t[1] ? 3 : x >= t[0] ? 2 : 1;
}

export const THRESHOLDS = {
  multiple: [10, 50, 500],
  sources: [1_000, 10_000, 100_000],
  peakRps: [1_000, 10_000, 100_000],
  durationS: [600, 3_600, 6 * 3_600],
} as const;

const n = (x: number) => Math.round(x).toLocaleString('en-US');
const pct = (x: number) => `${(Math.round(x * 1000) / 10).toString()}%`;

/** A latency rise counts only when it is also this many ms over the minute before (2 → 8 ms is not harm). */
export const LATENCY_FLOOR_MS = 100;
/** Points of served share lost against the minute before: [level 2, 3, 4]. */
export const LOST_THRESHOLDS = [0.01, 0.05, 0.2] as const;

/**
 * Impact on real users: what the attack changed for verified or known clients,
 * 1 none … 4 most of them lost. The drop of their served share (docs: answered
 * without a refusal, 5xx or timeout; the origin's own 4xx are answers) against
 * the minute before, and the rise of their origin latency against it, the
 * before figure quoted beside. Without a minute before, against 100 %.
 */
export function impactLevel(f: ClassifyFacts): { level: number; text: string; lost: number; slow: number } {
  if (f.servedDuring === null)
    return { level: 1, text: 'no verified or known clients seen during the attack (impact unknown)', lost: 0, slow: 1 };
  const lost = Math.max(0, (f.servedBefore ?? 1) - f.servedDuring);
  const lb = f.latencyBeforeMs;
  const ld = f.latencyDuringMs;
  const rise = lb !== null && ld !== null && ld - lb >= LATENCY_FLOOR_MS ? ld / Math.max(1, lb) : 1;
  const level =
    lost >= LOST_THRESHOLDS[2]
      ? 4
      : lost >= LOST_THRESHOLDS[1] || rise >= 10
        ? 3
        : lost >= LOST_THRESHOLDS[0] || rise >= 3
          ? 2
          : 1;
  const before = f.servedBefore === null ? 'no minute before to compare with' : `${pct(f.servedBefore)} before`;
  const lat = lb !== null && ld !== null ? `, origin latency ${n(ld)} ms (${n(lb)} ms before)` : '';
  const served = `${pct(f.servedDuring)} of known clients' requests served (${before})`;
  if (level === 1) return { level, text: `no user impact: ${served}${lat}`, lost, slow: rise };
  return { level, text: `${served}, ${pct(lost)} fewer${lat}`, lost, slow: rise };
}

export function classify(f: ClassifyFacts): Classification {
  const impact = impactLevel(f);
  const criteria = scaleCriteria(f, impact);
  const level = scaleLevel(criteria);
  const scale = SCALES[level - 1];
  const indicators = sophisticationIndicators(f);
  const fired = indicators.filter((i) => i.fired);
  const sophistication = fired.length >= 4 ? 'sophisticated' : fired.length >= 2 ? 'intermediate' : 'basic';
  const { confidence, reasons } = confidenceOf(f);
  const quoted = quotedFigures(f, criteria, impact);
  const soph = `${sophistication} (${fired.length} of 8 indicators${fired.length ? `: ${fired.map((i) => i.name).join(', ')}` : ''})`;
  const verdict = `${scale}: ${quoted.join(', ')}; ${soph}; confidence ${confidence}`;
  return { level, scale, criteria, sophistication, indicators, confidence, confidenceReasons: reasons, verdict };
}

/** The five scale dimensions, in the rubric's order: multiple, sources, peak rate, duration, impact. */
function scaleCriteria(f: ClassifyFacts, impact: { level: number; text: string }): Criterion[] {
  const multiple = f.baselineRps > 0 ? f.peakRps / f.baselineRps : 0;
  return [
    {
      name: 'multiple of baseline',
      level: f.baselineRps > 0 ? levelOf(multiple, THRESHOLDS.multiple) : 1,
      text:
        f.baselineRps > 0
          ? `peak ${multiple >= 10 ? n(multiple) : multiple.toFixed(1).replace(/\.0$/, '')}x baseline`
          : 'no baseline learned',
    },
    {
      name: 'distinct sources',
      level: levelOf(f.distinctSources, THRESHOLDS.sources),
      text: `${n(f.distinctSources)} source${f.distinctSources === 1 ? '' : 's'}`,
    },
    { name: 'peak rate', level: levelOf(f.peakRps, THRESHOLDS.peakRps), text: `peak ${n(f.peakRps)} req/s` },
    { name: 'duration', level: levelOf(f.durationS, THRESHOLDS.durationS), text: `${durationText(f.durationS)}` },
    { name: 'impact on users', level: impact.level, text: impact.text },
  ];
}

/**
 * Peak rate and its multiple of baseline measure one thing (volume): they count once.
 * Two of volume, sources, duration and impact must agree: one large number alone does not make an attack large.
 */
function scaleLevel(criteria: readonly Criterion[]): number {
  const levels = [
    Math.max(criteria[0].level, criteria[2].level),
    criteria[1].level,
    criteria[3].level,
    criteria[4].level,
  ].sort((a, b) => b - a);
  return levels[1];
}

/** The eight sophistication indicators, each with the figure it rests on. */
function sophisticationIndicators(f: ClassifyFacts): Indicator[] {
  const lowAndSlow = f.vectors.includes('low_and_slow') || f.vectors.includes('slow_connections');
  return [
    {
      name: 'multi-vector',
      fired: f.vectors.length >= 2,
      text: `${f.vectors.length} vector${f.vectors.length === 1 ? '' : 's'}${f.vectors.length ? ` (${f.vectors.join(', ')})` : ''}`,
    },
    {
      name: 'source distribution',
      fired: f.distinctSources >= 100 && f.topPrefixShare < 0.05,
      text: `${n(f.distinctSources)} sources, busiest /24 ${pct(f.topPrefixShare)} of requests`,
    },
    {
      name: 'user-agent/fingerprint rotation',
      fired: f.uaEntropy >= 0.8 || f.fingerprintEntropy >= 0.8,
      text: `entropy UA ${f.uaEntropy.toFixed(2)}, fingerprint ${f.fingerprintEntropy.toFixed(2)}`,
    },
    {
      name: 'browser-like headers',
      fired: f.browserLikeShare >= 0.5,
      text: `${pct(f.browserLikeShare)} of unverified requests`,
    },
    {
      name: 'challenge solving',
      fired: f.challengesSolved >= 10 && f.challengesSolved >= 0.2 * f.challengesIssued,
      text: `${n(f.challengesSolved)} of ${n(f.challengesIssued)} challenges solved during the incident`,
    },
    {
      name: 'adaptation to mitigation',
      fired: f.resurgedSeconds >= 5,
      text: `${n(f.resurgedSeconds)}s at ≥ half the peak with under half refused, from 3 s after the first mitigation`,
    },
    {
      name: 'pulse timing',
      fired: f.bursts >= 2 || f.vectors.includes('pulse_wave'),
      text: `${f.bursts} surge${f.bursts === 1 ? '' : 's'}`,
    },
    {
      name: 'low-and-slow',
      fired: lowAndSlow,
      text: lowAndSlow ? 'requests kept under per-address limits or slow connections' : 'not seen',
    },
  ];
}

/** High, less one step for each thing the figures lack (a warm baseline, 30 s of samples, known clients). */
function confidenceOf(f: ClassifyFacts): { confidence: Classification['confidence']; reasons: string[] } {
  const reasons: string[] = [];
  let conf = 3;
  if (!f.baselineWarm) {
    conf--;
    reasons.push('the baseline was still being learned');
  }
  if (f.samples < 30) {
    conf--;
    reasons.push(`only ${f.samples} seconds of samples`);
  }
  if (f.servedDuring === null) {
    conf--;
    reasons.push('no verified clients to measure impact on');
  }
  if (f.observeOnly) reasons.push('observe mode: nothing was refused, figures show what would have been');
  if (reasons.length === 0) reasons.push('warm baseline, enough samples, impact measured on known clients');
  const confidence = conf >= 3 ? 'high' : conf === 2 ? 'medium' : 'low';
  return { confidence, reasons };
}

/** The figures the verdict line quotes: vectors, sources, multiple, then rate and duration when they count, then impact. */
function quotedFigures(
  f: ClassifyFacts,
  criteria: readonly Criterion[],
  impact: { level: number; text: string },
): string[] {
  const vec =
    f.vectors.length === 0
      ? 'no vector classified'
      : f.vectors.length === 1
        ? `one vector (${f.vectors[0]})`
        : `${f.vectors.length} vectors (${f.vectors.join(', ')})`;
  const quoted = [vec, criteria[1].text, criteria[0].text];
  if (criteria[2].level >= 2) quoted.push(criteria[2].text);
  if (criteria[3].level >= 2) quoted.push(criteria[3].text);
  quoted.push(impact.level === 1 && f.servedDuring !== null ? 'no user impact' : impact.text);
  return quoted;
}

export function durationText(s: number): string {
  if (s < 120) return `${Math.round(s)}s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
