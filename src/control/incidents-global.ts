// Global headline figures of an incident record when state is shared (redis
// nodes, cluster workers): each per-second sample waits ~3 s for the global
// sums of its second (state.globalCounts), then its requests/forwarded/refused
// become the sums, this node's own figures kept beside (sample.local*,
// record.scope.local). Not the recorder itself; memory: ≤ a few waiting samples.
import { outcomesOfCounts } from './accounting.js';
import type { IncidentRecord, Sample } from './incidents-types.js';

/** Global sums of a second are complete about a sync interval after it ends: samples wait this long for them. */
const GLOBAL_LAG_MS = 3000;
const PARTIAL_NOTE = 'Global figures incomplete: ';
const GLOBAL_NOTE =
  "Requests, refused, forwarded and the peak rate are summed over every node and worker sharing state (global per-second counts). Distinct sources, top lists and the peak multiple come from this node's detector, which also folds in the other nodes' seconds (about a second late); the baseline's key shares, attribution, impact and exposure are this node's own view of its share of the traffic.";

export interface GlobalFigures {
  /** A sample of `r` to be written once its second's global sums are known. */
  hold(r: IncidentRecord, s: Sample): void;
  /** This node's detector totals: kept in scope.local, the headline stays global. */
  setTotals(r: IncidentRecord, local: IncidentRecord['totals']): void;
  /** Samples due (all of them when `all`), globalised, handed to `out`; their records to `dirty`. */
  settle(now: number, all: boolean, out: (r: IncidentRecord, s: Sample) => void): void;
}

const zeroScope = () => ({ requests: 0, refused: 0, forwarded: 0, peakRps: 0 });
const scopeOf = (r: IncidentRecord) =>
  (r.scope ??= { seconds: 0, globalSeconds: 0, global: zeroScope(), local: zeroScope() });

export function createGlobalFigures(global: (second: number) => Record<string, number> | null): GlobalFigures {
  let waiting: { r: IncidentRecord; s: Sample }[] = [];

  function globalize(r: IncidentRecord, s: Sample): void {
    const g = global(Math.floor(s.t / 1000));
    s.localRequests = s.requests;
    s.localForwarded = s.forwarded;
    s.localRefused = s.refused;
    s.localOutcomes = s.outcomes;
    const sc = scopeOf(r);
    sc.seconds++;
    // The sums of the sample's second, complete GLOBAL_LAG_MS after it, are taken whenever they exist,
    // even below the sample's own figure: a cluster primary's window holds its workers' seconds as they
    // arrive, up to a second older than its label, so it straddles two seconds of the sums, and keeping
    // the local figure would count that traffic twice. The incident's seconds are distinct, so the
    // headline is the sum of the sums over them. No sums (the store unreachable): the local figure.
    if (g && (g.requests ?? 0) > 0) {
      s.requests = g.requests ?? 0;
      s.forwarded = g.forwarded ?? 0;
      s.refused = g.refused ?? 0;
      s.outcomes = outcomesOfCounts(g);
      sc.globalSeconds++;
    }
    const partial = r.notes.findIndex((n) => n.startsWith(PARTIAL_NOTE));
    const missing = sc.seconds - sc.globalSeconds;
    const text = `${PARTIAL_NOTE}${missing} of ${sc.seconds} recorded seconds carry this node's own figures only (the shared state was unreachable, or other nodes' sums came late).`;
    if (missing > 0) partial >= 0 ? (r.notes[partial] = text) : r.notes.push(text);
    const t = sc.global;
    t.requests += s.requests;
    t.refused += s.refused;
    t.forwarded += s.forwarded;
    if (s.requests > t.peakRps) t.peakRps = s.requests;
    Object.assign(r.totals, t);
  }

  return {
    hold: (r, s) => void waiting.push({ r, s }),
    setTotals(r, local) {
      const sc = scopeOf(r);
      sc.local = {
        requests: local.requests,
        refused: local.refused,
        forwarded: local.forwarded,
        peakRps: local.peakRps,
      };
      r.totals = { ...local, ...sc.global, distinctSources: Math.max(r.totals.distinctSources, local.distinctSources) };
      if (!r.notes.includes(GLOBAL_NOTE)) r.notes.push(GLOBAL_NOTE);
    },
    settle(now, all, out) {
      if (waiting.length === 0) return;
      const keep: typeof waiting = [];
      for (const x of waiting) {
        if (all || x.s.t <= now - GLOBAL_LAG_MS) {
          globalize(x.r, x.s);
          out(x.r, x.s);
        } else keep.push(x);
      }
      waiting = keep;
    },
  };
}
