// What became of one request, as one of a fixed list, so that every figure of
// received traffic adds up: received = forwarded + served from cache +
// challenged + shed + refused by rule family (or left unanswered). One
// classifier for the detector's window and the per-second counts summed over
// workers and nodes. Hot path: a branch chain and one bounded Map lookup of
// the (compile-time constant) rule name; no allocation.
import type { Verdict } from './model.js';

export const OUTCOMES = [
  'forwarded',
  'cache',
  'challenged',
  'shed',
  'ban',
  'limit',
  'mitigate',
  'mode',
  'origin',
  'other',
  'unanswered',
] as const;
export type Outcome = (typeof OUTCOMES)[number];
/** Index of the first refusal family in OUTCOMES (ban …): refused = the sum from here. */
export const REFUSED_FROM = 4;
/** Refusal families as shown in reports: what each refused request was refused by. */
export const REFUSED_FAMILIES = OUTCOMES.slice(REFUSED_FROM) as readonly Outcome[];

const byRule = new Map<string, number>();

function familyOutcome(rule: string): number {
  const slash = rule.indexOf('/');
  const fam = slash > 0 ? rule.slice(0, slash) : rule;
  if (fam === 'cache') return 1;
  if (fam === 'challenge') return 2;
  if (rule === 'origin/shed') return 3;
  const i = OUTCOMES.indexOf(fam as Outcome);
  return i >= REFUSED_FROM ? i : OUTCOMES.indexOf('other');
}

/** The request's outcome index in OUTCOMES. */
export function outcomeOf(v: Pick<Verdict, 'rule'> & { readonly action: string }, originMs: number): number {
  let i = byRule.get(v.rule);
  if (i === undefined) {
    i = familyOutcome(v.rule);
    if (byRule.size < 1024) byRule.set(v.rule, i); // rule names are compile-time constants; bounded anyway
  }
  if (i <= 3) return i; // cache, challenge and shed answers first: a stale answer after a failed fetch is the cache's
  if (originMs >= 0) return 0;
  // Allowed but never forwarded: the client left (or the stream broke) before the origin was asked.
  return v.action === 'allow' ? OUTCOMES.length - 1 : i;
}

/** Per-second count keys in the shared state's sums (state.addCounts): `o.<outcome>`. */
export const OUTCOME_KEYS = OUTCOMES.map((o) => `o.${o}`);

/** A record of the non-zero counts of an outcome array. */
export function outcomeRecord(counts: ArrayLike<number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < OUTCOMES.length; i++) if (counts[i] > 0) out[OUTCOMES[i]] = counts[i];
  return out;
}
