// The byte-bounded store of the micro-cache: key → up to MAX_VARIANTS stored
// responses (Vary), least recently used evicted first. Bytes of fills still
// streaming are reserved against the same cap, so stored + filling bytes never
// exceed `maxBytes` (by construction, not by a sweep). Map insertion order is
// the LRU order: a hit re-inserts its key (O(1)).

/** Accounted per entry besides body and headers: the objects, the key, the Map slot. */
export const ENTRY_OVERHEAD = 256;
export const MAX_VARIANTS = 4;

export interface Entry {
  readonly key: string;
  /** Lower-case names from the response's Vary, null when it has none. */
  readonly varyNames: readonly string[] | null;
  /** The request's values for varyNames when stored ('' when absent). */
  readonly varyValues: readonly string[];
  readonly status: number;
  /** Flat [name, value, …] list, hop-by-hop removed, content-length set. */
  readonly headers: readonly string[];
  readonly body: Buffer;
  /** ms since epoch (coarse clock) when stored; ageAtStore: the origin's Age in ms. */
  readonly storedAt: number;
  readonly ageAtStore: number;
  /** Fresh until storedAt + freshMs - ageAtStore. */
  readonly freshMs: number;
  /** Past freshness: served stale to others while one request refreshes (origin's stale-while-revalidate). */
  readonly swrMs: number;
  /** Past freshness: served when the origin fails, is shed or the circuit is open (0: must-revalidate). */
  readonly staleMs: number;
  readonly size: number;
}

export function entrySize(key: string, headers: readonly string[], body: Buffer): number {
  let n = ENTRY_OVERHEAD + key.length * 2 + body.length;
  for (let i = 0; i < headers.length; i++) n += headers[i].length + 16;
  return n;
}

export function freshUntil(e: Entry): number {
  return e.storedAt + e.freshMs - e.ageAtStore;
}

/** Last moment any use of the entry is allowed; past it the entry is dead. */
export function usableUntil(e: Entry): number {
  return freshUntil(e) + Math.max(e.swrMs, e.staleMs);
}

/** Request headers as Node gives them (lower-case names). */
export type RequestHeaders = Record<string, string | string[] | undefined>;

/** A header's value as one trimmed string ('' when absent); repeated headers joined by commas. */
export function headerText(v: string | string[] | undefined): string {
  if (v === undefined) return '';
  return (Array.isArray(v) ? v.join(',') : v).trim();
}

/**
 * Where stored responses live: one process's memory (ByteStore) or the
 * machine's shared store (shared-store.ts, cluster workers). `bytes()` never
 * exceeds maxBytes; `reserve` holds room for a fill still streaming.
 */
export interface Store {
  readonly maxBytes: number;
  readonly entries: number;
  readonly evictions: number;
  bytes(): number;
  /** The variant matching the request, or null. */
  find(key: string, headers: RequestHeaders, now: number): Entry | null;
  reserve(n: number): boolean;
  release(n: number): void;
  /** Stores an entry whose bytes were reserved (`reservedBytes`), replacing the same variant. */
  put(e: Entry, reservedBytes: number): boolean;
  clear(): void;
}

export class ByteStore implements Store {
  readonly maxBytes: number;
  private readonly map = new Map<string, Entry[]>();
  private stored = 0;
  private reserved = 0;
  evictions = 0;
  entries = 0;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** Bytes stored plus bytes reserved by fills in progress; never above maxBytes. */
  bytes(): number {
    return this.stored + this.reserved;
  }

  /** The variant matching the request, or null. Dead entries are dropped on the way. */
  find(key: string, headers: RequestHeaders, now: number): Entry | null {
    const list = this.map.get(key);
    if (list === undefined) return null;
    let hit: Entry | null = null;
    for (let i = list.length - 1; i >= 0; i--) {
      const e = list[i];
      if (usableUntil(e) < now) {
        this.drop(list, i);
        continue;
      }
      if (hit === null && matches(e, headers)) hit = e;
    }
    if (list.length === 0) this.map.delete(key);
    else if (hit !== null) {
      this.map.delete(key); // LRU touch
      this.map.set(key, list);
    }
    return hit;
  }

  /** Reserves bytes for a fill in progress, evicting LRU keys; false when they cannot fit. */
  reserve(n: number): boolean {
    if (n > this.maxBytes) return false;
    this.evictUntil(this.maxBytes - n);
    if (this.stored + this.reserved + n > this.maxBytes) return false;
    this.reserved += n;
    return true;
  }

  release(n: number): void {
    this.reserved -= n;
  }

  /** Stores an entry whose bytes were reserved (`reservedBytes`), replacing the same variant. */
  put(e: Entry, reservedBytes: number): boolean {
    this.reserved -= reservedBytes;
    if (e.size > this.maxBytes) return false;
    let list = this.map.get(e.key);
    if (list !== undefined) {
      for (let i = list.length - 1; i >= 0; i--) if (sameVariant(list[i], e)) this.drop(list, i);
      if (list.length >= MAX_VARIANTS) this.drop(list, 0);
      this.map.delete(e.key);
    }
    this.evictUntil(this.maxBytes - e.size);
    if (this.stored + this.reserved + e.size > this.maxBytes) {
      if (list !== undefined && list.length > 0) this.map.set(e.key, list);
      return false;
    }
    if (list === undefined || list.length === 0) list = [];
    list.push(e);
    this.map.set(e.key, list);
    this.stored += e.size;
    this.entries++;
    return true;
  }

  clear(): void {
    this.map.clear();
    this.stored = 0;
    this.entries = 0;
  }

  private drop(list: Entry[], i: number): void {
    this.stored -= list[i].size;
    this.entries--;
    list.splice(i, 1);
  }

  private evictUntil(target: number): void {
    while (this.stored + this.reserved > target && this.map.size > 0) {
      const first = this.map.keys().next().value as string;
      const list = this.map.get(first)!;
      for (let i = 0; i < list.length; i++) this.stored -= list[i].size;
      this.entries -= list.length;
      this.evictions += list.length;
      this.map.delete(first);
    }
  }
}

function matches(e: Entry, headers: RequestHeaders): boolean {
  const names = e.varyNames;
  if (names === null) return true;
  for (let i = 0; i < names.length; i++) if (headerText(headers[names[i]]) !== e.varyValues[i]) return false;
  return true;
}

function sameVariant(a: Entry, b: Entry): boolean {
  if (a.varyNames === null || b.varyNames === null) return a.varyNames === b.varyNames;
  if (a.varyNames.length !== b.varyNames.length) return false;
  for (let i = 0; i < a.varyNames.length; i++)
    if (a.varyNames[i] !== b.varyNames[i] || a.varyValues[i] !== b.varyValues[i]) return false;
  return true;
}
