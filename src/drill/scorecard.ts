// Turns what a drill recorded into its scorecard (docs/drills.md defines each
// figure): legit served %, legit p50/p99 before and during the attack, attack
// requests sent and reached the origin (the origin's own counters when it
// has them), time to mitigation, false positives; as JSON and as text.
import type { Histogram } from 'hdr-histogram-js';
import type { LegitTally, Recorder } from './recorder.js';
import type { Scenario } from './scenarios.js';

export interface LegitFigures extends LegitTally {
  servedPct: number | null;
  p50: number | null;
  p99: number | null;
}

export interface Scorecard {
  scenario: string;
  description: string;
  target: string;
  startedAt: string;
  warmupS: number;
  durationS: number;
  users: number;
  legit: {
    before: LegitFigures;
    during: LegitFigures;
    /** Legit requests the shield refused (limited, denied, banned, unsolvable challenge), whole drill. */
    falsePositives: number;
    sessions: { completed: number; broken: number };
    challengesSolved: number;
    solveMsMean: number | null;
  };
  attack: {
    rate: number;
    sources: number;
    sent: number;
    skipped: number;
    /** Attack requests that reached the origin, and how that was counted. */
    reachedOrigin: number;
    reachedSource: 'origin-counters' | 'client-side';
    reachedOriginPct: number | null;
    reachedByClientReading: number;
    /** Seconds from attack start to the first second from which it counts as mitigated (null: never). */
    timeToMitigationS: number | null;
    reachedAfterMitigationPct: number | null;
    perSecond: { sent: number[]; reached: number[] };
    refusedByRule: Record<string, number>;
    /** Connections: most open at once, closed by the target, most open ≥ 5 s at a sample (the per-second "reached" series). */
    slowloris?: { peakOpen: number; closedByTarget: number; heldOver5sPeak: number };
  };
  /** The drill's own event-loop delay p99 during the attack (ms): how much of the legit latency may be the drill's. */
  drill: { loopDelayP99Ms: number | null };
  targets: Record<string, { ok: boolean; value: string; goal: string }>;
}

const pct = (a: number, b: number): number | null => (b > 0 ? Math.round((10_000 * a) / b) / 100 : null);
const q = (h: Histogram, p: number): number | null => (h.totalCount > 0 ? h.getValueAtPercentile(p) : null);

/**
 * Time to mitigation: the smallest second k such that (1) from k to the end,
 * at most 5% (+2) of the attack requests sent reached the origin, and (2) in every
 * second t ≥ k in which requests were sent, reached[t] ≤ 5% of sent[t] + 2
 * (the slack absorbs a few requests counted one second late). null: never.
 */
export function timeToMitigation(sent: readonly number[], reached: readonly number[]): number | null {
  const n = sent.length;
  let tailSent = 0;
  let tailReached = 0;
  let best: number | null = null;
  for (let k = n - 1; k >= 0; k--) {
    tailSent += sent[k];
    tailReached += reached[k];
    if (sent[k] > 0 && reached[k] > 0.05 * sent[k] + 2) break;
    if (tailSent > 0 && tailReached <= 0.05 * tailSent + 2) best = k;
  }
  return best;
}

function figures(t: LegitTally, h: Histogram): LegitFigures {
  return { ...t, byRule: { ...t.byRule }, servedPct: pct(t.served, t.requests), p50: q(h, 50), p99: q(h, 99) };
}

export interface ScoreInput {
  scenario: Scenario;
  target: string;
  startedAt: number;
  warmupS: number;
  durationS: number;
  users: number;
  rate: number;
  sources: number;
  recorder: Recorder;
  /** Attack requests the origin counted during the drill, or null when unknown. */
  originAttack: number | null;
  solver: { solves: number; ms: number };
  loopDelayP99Ms: number | null;
}

/** People's figures before and during the attack, and their challenge solving. */
function legitOf(i: ScoreInput): Scorecard['legit'] {
  const r = i.recorder;
  return {
    before: figures(r.legit.before, r.latency.before),
    during: figures(r.legit.during, r.latency.during),
    falsePositives: r.legit.before.refused + r.legit.during.refused,
    sessions: { ...r.sessions },
    challengesSolved: i.solver.solves,
    solveMsMean: i.solver.solves > 0 ? Math.round(i.solver.ms / i.solver.solves) : null,
  };
}

export function score(i: ScoreInput): Scorecard {
  const r = i.recorder;
  const a = r.attack;
  // Slowloris: sent[] samples connections open each second; the total is connections opened.
  const slow = i.scenario.kind === 'slowloris';
  const sent = slow ? r.slowOpened : a.sent.reduce((x, y) => x + y, 0);
  const byClient = a.reachedByClient.reduce((x, y) => x + y, 0);
  const useOrigin = i.originAttack !== null;
  // Slowloris requests never complete, so no origin counts them: its per-second
  // figure is the connections holding a slot for 5 s or more (slowloris.ts).
  const perReached = useOrigin && !slow ? a.reachedByOrigin : a.reachedByClient;
  const reached = useOrigin ? i.originAttack! : slow ? 0 : byClient;
  const attacking = i.scenario.kind !== 'none';
  const ttm = attacking ? timeToMitigation(a.sent, perReached) : null;
  const from = ttm ?? 0;
  const tailSent = a.sent.slice(from).reduce((x, y) => x + y, 0);
  const tailReached = perReached.slice(from).reduce((x, y) => x + y, 0);
  const card: Scorecard = {
    scenario: i.scenario.name,
    description: i.scenario.description,
    target: i.target,
    startedAt: new Date(i.startedAt).toISOString(),
    warmupS: i.warmupS,
    durationS: i.durationS,
    users: i.users,
    legit: legitOf(i),
    attack: {
      rate: i.rate,
      sources: i.sources,
      sent,
      skipped: a.skipped,
      reachedOrigin: reached,
      reachedSource: useOrigin ? 'origin-counters' : 'client-side',
      reachedOriginPct: pct(reached, sent),
      reachedByClientReading: byClient,
      timeToMitigationS: ttm,
      reachedAfterMitigationPct: ttm === null ? null : pct(tailReached, tailSent),
      perSecond: { sent: [...a.sent], reached: [...perReached] },
      refusedByRule: { ...a.byRule },
      ...(slow
        ? {
            slowloris: {
              peakOpen: r.slowPeak,
              closedByTarget: r.slowClosedByTarget,
              heldOver5sPeak: Math.max(0, ...a.reachedByClient),
            },
          }
        : {}),
    },
    drill: { loopDelayP99Ms: i.loopDelayP99Ms },
    targets: {},
  };
  card.targets = targetsOf(card, i.scenario);
  return card;
}

function targetsOf(c: Scorecard, sc: Scenario): Scorecard['targets'] {
  const t: Scorecard['targets'] = {};
  const served = c.legit.during.servedPct;
  t.legitServed = { ok: served !== null && served >= 99, value: served === null ? 'n/a' : `${served}%`, goal: '≥ 99%' };
  if (sc.kind === 'none') {
    const touched = c.legit.falsePositives + c.legit.before.challenged + c.legit.during.challenged;
    t.noLegitTouched = {
      ok: touched === 0,
      value: `${c.legit.falsePositives} refused, ${c.legit.before.challenged + c.legit.during.challenged} challenged`,
      goal: '0 limited, challenged or banned',
    };
    return t;
  }
  const after = c.attack.reachedAfterMitigationPct;
  t.attackReachedAfterMitigation = {
    ok: after !== null && after <= 5,
    value: after === null ? 'never mitigated' : `${after}%`,
    goal: '≤ 5%',
  };
  const limit = sc.name === 'low-and-slow' ? 5 : 2;
  const ttm = c.attack.timeToMitigationS;
  t.timeToMitigation = {
    ok: ttm !== null && ttm <= limit,
    value: ttm === null ? 'never' : `${ttm} s`,
    goal: `≤ ${limit} s`,
  };
  return t;
}
