// Data-exposure watch: every request to a `sensitive` route (e.g. donor
// records) — and to any path template whose identifiers the detector saw
// walked (watchTemplates: no configuration needed) — counted per client and per /24 (requests, 2xx/4xx/5xx, distinct
// record IDs, longest sequential walk, bytes), to flag enumeration. Counts
// start afresh with each incident (newEpoch). Not a judgement on whether the
// origin was right to answer: only what passed through the shield.
// Memory ceiling: 2 × clients × ~120 B (+ labels) + 4 KiB HLL; observe() O(1).
// part() exports the top rows with their ID bitmaps and the HLL registers so
// that cluster workers' watches merge into one (control/exposure-merge.ts).
// The per-key table is exposure-table.ts.
import { FNV_OFFSET, fnv1a, mix32 } from '../core/hash.js';
import { HyperLogLog } from '../core/hyperloglog.js';
import { scanTemplate } from '../detector/templates.js';
import { ExposureTable } from './exposure-table.js';

export interface ExposureObserved {
  routeClass: string;
  path: string;
  clientKey: number;
  prefixKey: number;
  clientIp: string;
  status: number;
  bytesOut: number;
  verified: boolean;
}

export interface ExposureRow {
  who: string;
  requests: number;
  ok: number;
  s4xx: number;
  s5xx: number;
  verified: number;
  distinctIds: number;
  longestWalk: number;
  meanBytes: number;
  flags: string[];
}

export interface ExposureSnapshot {
  requests: number;
  ok: number;
  verifiedRequests: number;
  verifiedOk: number;
  unverifiedOk: number;
  distinctIds: number;
  meanBytes: number;
  clients: ExposureRow[];
  prefixes: ExposureRow[];
  /** Clients tracked / dropped (LRU evictions) since the epoch began. */
  tracked: number;
  dropped: number;
  enumerationThreshold: number;
  /** Path templates the watch took on by itself when the detector saw their identifiers walked (e.g. `/api/donors/{id}`), beside the `sensitive` routes (absent in records made before). */
  templates?: string[];
}

/** A snapshot that merges with other workers': each row's ID bitmap (BITMAP_WORDS words, OR-able) and the total's HLL registers. */
export interface ExposurePart {
  snapshot: ExposureSnapshot;
  clientBits: Uint32Array[];
  prefixBits: Uint32Array[];
  ids: Uint8Array;
}

export interface Exposure {
  observe(ctx: ExposureObserved): void;
  newEpoch(): void;
  /** Also watch these path templates (identifier walks the detector found: `/r/{id}/pdf`) until the next epoch. */
  watchTemplates(labels: readonly string[]): void;
  snapshot(limit?: number): ExposureSnapshot;
  /** The snapshot with what a merge needs (ID bitmaps per row, HLL registers); once a tick in a cluster worker. */
  part(limit?: number): ExposurePart;
}

export interface ExposureOptions {
  /** Clients tracked at once (the /24 table holds a quarter, at least 16). */
  clients: number;
  /** Distinct record IDs that flag a client as enumerating. */
  enumerationIds: number;
  now(): number;
}

export function createExposure(o: ExposureOptions): Exposure {
  return new ExposureWatch(o);
}

const zeroTotals = () => ({ requests: 0, ok: 0, verified: 0, verifiedOk: 0, bytes: 0, okBytes: 0 });

class ExposureWatch implements Exposure {
  private readonly clients: ExposureTable;
  private readonly prefixes: ExposureTable;
  private readonly ids = new HyperLogLog(12);
  private t = zeroTotals();
  private evictBase = 0;
  /** Templates watched by themselves (labels and hashes), bounded: a handful per incident. */
  private readonly watched = new Map<number, string>();
  private readonly scan = { template: 0, id: 0, num: -1 };

  constructor(private readonly o: ExposureOptions) {
    this.clients = new ExposureTable(o.clients);
    this.prefixes = new ExposureTable(Math.max(16, o.clients >> 2));
  }

  /** The observer (passed detached to the pipeline): O(1) for a watched request, one check for the others. */
  readonly observe = (ctx: ExposureObserved): void => {
    if (ctx.routeClass !== 'sensitive' && !this.covers(ctx.path)) return;
    const now = this.o.now();
    const { id, hash } = idOf(ctx.path, this.scan);
    const t = this.t;
    t.requests++;
    t.bytes += ctx.bytesOut;
    const ok = ctx.status >= 200 && ctx.status < 300;
    if (ok) {
      t.ok++;
      t.okBytes += ctx.bytesOut;
      this.ids.add(hash);
    }
    if (ctx.verified) {
      t.verified++;
      if (ok) t.verifiedOk++;
    }
    this.clients.add(ctx.clientKey, ctx.clientIp, ctx, id, hash, now);
    this.prefixes.add(ctx.prefixKey, ctx.clientIp, ctx, id, hash, now);
  };

  watchTemplates(labels: readonly string[]): void {
    for (const l of labels) {
      if (this.watched.size >= 16 || [...this.watched.values()].includes(l)) continue;
      if (scanTemplate(l.replaceAll('{id}', '0'), this.scan)) this.watched.set(this.scan.template, l);
    }
  }

  newEpoch(): void {
    this.watched.clear();
    this.clients.reset();
    this.prefixes.reset();
    this.clients.req.fill(0);
    this.prefixes.req.fill(0);
    this.ids.clear();
    this.t = zeroTotals();
    this.evictBase = this.clients.lru.evictions();
  }

  snapshot(limit = 100): ExposureSnapshot {
    return this.snapshotOf(limit);
  }

  part(limit = 100): ExposurePart {
    const clientBits: Uint32Array[] = [];
    const prefixBits: Uint32Array[] = [];
    const snap = this.snapshotOf(limit, clientBits, prefixBits);
    return { snapshot: snap, clientBits, prefixBits, ids: this.ids.registers() };
  }

  private covers(path: string): boolean {
    return this.watched.size > 0 && scanTemplate(path, this.scan) && this.watched.has(this.scan.template);
  }

  private snapshotOf(limit: number, clientBits?: Uint32Array[], prefixBits?: Uint32Array[]): ExposureSnapshot {
    const t = this.t;
    const meanBytes = t.ok > 0 ? t.okBytes / t.ok : 0;
    const prefixRows = this.rows(this.prefixes, Math.ceil(limit / 2), prefixBits).map((r) => ({
      ...r,
      who: prefixOf(r.who),
    }));
    return {
      requests: t.requests,
      ok: t.ok,
      verifiedRequests: t.verified,
      verifiedOk: t.verifiedOk,
      unverifiedOk: t.ok - t.verifiedOk,
      distinctIds: t.ok === 0 ? 0 : Math.max(1, Math.round(this.ids.count())),
      meanBytes: Math.round(meanBytes),
      clients: this.rows(this.clients, limit, clientBits),
      prefixes: prefixRows,
      tracked: this.clients.lru.size(),
      dropped: this.clients.lru.evictions() - this.evictBase,
      enumerationThreshold: this.o.enumerationIds,
      templates: [...this.watched.values()],
    };
  }

  /** The table's keys with requests, most distinct IDs first, the first `limit`; their ID bitmaps pushed to `bits`. */
  private rows(tb: ExposureTable, limit: number, bits?: Uint32Array[]): ExposureRow[] {
    const out: (ExposureRow & { slot: number })[] = [];
    for (let s = 1; s < tb.req.length; s++) {
      if (tb.req[s] === 0) continue;
      const distinct = tb.distinct(s);
      const mb = tb.bytes[s] / tb.req[s];
      out.push({
        slot: s,
        who: tb.labels[s],
        requests: tb.req[s],
        ok: tb.ok[s],
        s4xx: tb.s4[s],
        s5xx: tb.s5[s],
        verified: tb.ver[s],
        distinctIds: distinct,
        longestWalk: tb.best[s] + (tb.best[s] > 0 ? 1 : 0),
        meanBytes: Math.round(mb),
        flags: this.flagsOf(tb, s, distinct, mb),
      });
    }
    out.sort((a, b) => b.distinctIds - a.distinctIds || b.requests - a.requests);
    const top = out.slice(0, limit);
    if (bits) for (const r of top) bits.push(tb.bitsOf(r.slot));
    return top.map(({ slot: _, ...r }) => r);
  }

  private flagsOf(tb: ExposureTable, s: number, distinct: number, meanBytes: number): string[] {
    const flags: string[] = [];
    if (distinct >= this.o.enumerationIds) flags.push('enumeration');
    if (tb.best[s] + 1 >= 10) flags.push('sequential walk');
    // Against everyone else's mean: a heavy reader must not set its own yardstick.
    const othersOk = this.t.ok - tb.ok[s];
    const othersMean = othersOk > 0 ? (this.t.okBytes - tb.bytes[s]) / othersOk : 0;
    if (othersMean > 0 && tb.req[s] >= 5 && meanBytes > 3 * othersMean) flags.push('unusual response size');
    return flags;
  }
}

/** The record ID of a path: its identifier segments (numbers, hex, UUIDs: templates.ts), else its last segment. */
function idOf(path: string, scan: { template: number; id: number; num: number }): { id: number; hash: number } {
  if (scanTemplate(path, scan)) return { id: scan.num, hash: scan.id };
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 47) end--;
  const start = path.lastIndexOf('/', end - 1) + 1;
  return { id: -1, hash: mix32(fnv1a(path, FNV_OFFSET, start, end)) };
}

function prefixOf(ip: string): string {
  const m = /^(\d+\.\d+\.\d+)\.\d+$/.exec(ip);
  if (m) return `${m[1]}.0/24`;
  const parts = ip.split(':');
  return parts.length >= 3 ? `${parts.slice(0, 3).join(':')}::/48` : ip;
}
