// Every request of an incident accounted for: the stored samples' outcomes
// (core/outcome.ts) summed into the record, and the headline's requests,
// forwarded, refused and peak rate set from those sums, so that every figure
// of the headline is traceable to the samples and adds up. Pure; O(outcomes).
import { OUTCOMES, REFUSED_FROM } from '../core/outcome.js';
import type { Accounting, IncidentRecord, Sample } from './incidents-types.js';

export const zeroAccounting = (): Accounting => ({ seconds: 0, received: 0, outcomes: {}, unaccounted: 0, peakRps: 0 });

/** Requests of a sample accounted for by its outcomes (0 without them). */
export function outcomeSum(o: Record<string, number> | undefined): number {
  let n = 0;
  if (o) for (const k in o) n += o[k];
  return n;
}

/** Refused requests of an outcome record: the refusal families (ban, limit, mitigate, mode, origin, other, unanswered). */
export function refusedOf(o: Record<string, number> | undefined): number {
  let n = 0;
  if (o) for (let i = REFUSED_FROM; i < OUTCOMES.length; i++) n += o[OUTCOMES[i]] ?? 0;
  return n;
}

/** Folds one stored sample into the record's accounting and sets the headline from it. */
export function account(r: IncidentRecord, s: Sample): void {
  const a = (r.accounting ??= zeroAccounting());
  a.seconds += s.seconds || 1;
  a.received += s.requests;
  const per = s.requests / (s.seconds || 1);
  if (per > a.peakRps) a.peakRps = Math.round(per);
  const sum = outcomeSum(s.outcomes);
  if (s.outcomes) for (const k in s.outcomes) a.outcomes[k] = (a.outcomes[k] ?? 0) + s.outcomes[k];
  // A sample whose outcomes fall short of its requests (a worker of an older version): the rest is unaccounted, shown as such.
  a.unaccounted += Math.max(0, s.requests - sum);
  applyAccounting(r);
}

/** The headline figures from the accounting (after the detector's totals were copied in). */
export function applyAccounting(r: IncidentRecord): void {
  const a = r.accounting;
  if (!a || a.seconds === 0) return;
  r.totals.requests = a.received;
  r.totals.forwarded = a.outcomes.forwarded ?? 0;
  r.totals.refused = refusedOf(a.outcomes);
  r.totals.peakRps = a.peakRps;
}

/** The global sums' outcomes (`o.<outcome>` keys of state.globalCounts); undefined when the sums carry none. */
export function outcomesOfCounts(g: Record<string, number>): Record<string, number> | undefined {
  let out: Record<string, number> | undefined;
  for (const o of OUTCOMES) {
    const v = g[`o.${o}`];
    if (v !== undefined && v > 0) (out ??= {})[o] = v;
  }
  return out;
}
