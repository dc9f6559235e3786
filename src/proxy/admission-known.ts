// Known clients: a fixed table of client keys first seen (served by the
// origin) at least `knownAfter` ago. A slot holding a known client is only
// overwritten when that client is older than `retainMs`, so a flood of new
// addresses cannot evict the people who were here before it. Memory: 8 bytes
// per slot, fixed at construction; O(1) per lookup.

export class KnownClients {
  private readonly keys: Uint32Array;
  /** Seconds since epoch of the first successful visit, 0 = empty slot. */
  private readonly first: Uint32Array;
  private readonly mask: number;
  private readonly knownAfter: number;
  private readonly retain: number;

  constructor(slots: number, knownAfterMs: number, retainMs = 7 * 86_400_000) {
    let n = 1024;
    while (n < slots) n <<= 1;
    this.keys = new Uint32Array(n);
    this.first = new Uint32Array(n);
    this.mask = n - 1;
    this.knownAfter = Math.ceil(knownAfterMs / 1000);
    this.retain = Math.ceil(retainMs / 1000);
  }

  private slot(key: number): number {
    return Math.imul(key ^ (key >>> 16), 0x45d9f3b) >>> 0 & this.mask;
  }

  isKnown(key: number, nowMs: number): boolean {
    const i = this.slot(key);
    const f = this.first[i];
    return f !== 0 && this.keys[i] === key >>> 0 && Math.floor(nowMs / 1000) - f >= this.knownAfter;
  }

  /** Records a client the origin served. */
  seen(key: number, nowMs: number): void {
    const i = this.slot(key);
    const now = Math.max(1, Math.floor(nowMs / 1000)); // 0 marks an empty slot
    const f = this.first[i];
    if (f !== 0 && this.keys[i] === key >>> 0) return;
    if (f !== 0 && now - f >= this.knownAfter && now - f < this.retain) return; // keep the known one
    this.keys[i] = key >>> 0;
    this.first[i] = now;
  }
}
