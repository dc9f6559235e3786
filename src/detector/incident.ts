// The running record of one attack: totals, distinct sources over its whole
// life (HyperLogLog union), the top keys summed over its seconds, the vectors
// seen with their latest figures, bursts (pulse waves) and the actions taken.
// Memory ceiling: 4 KiB HLL + 5 maps pruned to 200 entries + ≤ 1000 actions.
// Updated once a second.
import { HyperLogLog } from '../core/hyperloglog.js';
import type { Mode } from '../core/model.js';
import type { Baselines } from './baseline.js';
import type {
  IncidentSummary,
  IncidentTotals,
  MitigationAction,
  SecondSample,
  Signature,
  SignatureItem,
  Vector,
  VectorFinding,
} from './events.js';
import { zeroIncidentTotals } from './events.js';
import type { Mitigator } from './mitigate.js';
import type { AttackMemory } from './learned.js';

const KEEP = 200;
const MAX_ACTIONS = 1000;
type Dim = 'sources' | 'prefixes' | 'fingerprints' | 'paths' | 'queryShapes' | 'clients';
const DIMS: Dim[] = ['sources', 'prefixes', 'fingerprints', 'paths', 'queryShapes', 'clients'];

export class Incident {
  readonly id: string;
  readonly startedAt: number;
  lastAnomalousAt: number;
  /** Separate surges inside the incident (≥ 2 is a pulse wave). */
  bursts = 1;
  burstStarts: number[] = [];
  inGap = false;
  /** Consecutive anomalous seconds with the origin in distress. */
  distressSeconds = 0;
  readonly vectors = new Map<Vector, VectorFinding>();
  readonly totals: IncidentTotals = zeroIncidentTotals();
  readonly sourcesHll = new HyperLogLog(12);
  readonly actions: MitigationAction[] = [];
  readonly mitigator: Mitigator;
  lastSignature: Signature | null = null;
  /** Restored after a restart and not yet seen again: the first anomalous second says whether it is the same attack. */
  restored: AttackMemory | null = null;
  private readonly agg: Record<Dim, Map<number, { label: string; count: number }>> = {
    sources: new Map(),
    prefixes: new Map(),
    fingerprints: new Map(),
    paths: new Map(),
    queryShapes: new Map(),
    clients: new Map(),
  };

  constructor(id: string, startedAt: number, mitigator: Mitigator) {
    this.id = id;
    this.startedAt = startedAt;
    this.lastAnomalousAt = startedAt;
    this.mitigator = mitigator;
    this.burstStarts.push(startedAt);
  }

  /** Adds one second (anomalous or not) of the incident. */
  add(s: SecondSample, sig: Signature, sources: HyperLogLog, vectors: VectorFinding[]): void {
    const t = this.totals;
    t.seconds++;
    t.requests += s.requests;
    t.refused += s.refused;
    t.forwarded += s.forwarded;
    if (s.requests > t.peakRps) t.peakRps = s.requests;
    if (s.sources > t.peakSources) t.peakSources = s.sources;
    this.sourcesHll.merge(sources);
    t.distinctSources = this.sourcesHll.count();
    for (const v of vectors) this.vectors.set(v.vector, v);
    this.lastSignature = sig;
    for (const d of DIMS) this.fold(this.agg[d], sig[d] ?? []);
  }

  private fold(m: Map<number, { label: string; count: number }>, items: SignatureItem[]): void {
    for (const it of items) {
      const e = m.get(it.key);
      if (e) e.count += it.count;
      else m.set(it.key, { label: it.label, count: it.count });
    }
    if (m.size > 2 * KEEP) {
      const keep = [...m.entries()].sort((a, b) => b[1].count - a[1].count).slice(0, KEEP);
      m.clear();
      for (const [k, v] of keep) m.set(k, v);
    }
  }

  record(a: MitigationAction): void {
    if (a.kind === 'ban') this.totals.bans++;
    else if (a.kind === 'mitigation') this.totals.mitigations++;
    if (this.actions.length < MAX_ACTIONS) this.actions.push(a);
  }

  /** Top keys over the whole incident, with shares of its requests and baseline lifts. */
  signature(b: Baselines): Signature {
    const total = Math.max(1, this.totals.requests);
    const cms = {
      sources: null,
      prefixes: b.prefix,
      fingerprints: b.fp,
      paths: b.path,
      queryShapes: b.shape,
      clients: null,
    } as const;
    const out = { routeClasses: this.lastSignature?.routeClasses ?? [] } as Signature;
    for (const d of DIMS) {
      const cm = cms[d];
      out[d] = [...this.agg[d].entries()]
        .sort((x, y) => y[1].count - x[1].count)
        .slice(0, 20)
        .map(([key, v]) => {
          const share = v.count / total;
          const base = cm ? Math.min(1, cm.total > 0 ? cm.estimate(key) / cm.total : 0) : 0;
          return {
            key,
            label: v.label,
            count: v.count,
            share: Math.round(share * 1000) / 1000,
            baselineShare: Math.round(base * 10000) / 10000,
            lift: Math.round((share / Math.max(base, 0.001)) * 100) / 100,
          };
        });
    }
    return out;
  }

  summary(mode: Mode, b: Baselines): IncidentSummary {
    return {
      id: this.id,
      startedAt: this.startedAt,
      seconds: this.totals.seconds,
      mode,
      level: this.mitigator.level,
      vectors: [...this.vectors.values()],
      signature: this.signature(b),
      totals: { ...this.totals },
      actions: this.actions.slice(-50),
    };
  }
}
