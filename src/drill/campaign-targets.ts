// An attack's targets (issue 13; docs/drills.md, "Scoring an attack"): legit
// served ≥ 99% with p99 ≤ 1.5 s; newsletters: nobody challenged or limited;
// attacks: reached ≤ 5% and time to mitigation within its goal, unless the
// attack was under the flood floor (flood-floor.ts), which is scored on
// people only. Pure.
import type { AttackResult, Target } from './campaign-score.js';

export const P99_GOAL_MS = 1500;

export function targetsOf(r: AttackResult): Record<string, Target> {
  const t: Record<string, Target> = {};
  const all = r.legit.all;
  t.legitServed = {
    ok: all.servedPct !== null && all.servedPct >= 99,
    value: all.servedPct === null ? 'n/a' : `${all.servedPct}%`,
    goal: '≥ 99%',
  };
  t.legitP99 = {
    ok: all.p99 !== null && all.p99 <= P99_GOAL_MS,
    value: all.p99 === null ? 'n/a' : `${all.p99} ms`,
    goal: `≤ ${P99_GOAL_MS} ms`,
  };
  if (r.attack === null) {
    t.noPeopleChallenged = { ok: all.people.challenged === 0, value: String(all.people.challenged), goal: '0 people' };
    t.noPeopleLimited = { ok: all.people.limited === 0, value: String(all.people.limited), goal: '0 people' };
    return t;
  }
  const a = r.attack;
  const f = a.floodFloor;
  if (f?.under) {
    t.floodFloor = {
      ok: true,
      value: `${r.plan.rate} req/s < ${f.floor} req/s`,
      goal: `under the flood floor (people ${f.legitRate} req/s, ratio ${f.ratio}): scored on people only`,
    };
    return t;
  }
  t.attackReached = {
    ok: a.reachedPct !== null && a.reachedPct <= 5,
    value: a.reachedPct === null ? 'n/a' : `${a.reachedPct}%`,
    goal: '≤ 5%',
  };
  t.timeToMitigation = {
    ok: a.ttmS !== null && a.ttmS <= r.plan.ttmGoalS,
    value: a.ttmS === null ? 'never' : `${a.ttmS} s`,
    goal: `≤ ${r.plan.ttmGoalS} s`,
  };
  return t;
}
