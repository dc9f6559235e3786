// HMAC signing keys: the current key first, then the previous one, which is
// kept so that passes signed just before a rotation still verify.
// Keys are 32 random bytes (crypto.randomBytes); memory: two buffers.
import { randomBytes } from 'node:crypto';

export const KEY_BYTES = 32;

export class KeyRing {
  private list: readonly Buffer[];
  /** ms since the epoch when the current key was made (or adopted). */
  rotatedAt: number;

  /** `period` ms between rotations; 0 never rotates. */
  constructor(
    private readonly period: number,
    now: number,
  ) {
    this.list = Object.freeze([randomBytes(KEY_BYTES)]);
    this.rotatedAt = now;
  }

  keys(): readonly Buffer[] {
    return this.list;
  }

  /** True when the period has passed since the last rotation. */
  due(now: number): boolean {
    return this.period > 0 && now - this.rotatedAt >= this.period;
  }

  /** Makes a new current key and keeps the old one as previous. */
  rotate(now: number): void {
    this.list = Object.freeze([randomBytes(KEY_BYTES), this.list[0]]);
    this.rotatedAt = now;
  }

  /** Adopts keys made elsewhere (another node or the cluster primary), newest first. */
  replace(keys: readonly Buffer[], rotatedAt: number): boolean {
    const next = keys.filter((k) => Buffer.isBuffer(k) && k.length >= 16).slice(0, 2);
    if (next.length === 0) return false;
    if (
      next.length === this.list.length &&
      next.every((k, i) => k.equals(this.list[i])) &&
      rotatedAt === this.rotatedAt
    )
      return false;
    this.list = Object.freeze(next);
    this.rotatedAt = rotatedAt;
    return true;
  }
}
