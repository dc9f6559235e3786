// The recording worker's table of the other workers' latest evidence parts:
// one live entry per slot (a part is cumulative, the latest supersedes the
// last), plus the last part of a slot that went silent (> 10 s) or whose
// process was replaced, kept as it is part of the incident's evidence. Impact
// is folded once: per entry, what its cumulative figures added since the last
// fold. Memory: ≤ MAX_SLOTS live + MAX_SLOTS retired parts (≤ ~50 KiB each;
// in practice worker count × 2 at most).
import { addImpact, impactDelta, zeroImpact, type EvidencePart } from './evidence-merge.js';
import type { ImpactSecond } from '../detector/attribution.js';

/** A slot silent this long is no longer live (its worker died or left the incident); its last part is retired, not lost. */
export const SILENT_MS = 10_000;
/** Slots are 1…worker count; more than this is not a cluster this table serves (a bad sender): ignored. */
const MAX_SLOTS = 64;

interface Entry {
  slot: number;
  part: EvidencePart;
  at: number;
  /** The part's cumulative impact already folded into the record. */
  folded: ImpactSecond;
}

export interface EvidenceParts {
  /** A part from `slot` received at `now`. */
  put(slot: number, part: EvidencePart, now: number): void;
  /** The parts of `incident`, live and retired. */
  parts(incident: string): EvidencePart[];
  /** Impact the parts of `incident` added since the last call (null: none). */
  takeImpact(incident: string): ImpactSecond | null;
  /** Forgets every part not of `incident` (a new incident began). */
  keepOnly(incident: string): void;
  size(): number;
}

export function createEvidenceParts(): EvidenceParts {
  let live: Entry[] = [];
  let retired: Entry[] = [];

  const retire = (e: Entry) => {
    retired = retired.filter(
      (x) => x.slot !== e.slot || x.part.incident !== e.part.incident || x.part.pid !== e.part.pid,
    );
    retired.push(e);
    if (retired.length > MAX_SLOTS) retired.shift();
  };
  const sweep = (now: number) => {
    const keep: Entry[] = [];
    for (const e of live) now - e.at > SILENT_MS ? retire(e) : keep.push(e);
    live = keep;
  };

  return {
    put(slot, part, now) {
      if (!Number.isInteger(slot) || slot < 1 || slot > MAX_SLOTS) return;
      sweep(now);
      const i = live.findIndex((e) => e.slot === slot);
      const old = i >= 0 ? live[i] : null;
      if (old && old.part.incident === part.incident && old.part.pid === part.pid) {
        old.part = part;
        old.at = now;
        return;
      }
      // Another incident: the old part's is over. The same incident from a new process: the old counts stay evidence.
      if (old && old.part.incident === part.incident) retire(old);
      const e: Entry = { slot, part, at: now, folded: zeroImpact() };
      if (old) live[i] = e;
      else live.push(e);
    },
    parts(incident) {
      const out: EvidencePart[] = [];
      for (const e of retired) if (e.part.incident === incident) out.push(e.part);
      for (const e of live) if (e.part.incident === incident) out.push(e.part);
      return out;
    },
    takeImpact(incident) {
      let sum: ImpactSecond | null = null;
      for (const e of [...retired, ...live]) {
        if (e.part.incident !== incident) continue;
        const d = impactDelta(e.part.during, e.folded);
        e.folded = e.part.during;
        addImpact((sum ??= zeroImpact()), d);
      }
      return sum;
    },
    keepOnly(incident) {
      live = live.filter((e) => e.part.incident === incident);
      retired = retired.filter((e) => e.part.incident === incident);
    },
    size: () => live.length + retired.length,
  };
}
