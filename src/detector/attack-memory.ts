// An incident to and from what survives a restart (learned.ts AttackMemory):
// its id, surge, vectors, signature keys, level and mitigations. Not the
// blob's encoding (learned.ts) nor the decision whether a later attack is the
// same one (learned.ts sameAttack). Runs on save, restore and the first
// attack second after a restore; allocates small arrays.
import type { DetectorConfig } from '../config/schema/detector.js';
import type { Mode } from '../core/model.js';
import type { Assessment } from './assess.js';
import type { Baselines } from './baseline.js';
import { Incident } from './incident.js';
import type { AttackMemory } from './learned.js';
import { Mitigator } from './mitigate.js';

/** What to persist of the incident in progress, in mode `mode`. */
export function memoryOf(inc: Incident, mode: Mode, base: Baselines): AttackMemory {
  const sig = inc.signature(base);
  const mitigator = inc.mitigator;
  const templates = [...inc.vectors.values()].flatMap((v) => v.templates ?? []);
  return {
    id: inc.id,
    startedAt: inc.startedAt,
    lastAnomalousAt: inc.lastAnomalousAt,
    mode,
    surge: { ...mitigator.surge },
    vectors: [...inc.vectors.keys()],
    keys: {
      fingerprints: sig.fingerprints.slice(0, 5).map((f) => f.key),
      paths: sig.paths.slice(0, 5).map((p) => p.label),
      prefixes: sig.prefixes.slice(0, 10).map((p) => p.key),
      templates,
    },
    level: mitigator.level,
    mitigations: mitigator.activeMitigations(),
    bursts: inc.bursts,
    burstStarts: inc.burstStarts.slice(-10),
    totals: { ...inc.totals },
  };
}

/** The signature keys of an anomalous second, to compare with an attack remembered from before a restart. */
export function keysOf(a: Assessment): AttackMemory['keys'] {
  const sig = a.signature;
  return {
    fingerprints: sig.fingerprints.filter((f) => f.suspicious === true).map((f) => f.key),
    paths: sig.paths.filter((p) => p.share >= 0.05).map((p) => p.label),
    prefixes: sig.prefixes.map((p) => p.key),
    templates: a.enumeration?.templates ?? [],
  };
}

/** The remembered incident again, its level and unexpired mitigations adopted, marked as not yet seen since. */
export function incidentFromMemory(cfg: DetectorConfig, m: AttackMemory, now: number): Incident {
  const mitigator = new Mitigator(cfg, m.id, m.surge);
  mitigator.adopt(m.level, m.mitigations, now);
  const inc = new Incident(m.id, m.startedAt, mitigator);
  inc.lastAnomalousAt = m.lastAnomalousAt;
  inc.bursts = m.bursts;
  inc.burstStarts = m.burstStarts.slice();
  Object.assign(inc.totals, m.totals);
  for (const v of m.vectors) inc.vectors.set(v, { vector: v, reason: 'seen before the restart', figures: {} });
  inc.restored = m;
  return inc;
}
