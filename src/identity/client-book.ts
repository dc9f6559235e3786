// The client book: what this process knows about each recent client address,
// in a fixed two-way table — when it was first and last seen, when it was last
// given the seen cookie, whether it ever returned one, and how many requests
// in a row came back without it. Identity reads it on every request to tell a
// client's first request (fresh) from a browser returning its cookie and from
// a client that ignores cookies (floods do). A flood of new addresses cannot
// push out the clients established before it: an established entry is only
// replaced once it has been idle for `retainS`. Not a rate limiter, not shared
// between processes (the signed cookie carries "first seen" across workers,
// nodes and restarts). Memory: 19 bytes a slot, fixed at construction
// (65,536 slots ≈ 1.2 MiB; 18 of them persisted). Per request: two slot probes, no allocation.
import { mix32 } from '../core/hash.js';

/** The client presented a valid seen cookie at least once. */
export const RETURNED = 1;
/** The request that created this entry was the client's first (nothing older known). */
const ESTABLISHED_AFTER_S = 60;

export interface BookEntry {
  /** Slot index, -1 when the client could not be tracked (table full of established clients). */
  slot: number;
  /** Seconds since the epoch of the first request seen; the current second for a fresh client. */
  first: number;
  /** True when this request created the entry (the first request from this address we know of). */
  fresh: boolean;
}

export class ClientBook {
  private readonly keys: Uint32Array;
  /** Seconds since the epoch; 0 marks an empty slot. */
  private readonly first: Uint32Array;
  private readonly last: Uint32Array;
  /** When the seen cookie was last sent to this address (seconds), 0 never. */
  private readonly issuedAt: Uint32Array;
  private readonly flags: Uint8Array;
  /** Requests in a row without the cookie after it was sent (saturates at 255). */
  private readonly misses: Uint8Array;
  /** Assets checks sent to this client (the challenge stage's, saturates at 255; not exported). */
  private readonly marks: Uint8Array;
  private readonly mask: number;
  readonly slots: number;
  private readonly retainS: number;
  /** Entries not stored because both candidate slots held established clients. */
  untracked = 0;
  private readonly entry: BookEntry = { slot: -1, first: 0, fresh: false };

  constructor(slots: number, retainMs = 1_800_000) {
    let n = 1024;
    while (n < slots) n <<= 1;
    this.slots = n;
    this.keys = new Uint32Array(n);
    this.first = new Uint32Array(n);
    this.last = new Uint32Array(n);
    this.issuedAt = new Uint32Array(n);
    this.flags = new Uint8Array(n);
    this.misses = new Uint8Array(n);
    this.marks = new Uint8Array(n);
    this.mask = n - 2; // even slot of the pair
    this.retainS = Math.max(60, Math.ceil(retainMs / 1000));
  }

  get bytes(): number {
    return this.slots * 19;
  }

  private established(i: number, nowS: number): boolean {
    return nowS - this.first[i] >= ESTABLISHED_AFTER_S || (this.flags[i] & RETURNED) !== 0;
  }

  /** A slot this key may take, or -1: empty, idle past retainS, or the less established of the pair. */
  private victim(a: number, nowS: number): number {
    const b = a + 1;
    if (this.first[a] === 0) return a;
    if (this.first[b] === 0) return b;
    const idleA = nowS - this.last[a] >= this.retainS;
    const idleB = nowS - this.last[b] >= this.retainS;
    if (idleA || idleB) return idleA && (!idleB || this.last[a] <= this.last[b]) ? a : b;
    const estA = this.established(a, nowS);
    const estB = this.established(b, nowS);
    if (estA && estB) return -1;
    if (estA !== estB) return estA ? b : a;
    return this.last[a] <= this.last[b] ? a : b;
  }

  /**
   * Records a request from `key` at `nowS` (seconds) and returns its entry
   * (the same object every call: read it before the next visit).
   */
  visit(key: number, nowS: number): BookEntry {
    const e = this.entry;
    const k = key >>> 0;
    const s = nowS >>> 0 || 1;
    const a = mix32(k) & this.mask;
    let i =
      this.keys[a] === k && this.first[a] !== 0 ? a : this.keys[a + 1] === k && this.first[a + 1] !== 0 ? a + 1 : -1;
    if (i >= 0) {
      this.last[i] = s;
      e.slot = i;
      e.first = this.first[i];
      e.fresh = false;
      return e;
    }
    i = this.victim(a, s);
    e.first = s;
    e.fresh = true;
    e.slot = i;
    if (i < 0) {
      this.untracked++;
      return e;
    }
    this.keys[i] = k;
    this.first[i] = s;
    this.last[i] = s;
    this.issuedAt[i] = 0;
    this.flags[i] = 0;
    this.misses[i] = 0;
    this.marks[i] = 0;
    return e;
  }

  /** The client returned a valid cookie first issued at `stampS`: an older stamp moves `first` back. */
  returned(slot: number, stampS: number): void {
    if (slot < 0) return;
    this.flags[slot] |= RETURNED;
    this.misses[slot] = 0;
    if (stampS > 0 && stampS < this.first[slot]) this.first[slot] = stampS;
  }

  /**
   * A request without the cookie: counts a miss when the cookie was sent in
   * an earlier second (a browser sends it from the request after the response
   * that set it; only requests already under way then come without it).
   * Returns the misses in a row.
   */
  missed(slot: number, nowS: number): number {
    if (slot < 0) return 0;
    const at = this.issuedAt[slot];
    if (at === 0 || nowS - at < 1) return 0;
    if (this.misses[slot] < 255) this.misses[slot]++;
    return this.misses[slot];
  }

  /** Whether to send the cookie again: never sent, or not in the last minute (a client that drops cookies gets one a minute). */
  shouldIssue(slot: number, nowS: number): boolean {
    if (slot < 0) return true;
    const at = this.issuedAt[slot];
    return at === 0 || nowS - at >= 60;
  }

  /** The cookie was sent. The first sending within a minute stays the reference: a client answered with it again and again (the cookie check) still counts its misses from the first. */
  issued(slot: number, nowS: number): void {
    if (slot < 0) return;
    const at = this.issuedAt[slot];
    if (at === 0 || nowS - at >= 60) this.issuedAt[slot] = nowS >>> 0;
  }

  /** Assets checks sent to this client so far (an untracked client: 0). */
  markChecks(slot: number): number {
    return slot < 0 ? 0 : this.marks[slot];
  }

  /** An assets check was sent to this client. */
  markChecked(slot: number): void {
    if (slot >= 0 && this.marks[slot] < 255) this.marks[slot]++;
  }

  /** Misses in a row (0 for an untracked client). */
  missesOf(slot: number): number {
    return slot < 0 ? 0 : this.misses[slot];
  }

  /** Entries in use (a full scan: for stats and tests, not the request path). */
  size(): number {
    let n = 0;
    for (let i = 0; i < this.slots; i++) if (this.first[i] !== 0) n++;
    return n;
  }

  /** The table as bytes (persisted in data_dir so a restart remembers who was here). */
  export(): Uint8Array {
    const n = this.slots;
    const out = new Uint8Array(4 + n * 18);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, n, true);
    let o = 4;
    for (const arr of [this.keys, this.first, this.last, this.issuedAt]) {
      out.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), o);
      o += arr.byteLength;
    }
    out.set(this.flags, o);
    out.set(this.misses, o + n);
    return out;
  }

  /**
   * Folds an exported table in (another worker's, or this process's before a
   * restart): each entry is visited with its own first-seen time, so the
   * older "first seen" wins and nothing established is pushed out. Entries
   * idle longer than retainS at `nowS` are skipped. Returns the entries taken.
   */
  import(bytes: Uint8Array, nowS: number): number {
    if (bytes.byteLength < 4) return 0;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = dv.getUint32(0, true);
    if (n === 0 || n > 1 << 26 || bytes.byteLength !== 4 + n * 18) return 0;
    const u32 = (k: number) => new Uint32Array(bytes.slice(4 + k * n * 4, 4 + (k + 1) * n * 4).buffer);
    const keys = u32(0);
    const first = u32(1);
    const last = u32(2);
    const issuedAt = u32(3);
    const flags = bytes.subarray(4 + 16 * n, 4 + 17 * n);
    let taken = 0;
    for (let j = 0; j < n; j++) {
      const f = first[j];
      if (f === 0 || nowS - last[j] >= this.retainS || f > nowS) continue;
      const e = this.visit(keys[j], last[j]);
      if (e.slot < 0) continue;
      const i = e.slot;
      if (e.fresh || f < this.first[i]) this.first[i] = f;
      if (last[j] > this.last[i]) this.last[i] = last[j];
      if (issuedAt[j] > this.issuedAt[i]) this.issuedAt[i] = issuedAt[j];
      this.flags[i] |= flags[j];
      taken++;
    }
    return taken;
  }
}
