// Runs one drill: legit users from the start, a warm-up with no attack (the
// "before" latencies, the detector's baseline), then the scenario's attack
// for `durationMs` while users keep going; the origin's counters are read at
// every attack second. Everything stops by itself at the end; returns the scorecard.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { runAttack } from './attack.js';
import { runLegitUsers, sleepUntil } from './legit.js';
import { createOriginStats, type OriginCounts, type OriginStats } from './origin-stats.js';
import { Recorder } from './recorder.js';
import { type Scenario, scenario as scenarioOf, type ScenarioName } from './scenarios.js';
import { score, type Scorecard } from './scorecard.js';
import { runSlowloris } from './slowloris.js';
import { createSolver, type Solver } from './solver.js';
import type { PublicPlan } from './addresses.js';
import type { Target } from './target.js';

export interface DrillOptions {
  target: Target;
  scenario: ScenarioName;
  durationMs: number;
  warmupMs: number;
  users: number;
  /** Overrides of the scenario's attack rate and number of sources. */
  rate?: number;
  sources?: number;
  thinkMs?: readonly [number, number];
  /** URL of the origin's counters; default: try <target>/__demo/stats. */
  originStats?: string;
  xff?: PublicPlan;
  /** Called about once a second with a one-line status. */
  progress?: (line: string) => void;
}

export async function runDrill(o: DrillOptions): Promise<Scorecard> {
  const sc = scenarioOf(o.scenario);
  const rate = o.rate ?? sc.rate;
  const sources = o.sources ?? sc.sources;
  const seconds = Math.max(1, Math.ceil(o.durationMs / 1000));
  const rec = new Recorder(seconds);
  const solver = createSolver();
  const stats = await openStats(o);
  const startedAt = Date.now() + 100;
  rec.attackStart = startedAt + o.warmupMs;
  const until = rec.attackStart + seconds * 1000;
  try {
    const baseline = stats ? await stats.read() : null;
    const snaps: (OriginCounts | null)[] = [];
    const work = startTraffic({ o, sc, rate, sources, rec, solver, seconds, until });
    const ticker = tick(o, rec, stats, snaps, seconds, until);
    // The drill's own event-loop delay during the attack: when it is high, legit
    // latencies include the drill's wait, not only the target's.
    const loop = monitorEventLoopDelay({ resolution: 10 });
    void sleepUntil(rec.attackStart).then(() => loop.enable());
    await Promise.all(work);
    await ticker;
    loop.disable();
    const loopDelayP99Ms = loop.count > 0 ? Math.round(loop.percentile(99) / 1e6) : null;
    const final = stats ? await stats.read() : null;
    const originAttack = baseline && final ? reachedByOrigin(rec, baseline, final, snaps, seconds) : null;
    return score({
      scenario: sc,
      target: o.target.origin,
      startedAt,
      warmupS: o.warmupMs / 1000,
      durationS: seconds,
      users: o.users,
      rate,
      sources,
      recorder: rec,
      originAttack,
      solver: solver.stats(),
      loopDelayP99Ms,
    });
  } finally {
    await solver.close();
    await stats?.close();
  }
}

interface Traffic {
  o: DrillOptions;
  sc: Scenario;
  rate: number;
  sources: number;
  rec: Recorder;
  solver: Solver;
  seconds: number;
  until: number;
}

/** People from the start, and the scenario's attack from `rec.attackStart` (the newsletter: more people). */
function startTraffic(t: Traffic): Promise<unknown>[] {
  const { o, sc, rec, solver, until } = t;
  const legitXff = o.xff ? (i: number) => o.xff!.addressOf(i) : undefined;
  const thinkMs = o.thinkMs ?? [1000, 4000];
  const work: Promise<unknown>[] = [
    runLegitUsers({
      target: o.target,
      users: o.users,
      recorder: rec,
      solver,
      until,
      thinkMs,
      rampMs: Math.min(2000, o.warmupMs),
      xffOf: legitXff,
    }),
  ];
  if (sc.kind === 'none') {
    // The newsletter: 3× the regular users arrive within 2 s, half-way through, one visit each.
    const burstAt = rec.attackStart + Math.floor(t.seconds / 2) * 1000;
    const burst = {
      target: o.target,
      users: o.users * 3,
      firstIndex: o.users,
      recorder: rec,
      solver,
      until,
      thinkMs,
      sessions: 1,
      rampMs: 2000,
      xffOf: legitXff,
    };
    work.push(sleepUntil(burstAt).then(() => runLegitUsers(burst)));
    return work;
  }
  const attack = {
    scenario: sc,
    target: o.target,
    rate: t.rate,
    sources: t.sources,
    recorder: rec,
    start: rec.attackStart,
    until,
    xffOf: o.xff ? (i: number) => o.xff!.addressOf(1_000_000 + i) : undefined,
  };
  work.push(sc.kind === 'slowloris' ? runSlowloris(attack) : runAttack(attack));
  return work;
}

/**
 * Attack requests the origin counted, in all and per attack second (into
 * `rec.attack.reachedByOrigin`). A snapshot that could not be read (origin too
 * busy for 2 s) takes the previous one: that second's arrivals are counted in the next second.
 */
function reachedByOrigin(
  rec: Recorder,
  baseline: OriginCounts,
  final: OriginCounts,
  snaps: readonly (OriginCounts | null)[],
  seconds: number,
): number {
  const at: number[] = [];
  for (let k = 0; k < seconds; k++) at.push(snaps[k]?.attack ?? (k === 0 ? baseline.attack : at[k - 1]));
  at.push(final.attack);
  for (let k = 0; k < seconds; k++) rec.attack.reachedByOrigin[k] = at[k + 1] - at[k];
  return final.attack - baseline.attack;
}

async function openStats(o: DrillOptions): Promise<OriginStats | null> {
  const s = createOriginStats(o.originStats ?? `${o.target.origin}/__demo/stats`);
  if ((await s.read()) !== null) return s;
  await s.close();
  return null;
}

/** Once a second: origin snapshot at each attack-second boundary, and the progress line. */
async function tick(
  o: DrillOptions,
  rec: Recorder,
  stats: OriginStats | null,
  snaps: (OriginCounts | null)[],
  seconds: number,
  until: number,
): Promise<void> {
  let next =
    rec.attackStart < Date.now()
      ? Date.now()
      : rec.attackStart - Math.floor((rec.attackStart - Date.now()) / 1000) * 1000;
  while (next < until) {
    await sleepUntil(next);
    const k = Math.round((next - rec.attackStart) / 1000);
    if (k >= 0 && k < seconds && stats) snaps[k] = await stats.read();
    o.progress?.(progressLine(rec, k, seconds));
    next += 1000;
  }
}

function progressLine(rec: Recorder, k: number, seconds: number): string {
  const l = rec.legit.during.requests > 0 ? rec.legit.during : rec.legit.before;
  const served = l.requests > 0 ? ((100 * l.served) / l.requests).toFixed(1) : '—';
  const sent = rec.attack.sent.reduce((a, b) => a + b, 0);
  const phase = k < 0 ? `warm-up ${-k}s` : `attack ${k}/${seconds}s`;
  return `${phase}  legit ${l.requests} req, ${served}% served, ${l.refused} refused  attack sent ${sent}`;
}
