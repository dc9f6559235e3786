// Scores one campaign attack (docs/drills.md, "Campaigns"): legit served %
// and p99 during the attack for people without JavaScript and for Chromium,
// apart and together; who was checked, challenged or limited; attack requests
// that reached the origin (its own counters); time to mitigation with
// scorecard.ts's rule, measured from each moment the shield was listening
// (after it started mid-attack, after a restart). Seconds in which the shield
// was down, and legit requests sent then, are reported apart, never scored.
import { build, type Histogram } from 'hdr-histogram-js';
import { timingOf, type AttackPlan } from './campaign.js';
import type { CampaignRecorder, ClientKind, SlowRequest, Tally } from './campaign-recorder.js';
import { shapeAt } from './plan-requests.js';
import { timeToMitigation } from './scorecard.js';
import { floodFloorOf, type FloodFloor } from './flood-floor.js';
import { targetsOf } from './campaign-targets.js';

export interface LegitFigures extends Tally {
  servedPct: number | null;
  p50: number | null;
  p99: number | null;
  people: { total: number; checked: number; challenged: number; limited: number };
  /** Requests sent while the shield was down (not scored). */
  downRequests: number;
}

export interface Phase {
  /** Attack seconds [fromS, toS) during which the shield was listening. */
  fromS: number;
  toS: number;
  /** The phase's first second with attack requests (a pulse's quiet seconds after listening are not the attack's). */
  attackFromS: number;
  /** Seconds from attackFromS to mitigation; null: never; undefined when no attack was sent in it. */
  ttmS: number | null | undefined;
}

export interface AttackFigures {
  sent: number;
  skipped: number;
  errors: number;
  followUps: number;
  /** Requests the plan meant to send (rate × its time shape; slowloris: null). */
  planned: number | null;
  /** sent + skipped as a share of planned: under 100 when the drill could not keep up (its cores are shared). */
  sentOfPlanPct: number | null;
  reached: number;
  reachedSource: 'origin-counters' | 'client-side';
  /** Of the attack requests sent while the shield listened, the share the origin counted. */
  reachedPct: number | null;
  reachedAfterMitigationPct: number | null;
  /** The worst phase's time to mitigation (null: some phase never mitigated). */
  ttmS: number | null;
  phases: Phase[];
  perSecond: { sent: number[]; reached: number[]; down: boolean[] };
  byRule: Record<string, number>;
  peakOpenSources: number;
  evictedSources: number;
  slowloris?: { peakOpen: number; closedByTarget: number };
  /** Whether the attack was a flood at all by the detector's own definition (floodFloorOf). */
  floodFloor: FloodFloor | null;
}

export interface Target {
  ok: boolean;
  value: string;
  goal: string;
}

export interface AttackResult {
  plan: AttackPlan;
  timing: string;
  startedAt: string;
  legit: {
    nojs: LegitFigures;
    chromium: LegitFigures | null;
    all: LegitFigures;
    beforeServedPct: number | null;
    chromiumNote: string | null;
    /** The slowest served requests during the attack, slowest first (campaign-recorder.ts SLOWEST). */
    slowest: SlowRequest[];
  };
  attack: AttackFigures | null;
  /** Shield down intervals, in seconds since the attack started (negative: before it). */
  shieldDown: { fromS: number; toS: number }[];
  /** p99 event-loop delay (ms) of the drill's people process and of its attack process. */
  drill: { loopDelayP99Ms: number | null; attackLoopDelayP99Ms: number | null };
  targets: Record<string, Target>;
  /** What went wrong around the drill (the shield did not start, …), and the plan's own notes. */
  notes: string[];
}

export interface ScoreCampaignInput {
  plan: AttackPlan;
  recorder: CampaignRecorder;
  startedAt: number;
  /** Attack requests the origin counted per attack second, or null (then read client-side). */
  originReached: number[] | null;
  chromium: { users: number; note: string | null };
  loopDelayP99Ms: number | null;
  attackLoopDelayP99Ms?: number | null;
  sources: { peakOpen: number; evicted: number };
  notes?: string[];
}

export const pct = (a: number, b: number): number | null => (b > 0 ? Math.round((10_000 * a) / b) / 100 : null);
const q = (h: Histogram, p: number): number | null => (h.totalCount > 0 ? h.getValueAtPercentile(p) : null);
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
export { P99_GOAL_MS } from './campaign-targets.js';

function addTally(a: Tally, b: Tally): Tally {
  const byRule = { ...a.byRule };
  for (const [k, v] of Object.entries(b.byRule)) byRule[k] = (byRule[k] ?? 0) + v;
  return {
    requests: a.requests + b.requests,
    served: a.served + b.served,
    challenged: a.challenged + b.challenged,
    limited: a.limited + b.limited,
    failed: a.failed + b.failed,
    checked: a.checked + b.checked,
    solved: a.solved + b.solved,
    byRule,
  };
}

function legitOf(r: CampaignRecorder, kinds: ClientKind[]): LegitFigures {
  const h = build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000, numberOfSignificantValueDigits: 3 });
  let t: Tally = { requests: 0, served: 0, challenged: 0, limited: 0, failed: 0, checked: 0, solved: 0, byRule: {} };
  const people = { total: 0, checked: 0, challenged: 0, limited: 0 };
  let down = 0;
  for (const k of kinds) {
    t = addTally(t, r.tallies[k].during);
    h.add(r.duringMs[k]);
    const p = r.people[k];
    people.total += p.seen.size;
    people.checked += p.checked.size;
    people.challenged += p.challenged.size;
    people.limited += p.limited.size;
    down += r.tallies[k].down.requests;
  }
  return { ...t, servedPct: pct(t.served, t.requests), p50: q(h, 50), p99: q(h, 99), people, downRequests: down };
}

/** Per attack second: true when the shield was down for the whole second. */
export function downSeconds(downs: readonly [number, number][], attackStart: number, seconds: number): boolean[] {
  const out = new Array<boolean>(seconds).fill(false);
  for (const [a, b] of downs) {
    for (
      let k = Math.max(0, Math.ceil((a - attackStart) / 1000));
      k < seconds && attackStart + (k + 1) * 1000 <= b;
      k++
    )
      out[k] = true;
  }
  return out;
}

/** Time to mitigation per run of seconds the shield listened, each from its own start. */
export function phasesOf(sent: readonly number[], reached: readonly number[], down: readonly boolean[]): Phase[] {
  const phases: Phase[] = [];
  for (let k = 0; k < sent.length; ) {
    if (down[k]) {
      k++;
      continue;
    }
    let e = k;
    while (e < sent.length && !down[e]) e++;
    // From the phase's first attack second: a shield that listens in a pulse's quiet phase meets the attack
    // at its next burst, and the quiet seconds before it are no time the attack went unmitigated.
    let a = k;
    while (a < e && sent[a] === 0) a++;
    const ttmS = a < e ? timeToMitigation(sent.slice(a, e), reached.slice(a, e)) : undefined;
    phases.push({ fromS: k, toS: e, attackFromS: a < e ? a : k, ttmS });
    k = e;
  }
  return phases;
}

function attackOf(i: ScoreCampaignInput): AttackFigures {
  const r = i.recorder;
  const a = r.attack;
  const slow = i.plan.kind === 'slowloris';
  const useOrigin = i.originReached !== null && !slow;
  const reachedSeries = useOrigin ? i.originReached! : a.reachedByClient;
  const down = downSeconds(r.downs, r.attackStart, r.seconds);
  const phases = phasesOf(a.sent, reachedSeries, down);
  const scored = phases.filter((p) => p.ttmS !== undefined);
  const ttmS =
    scored.length === 0
      ? null
      : scored.some((p) => p.ttmS === null)
        ? null
        : Math.max(...scored.map((p) => p.ttmS as number));
  let upSent = 0;
  let upReached = 0;
  let tailSent = 0;
  let tailReached = 0;
  for (const p of phases) {
    for (let k = p.fromS; k < p.toS; k++) {
      upSent += a.sent[k];
      upReached += reachedSeries[k];
      if (typeof p.ttmS === 'number' && k >= p.attackFromS + p.ttmS) {
        tailSent += a.sent[k];
        tailReached += reachedSeries[k];
      }
    }
  }
  return {
    sent: slow ? r.slowOpened : sum(a.sent),
    skipped: a.skipped,
    errors: a.errors,
    followUps: r.followUps,
    planned: slow ? null : plannedRequests(i.plan),
    sentOfPlanPct: slow ? null : pct(sum(a.sent), plannedRequests(i.plan)),
    reached: slow ? 0 : sum(reachedSeries),
    reachedSource: useOrigin ? 'origin-counters' : 'client-side',
    // Slowloris: of the connection-seconds it held open, the share held ≥ 5 s (slowloris.ts).
    reachedPct: pct(upReached, upSent),
    reachedAfterMitigationPct: ttmS === null ? null : pct(tailReached, tailSent),
    ttmS,
    phases,
    perSecond: { sent: [...a.sent], reached: [...reachedSeries], down },
    byRule: { ...a.byRule },
    peakOpenSources: i.sources.peakOpen,
    evictedSources: i.sources.evicted,
    ...(slow ? { slowloris: { peakOpen: r.slowPeak, closedByTarget: r.slowClosedByTarget } } : {}),
    floodFloor: floodFloorOf(
      i.plan,
      r.tallies.nojs.during.requests + r.tallies.chromium.during.requests,
      down.filter((d) => !d).length,
    ),
  };
}

/** Requests a plan sends over its duration at its rate and time shape (10 ms steps, as the sender). */
export function plannedRequests(p: AttackPlan): number {
  let n = 0;
  for (let t = 0; t < p.durationS * 1000; t += 10) n += shapeAt(p.shape, t);
  return Math.round((n * p.rate) / 100);
}

export function scoreAttack(i: ScoreCampaignInput): AttackResult {
  const r = i.recorder;
  const chromium = i.chromium.users > 0 && i.chromium.note === null;
  const before = addTally(r.tallies.nojs.before, r.tallies.chromium.before);
  const res: AttackResult = {
    plan: i.plan,
    timing: timingOf(i.plan),
    startedAt: new Date(i.startedAt).toISOString(),
    legit: {
      nojs: legitOf(r, ['nojs']),
      chromium: chromium ? legitOf(r, ['chromium']) : null,
      all: legitOf(r, ['nojs', 'chromium']),
      beforeServedPct: pct(before.served, before.requests),
      chromiumNote: i.chromium.note,
      slowest: r.slowest.map((x) => ({ ...x })),
    },
    attack: i.plan.kind === 'none' ? null : attackOf(i),
    shieldDown: r.downs.map(([a, b]) => ({
      fromS: Math.round((a - r.attackStart) / 100) / 10,
      toS: Math.round(((b === Infinity ? r.attackStart + r.seconds * 1000 : b) - r.attackStart) / 100) / 10,
    })),
    drill: { loopDelayP99Ms: i.loopDelayP99Ms, attackLoopDelayP99Ms: i.attackLoopDelayP99Ms ?? null },
    targets: {},
    notes: [...i.plan.notes, ...(i.notes ?? [])],
  };
  res.targets = targetsOf(res);
  const odd = unclassified([
    r.tallies.nojs.during.byRule,
    r.tallies.nojs.before.byRule,
    r.tallies.chromium.during.byRule,
    r.tallies.chromium.before.byRule,
    r.attack.byRule,
  ]);
  if (odd.length > 0)
    res.notes.push(`answers the drill does not know how to read (counted by status): ${odd.join(', ')}`);
  return res;
}

/** Verdict families the drill knows (docs/drills.md); the rest are listed in the result's notes. */
const KNOWN =
  /^(default|allow|cache|challenge|limit|ban|deny|mitigate|origin|guard|parse|internal|mode|status|error|loop|drill)\/|^closed-by-target$/;

export function unclassified(maps: readonly Record<string, number>[]): string[] {
  const seen = new Set<string>();
  for (const m of maps) for (const k of Object.keys(m)) if (!KNOWN.test(k)) seen.add(k);
  return [...seen].sort();
}
