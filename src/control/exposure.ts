// Data-exposure watch: every request to a `sensitive` route (e.g. donor
// records) — and to any path template whose identifiers the detector saw
// walked (watchTemplates: no configuration needed) — counted per client and per /24 (requests, 2xx/4xx/5xx, distinct
// record IDs, longest sequential walk, bytes), to flag enumeration. Counts
// start afresh with each incident (newEpoch). Not a judgement on whether the
// origin was right to answer: only what passed through the shield.
// Memory ceiling: 2 × clients × ~120 B (+ labels) + 4 KiB HLL; observe() O(1).
// part() exports the top rows with their ID bitmaps and the HLL registers so
// that cluster workers' watches merge into one (control/evidence-merge.ts).
import { FNV_OFFSET, fnv1a, mix32 } from '../core/hash.js';
import { HyperLogLog } from '../core/hyperloglog.js';
import { createLru, type Lru } from '../core/lru.js';
import { scanTemplate } from '../detector/templates.js';

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

const BITMAP_WORDS = 16; // 512 bits per key: linear counting up to a few thousand IDs

/** A snapshot that merges with other workers': each row's ID bitmap (BITMAP_WORDS words, OR-able) and the total's HLL registers. */
export interface ExposurePart {
  snapshot: ExposureSnapshot;
  clientBits: Uint32Array[];
  prefixBits: Uint32Array[];
  ids: Uint8Array;
}

/** Distinct IDs estimated from a row's 512-bit bitmap (linear counting). */
export function distinctOfBits(bits: Uint32Array, offset = 0): number {
  let zeros = 0;
  for (let w = 0; w < BITMAP_WORDS; w++) zeros += 32 - popcount(bits[offset + w]);
  if (zeros === 0) return 512 * Math.log(512);
  return Math.round(-512 * Math.log(zeros / 512));
}

class Table {
  readonly lru: Lru;
  readonly req: Float64Array;
  readonly ok: Float64Array;
  readonly s4: Float64Array;
  readonly s5: Float64Array;
  readonly ver: Float64Array;
  readonly bytes: Float64Array;
  readonly lastId: Float64Array;
  readonly run: Float64Array;
  readonly best: Float64Array;
  readonly bits: Uint32Array;
  readonly labels: string[];
  constructor(n: number) {
    this.lru = createLru(n);
    this.req = new Float64Array(n + 1);
    this.ok = new Float64Array(n + 1);
    this.s4 = new Float64Array(n + 1);
    this.s5 = new Float64Array(n + 1);
    this.ver = new Float64Array(n + 1);
    this.bytes = new Float64Array(n + 1);
    this.lastId = new Float64Array(n + 1);
    this.run = new Float64Array(n + 1);
    this.best = new Float64Array(n + 1);
    this.bits = new Uint32Array((n + 1) * BITMAP_WORDS);
    this.labels = new Array<string>(n + 1).fill('');
  }
  add(key: number, label: string, c: ExposureObserved, id: number, idHash: number, now: number): void {
    const s = this.lru.acquire(key, now, now + 86_400_000);
    if (this.lru.created()) {
      this.req[s] = this.ok[s] = this.s4[s] = this.s5[s] = this.ver[s] = this.bytes[s] = this.run[s] = this.best[s] = 0;
      this.lastId[s] = -2;
      this.bits.fill(0, s * BITMAP_WORDS, (s + 1) * BITMAP_WORDS);
      this.labels[s] = label;
    }
    this.req[s]++;
    if (c.status >= 200 && c.status < 300) this.ok[s]++;
    else if (c.status >= 400 && c.status < 500) this.s4[s]++;
    else if (c.status >= 500) this.s5[s]++;
    if (c.verified) this.ver[s]++;
    this.bytes[s] += c.bytesOut;
    if (id >= 0) {
      const step = Math.abs(id - this.lastId[s]);
      this.run[s] = step === 1 ? this.run[s] + 1 : 0;
      if (this.run[s] > this.best[s]) this.best[s] = this.run[s];
      this.lastId[s] = id;
    }
    const b = idHash & 511;
    this.bits[s * BITMAP_WORDS + (b >>> 5)] |= 1 << (b & 31);
  }
  distinct(s: number): number {
    return distinctOfBits(this.bits, s * BITMAP_WORDS);
  }
  bitsOf(s: number): Uint32Array {
    return this.bits.slice(s * BITMAP_WORDS, (s + 1) * BITMAP_WORDS);
  }
  reset(): void {
    this.lru.clear();
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** The record ID of a path: its identifier segments (numbers, hex, UUIDs: templates.ts), else its last segment. */
function idOf(path: string, scan: { template: number; id: number; num: number }): { id: number; hash: number } {
  if (scanTemplate(path, scan)) return { id: scan.num, hash: scan.id };
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 47) end--;
  const start = path.lastIndexOf('/', end - 1) + 1;
  return { id: -1, hash: mix32(fnv1a(path, FNV_OFFSET, start, end)) };
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

export function createExposure(o: { clients: number; enumerationIds: number; now(): number }): Exposure {
  const clients = new Table(o.clients);
  const prefixes = new Table(Math.max(16, o.clients >> 2));
  const ids = new HyperLogLog(12);
  let t = { requests: 0, ok: 0, verified: 0, verifiedOk: 0, bytes: 0, okBytes: 0 };
  let evictBase = 0;
  // Templates watched by themselves (labels and hashes), bounded: a handful per incident.
  const watched = new Map<number, string>();
  const scan = { template: 0, id: 0, num: -1 };
  const covers = (path: string) => watched.size > 0 && scanTemplate(path, scan) && watched.has(scan.template);

  function rows(tb: Table, limit: number, bits?: Uint32Array[]): ExposureRow[] {
    const out: (ExposureRow & { slot: number })[] = [];
    for (let s = 1; s < tb.req.length; s++) {
      if (tb.req[s] === 0) continue;
      const distinct = tb.distinct(s);
      const mb = tb.bytes[s] / tb.req[s];
      const flags: string[] = [];
      if (distinct >= o.enumerationIds) flags.push('enumeration');
      if (tb.best[s] + 1 >= 10) flags.push('sequential walk');
      // Against everyone else's mean: a heavy reader must not set its own yardstick.
      const othersOk = t.ok - tb.ok[s];
      const othersMean = othersOk > 0 ? (t.okBytes - tb.bytes[s]) / othersOk : 0;
      if (othersMean > 0 && tb.req[s] >= 5 && mb > 3 * othersMean) flags.push('unusual response size');
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
        flags,
      });
    }
    out.sort((a, b) => b.distinctIds - a.distinctIds || b.requests - a.requests);
    const top = out.slice(0, limit);
    if (bits) for (const r of top) bits.push(tb.bitsOf(r.slot));
    return top.map(({ slot: _, ...r }) => r);
  }

  function snapshot(limit: number, clientBits?: Uint32Array[], prefixBits?: Uint32Array[]): ExposureSnapshot {
    const meanBytes = t.ok > 0 ? t.okBytes / t.ok : 0;
    const prefixRows = rows(prefixes, Math.ceil(limit / 2), prefixBits).map((r) => ({ ...r, who: prefixOf(r.who) }));
    return {
      requests: t.requests,
      ok: t.ok,
      verifiedRequests: t.verified,
      verifiedOk: t.verifiedOk,
      unverifiedOk: t.ok - t.verifiedOk,
      distinctIds: t.ok === 0 ? 0 : Math.max(1, Math.round(ids.count())),
      meanBytes: Math.round(meanBytes),
      clients: rows(clients, limit, clientBits),
      prefixes: prefixRows,
      tracked: clients.lru.size(),
      dropped: clients.lru.evictions() - evictBase,
      enumerationThreshold: o.enumerationIds,
      templates: [...watched.values()],
    };
  }

  return {
    observe(ctx) {
      if (ctx.routeClass !== 'sensitive' && !covers(ctx.path)) return;
      const now = o.now();
      const { id, hash } = idOf(ctx.path, scan);
      t.requests++;
      t.bytes += ctx.bytesOut;
      const ok = ctx.status >= 200 && ctx.status < 300;
      if (ok) {
        t.ok++;
        t.okBytes += ctx.bytesOut;
        ids.add(hash);
      }
      if (ctx.verified) {
        t.verified++;
        if (ok) t.verifiedOk++;
      }
      clients.add(ctx.clientKey, ctx.clientIp, ctx, id, hash, now);
      prefixes.add(ctx.prefixKey, ctx.clientIp, ctx, id, hash, now);
    },
    watchTemplates(labels) {
      for (const l of labels) {
        if (watched.size >= 16 || [...watched.values()].includes(l)) continue;
        if (scanTemplate(l.replaceAll('{id}', '0'), scan)) watched.set(scan.template, l);
      }
    },
    newEpoch() {
      watched.clear();
      clients.reset();
      prefixes.reset();
      clients.req.fill(0);
      prefixes.req.fill(0);
      ids.clear();
      t = { requests: 0, ok: 0, verified: 0, verifiedOk: 0, bytes: 0, okBytes: 0 };
      evictBase = clients.lru.evictions();
    },
    snapshot: (limit = 100) => snapshot(limit),
    part(limit = 100) {
      const clientBits: Uint32Array[] = [];
      const prefixBits: Uint32Array[] = [];
      const snap = snapshot(limit, clientBits, prefixBits);
      return { snapshot: snap, clientBits, prefixBits, ids: ids.registers() };
    },
  };
}

function prefixOf(ip: string): string {
  const m = /^(\d+\.\d+\.\d+)\.\d+$/.exec(ip);
  if (m) return `${m[1]}.0/24`;
  const parts = ip.split(':');
  return parts.length >= 3 ? `${parts.slice(0, 3).join(':')}::/48` : ip;
}
