// Attribution and impact counters, a separate observer beside the detector:
// requests and distinct sources by country (fixed 677-slot table) and by ASN
// (space-saving, 256 tracked) since the last epoch (the evidence recorder starts
// one per incident), plus per-second impact figures split into verified or
// known clients (a pass, token or session; or an address seen ≥ 3–6 s before
// the incident, in generations that freeze while one runs) and all others.
// Memory ceiling: ~1.3 MiB (seen-set 512 KiB, known generations 3 × 256 KiB, tables ~40 KiB,
// a 4 KiB HyperLogLog of the epoch's sources and a 48 KiB bottom-k sample of them labelled with
// country and ASN, both merged across cluster workers: control/evidence-merge.ts).
// observe(): O(1) plus an O(log 256) heap step; no allocation.
import { mix32 } from '../core/hash.js';
import { BottomK } from '../core/bottom-k.js';
import { HyperLogLog } from '../core/hyperloglog.js';
import { SpaceSaving } from '../core/space-saving.js';

/** The request fields read (RequestContext fits). */
export interface AttributionObserved {
  clientKey: number;
  country: string;
  asn: number;
  verified: boolean;
  status: number;
  originMs: number;
  verdict: { readonly action: string };
  req: { headers: { 'user-agent'?: string; 'accept-language'?: string; 'sec-fetch-mode'?: string | string[] } };
  /** `spoofed`: a browser claim the TLS/HTTP2 stack contradicts (never counted browser-like). */
  agent?: string;
}

export interface ShareRow {
  key: string;
  requests: number;
  sources: number;
}

export interface AttributionSnapshot {
  requests: number;
  sources: number;
  /** Requests / sources whose country or ASN was unknown (private, unrouted, IPv6 for ASN, or no database). */
  unknownCountry: { requests: number; sources: number };
  unknownAsn: { requests: number; sources: number };
  countries: ShareRow[];
  /** Top ASNs (space-saving: counts may over-estimate by at most `asnError`). */
  asns: ShareRow[];
  asnError: number;
  /**
   * How exact the source figures are: 0 when counted (one process: a seen-set;
   * merged: a union of samples holding every source), else the relative
   * standard error of the total (the report gives each row's own).
   */
  sourceError?: number;
  /** Per-key sources of a merge without samples (older workers): sums over workers, an upper bound. */
  sourcesUpperBound?: boolean;
}

/** Size of the bottom-k sample of sources: exact below this many, ±1.6 % (whole) above. */
export const SOURCE_SAMPLE_K = 4096;

/** One closed second of impact figures. */
export interface ImpactSecond {
  /** Clients with a pass/token/session, or addresses known from before the incident. */
  verified: { requests: number; served: number; originMsSum: number; originCount: number };
  others: { requests: number; served: number; originMsSum: number; originCount: number };
  /** Unverified requests with browser-like headers (Mozilla UA, Accept-Language, Sec-Fetch-Mode). */
  browserLike: number;
}

const SEEN_BITS = 1 << 22;
const KNOWN_BITS = 1 << 21;
/** Ticks per generation of the known-address sets. */
const GENERATION_S = 3; // > the detector's start_after (default 1 s): attack addresses never age into known
const ASN_TRACKED = 256;

/**
 * Served: answered without a shield refusal (deny, limit, shed, drop), a 5xx or
 * a timeout (status 0: no answer). The origin's own 4xx (a 404, a 401 to a
 * wrong password) is an answer, not harm done by an attack; a challenge page
 * is an answer the client can pass. Impact is the change of this share.
 */
export function answered(status: number, action: string): boolean {
  return (
    status > 0 && status < 500 && action !== 'deny' && action !== 'limit' && action !== 'drop' && action !== 'error'
  );
}

function zeroImpact(): ImpactSecond {
  return {
    verified: { requests: 0, served: 0, originMsSum: 0, originCount: 0 },
    others: { requests: 0, served: 0, originMsSum: 0, originCount: 0 },
    browserLike: 0,
  };
}

export interface Attribution {
  observe(ctx: AttributionObserved): void;
  /** Starts counting afresh (a new incident); known addresses stop being learned until endEpoch(). */
  newEpoch(): void;
  /** The incident is over: addresses are learned as known again. */
  endEpoch(): void;
  snapshot(limit?: number): AttributionSnapshot;
  /** The impact figures of the second just closed; resets them. Called once per tick. */
  closeSecond(): ImpactSecond;
  /** HyperLogLog registers (p=12) of the epoch's distinct sources: merged with other workers' for a union count. */
  sourceSketch(): Uint8Array;
  /** The bottom-k sample of the epoch's distinct sources as [hash, country slot, asn] triples (core/bottom-k.ts): merged with other workers' for per-country and per-ASN unions. */
  sourceSample(): Uint32Array;
}

/** Country code of a slot of the fixed table (0: unknown). */
export function countryOfSlot(i: number): string {
  return i <= 0 || i >= COUNTRY_SLOTS ? '' : codeOf(i);
}

const COUNTRY_SLOTS = 677;

function indexOf(cc: string): number {
  if (cc.length !== 2) return 0;
  const a = cc.charCodeAt(0) - 65;
  const b = cc.charCodeAt(1) - 65;
  return a >= 0 && a < 26 && b >= 0 && b < 26 ? a * 26 + b + 1 : 0;
}

function codeOf(i: number): string {
  return String.fromCharCode(65 + Math.floor((i - 1) / 26), 65 + ((i - 1) % 26));
}

export function createAttribution(): Attribution {
  return new AttributionCounters();
}

class AttributionCounters implements Attribution {
  /** Requests and distinct sources per country slot (0: unknown). */
  private readonly countryRequests = new Float64Array(COUNTRY_SLOTS);
  private readonly countrySources = new Float64Array(COUNTRY_SLOTS);
  /** Addresses seen this epoch (a bit per hash). */
  private readonly seen = new Uint8Array(SEEN_BITS >>> 3);
  // Addresses seen outside incidents: `fresh` this generation, `older` the one before, `known` before that.
  private fresh = new Uint8Array(KNOWN_BITS >>> 3);
  private older = new Uint8Array(KNOWN_BITS >>> 3);
  private readonly known = new Uint8Array(KNOWN_BITS >>> 3);
  /** Outside an incident: addresses seen become known a few generations later. */
  private learning = true;
  /** Ticks into the current generation. */
  private age = 0;
  private readonly asnRequests = new SpaceSaving(ASN_TRACKED);
  private readonly asnSources = new SpaceSaving(ASN_TRACKED);
  private requests = 0;
  private sources = 0;
  private noAsnRequests = 0;
  private noAsnSources = 0;
  private second = zeroImpact();
  private readonly sketch = new HyperLogLog(12);
  private readonly sample = new BottomK(SOURCE_SAMPLE_K);

  /** An arrow: app.ts hands it to the request observers detached. */
  readonly observe = (ctx: AttributionObserved): void => {
    const ci = indexOf(ctx.country);
    this.requests++;
    this.countryRequests[ci]++;
    if (ctx.asn > 0) this.asnRequests.offer(ctx.asn, 1);
    else this.noAsnRequests++;
    const mixed = mix32(ctx.clientKey);
    const h = mixed & (SEEN_BITS - 1);
    const bit = 1 << (h & 7);
    if ((this.seen[h >>> 3] & bit) === 0) {
      this.seen[h >>> 3] |= bit;
      this.sources++;
      this.sketch.add(mixed);
      this.sample.add(mixed, ci, ctx.asn);
      this.countrySources[ci]++;
      if (ctx.asn > 0) this.asnSources.offer(ctx.asn, 1);
      else this.noAsnSources++;
    }
    const k = mix32(ctx.clientKey ^ 0x5bd1e995) & (KNOWN_BITS - 1);
    const kb = 1 << (k & 7);
    if (this.learning) this.fresh[k >>> 3] |= kb;
    const side = ctx.verified || (this.known[k >>> 3] & kb) !== 0 ? this.second.verified : this.second.others;
    side.requests++;
    if (answered(ctx.status, ctx.verdict.action)) side.served++;
    if (ctx.originMs >= 0) {
      side.originMsSum += ctx.originMs;
      side.originCount++;
    }
    if (!ctx.verified) {
      const hd = ctx.req.headers;
      const ua = hd['user-agent'];
      if (
        ua?.startsWith('Mozilla/') &&
        hd['accept-language'] !== undefined &&
        hd['sec-fetch-mode'] !== undefined &&
        ctx.agent !== 'spoofed'
      )
        this.second.browserLike++;
    }
  };

  newEpoch(): void {
    this.countryRequests.fill(0);
    this.countrySources.fill(0);
    this.seen.fill(0);
    this.asnRequests.clear();
    this.asnSources.clear();
    this.sketch.clear();
    this.sample.clear();
    this.requests = 0;
    this.sources = 0;
    this.noAsnRequests = 0;
    this.noAsnSources = 0;
    this.learning = false;
    this.fresh.fill(0); // addresses of the attack's first seconds never become known
    this.older.fill(0);
  }

  endEpoch(): void {
    this.learning = true;
    this.age = 0;
  }

  closeSecond(): ImpactSecond {
    if (this.learning) {
      this.age++;
      if (this.age >= GENERATION_S) this.nextGeneration();
    }
    const s = this.second;
    this.second = zeroImpact();
    return s;
  }

  sourceSketch(): Uint8Array {
    return this.sketch.registers();
  }

  sourceSample(): Uint32Array {
    return this.sample.export();
  }

  snapshot(limit = 50): AttributionSnapshot {
    const countries: ShareRow[] = [];
    for (let i = 1; i < COUNTRY_SLOTS; i++)
      if (this.countryRequests[i] > 0)
        countries.push({ key: codeOf(i), requests: this.countryRequests[i], sources: this.countrySources[i] });
    countries.sort((a, b) => b.requests - a.requests || b.sources - a.sources);
    const asns = this.asnRequests
      .top(limit)
      .map((h) => ({ key: `AS${h.key}`, requests: h.count, sources: this.asnSources.estimate(h.key) }));
    return {
      requests: this.requests,
      sources: this.sources,
      unknownCountry: { requests: this.countryRequests[0], sources: this.countrySources[0] },
      unknownAsn: { requests: this.noAsnRequests, sources: this.noAsnSources },
      countries: countries.slice(0, limit),
      asns,
      asnError: this.asnRequests.size < ASN_TRACKED ? 0 : this.asnRequests.minCount(),
      sourceError: 0,
    };
  }

  /** The generation before last becomes known; this one becomes the one before. */
  private nextGeneration(): void {
    this.age = 0;
    const known = this.known;
    const older = this.older;
    for (let i = 0; i < known.length; i++) known[i] |= older[i];
    this.older = this.fresh;
    this.fresh = older;
    this.fresh.fill(0);
  }
}
