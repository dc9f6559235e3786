// Pure merge of cluster workers' data-exposure watches (exposure.ts parts) into
// the one watch the recording worker writes. Not the watch itself, nor the
// attribution and impact merges (evidence-merge.ts). O(total rows): at most a
// few hundred rows per worker, each with a 16-word ID bitmap OR-ed in place.
import { unionCount } from './evidence-merge.js';
import type { ExposurePart, ExposureRow, ExposureSnapshot } from './exposure.js';
import { BITMAP_WORDS, distinctOfBits } from './exposure-table.js';

/**
 * Exposure watches of every worker as one. Rows are merged by `who` (a client
 * address, or a /24): requests, 2xx/4xx/5xx and verified are sums; distinct
 * IDs come from the OR of the rows' ID bitmaps (a record read through both
 * workers counts once); meanBytes is weighted by requests; longestWalk is the
 * max of the workers' walks, a LOWER bound (a walk split between workers is
 * seen as fragments by each); flags are the union, and `enumeration` is set
 * again from the merged distinct count. The total distinct IDs: the union of
 * the HLL sketches. Rows outside a worker's top list are not in its part.
 */
export function mergeExposure(parts: readonly ExposurePart[], limit = 100): ExposureSnapshot | null {
  if (parts.length === 0) return null;
  const snaps = parts.map((p) => p.snapshot);
  const threshold = snaps[0].enumerationThreshold;
  const sum = (f: (s: ExposureSnapshot) => number) => snaps.reduce((n, s) => n + f(s), 0);
  const ok = sum((s) => s.ok);
  return {
    requests: sum((s) => s.requests),
    ok,
    verifiedRequests: sum((s) => s.verifiedRequests),
    verifiedOk: sum((s) => s.verifiedOk),
    unverifiedOk: sum((s) => s.unverifiedOk),
    distinctIds:
      ok === 0 ? 0 : Math.max(1, unionCount(parts.map((p) => p.ids)) ?? Math.max(...snaps.map((s) => s.distinctIds))),
    meanBytes: ok > 0 ? Math.round(sum((s) => s.meanBytes * s.ok) / ok) : 0,
    clients: mergeRows(
      parts.map((p) => ({ rows: p.snapshot.clients, bits: p.clientBits })),
      limit,
      threshold,
    ),
    prefixes: mergeRows(
      parts.map((p) => ({ rows: p.snapshot.prefixes, bits: p.prefixBits })),
      Math.ceil(limit / 2),
      threshold,
    ),
    templates: [...new Set(snaps.flatMap((s) => s.templates ?? []))],
    tracked: sum((s) => s.tracked),
    dropped: sum((s) => s.dropped),
    enumerationThreshold: threshold,
  };
}

function mergeRows(
  lists: readonly { rows: readonly ExposureRow[]; bits: readonly Uint32Array[] }[],
  limit: number,
  threshold: number,
): ExposureRow[] {
  const m = new Map<string, { row: ExposureRow; bytes: number; bits: Uint32Array | null }>();
  for (const l of lists) {
    for (let i = 0; i < l.rows.length; i++) {
      const r = l.rows[i];
      const b = l.bits[i]?.length === BITMAP_WORDS ? l.bits[i] : null;
      const e = m.get(r.who);
      if (!e) {
        m.set(r.who, {
          row: { ...r, flags: r.flags.slice() },
          bytes: r.meanBytes * r.requests,
          bits: b ? b.slice() : null,
        });
        continue;
      }
      const x = e.row;
      x.requests += r.requests;
      x.ok += r.ok;
      x.s4xx += r.s4xx;
      x.s5xx += r.s5xx;
      x.verified += r.verified;
      x.longestWalk = Math.max(x.longestWalk, r.longestWalk);
      x.distinctIds = Math.max(x.distinctIds, r.distinctIds); // without bitmaps: the max, a lower bound
      e.bytes += r.meanBytes * r.requests;
      for (const f of r.flags) if (!x.flags.includes(f)) x.flags.push(f);
      if (e.bits && b) for (let w = 0; w < BITMAP_WORDS; w++) e.bits[w] |= b[w];
      else e.bits = null;
    }
  }
  const out: ExposureRow[] = [];
  for (const { row, bytes, bits } of m.values()) {
    if (bits) row.distinctIds = distinctOfBits(bits);
    row.meanBytes = row.requests > 0 ? Math.round(bytes / row.requests) : 0;
    if (row.distinctIds >= threshold && !row.flags.includes('enumeration')) row.flags.unshift('enumeration');
    out.push(row);
  }
  out.sort((a, b) => b.distinctIds - a.distinctIds || b.requests - a.requests);
  return out.slice(0, limit);
}
