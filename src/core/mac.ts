// HMAC-SHA256 over short messages with a key ring (newest key signs, every key
// verifies, so nodes can rotate shared keys). RFC 2104 built from two one-shot
// crypto.hash() calls on pre-padded buffers with string outputs: ~0.7 µs
// against ~1.6 µs for createHmac (a Buffer result costs more than the hash), which
// matters on the per-request pass check. MACs are 22 base64url chars (132 bits).
// Memory: ~300 B per key.
import { createHash, createHmac, hash as oneShotHash, randomBytes } from 'node:crypto';

export const MAC_CHARS = 22;
const BLOCK = 64;
const MAX_MSG = 64;
const hasOneShot = typeof oneShotHash === 'function'; // Node ≥ 20.12

interface KeyMac {
  /** key⊕ipad followed by room for the message. */
  readonly inner: Buffer;
  /** key⊕opad followed by room for the inner digest. */
  readonly outer: Buffer;
  /** inner.subarray(0, BLOCK + n) per message length n, made once. */
  readonly views: Buffer[];
  readonly key: Buffer;
}

function prepare(rawKey: Buffer): KeyMac {
  const key = rawKey.length > BLOCK ? createHash('sha256').update(rawKey).digest() : rawKey; // RFC 2104: long keys are hashed first
  const inner = Buffer.alloc(BLOCK + MAX_MSG, 0x36);
  const outer = Buffer.alloc(BLOCK + 32, 0x5c);
  for (let i = 0; i < key.length; i++) {
    inner[i] ^= key[i];
    outer[i] ^= key[i];
  }
  return { inner, outer, views: [], key: rawKey };
}

/** base64url HMAC-SHA256(key, msg), 43 chars. */
function macWith(k: KeyMac, msg: Buffer): string {
  const n = msg.length;
  if (!hasOneShot || n > MAX_MSG) return createHmac('sha256', k.key).update(msg).digest('base64url');
  msg.copy(k.inner, BLOCK);
  const view = k.views[n] ?? (k.views[n] = k.inner.subarray(0, BLOCK + n));
  k.outer.write(oneShotHash('sha256', view, 'binary'), BLOCK, 'latin1');
  return oneShotHash('sha256', k.outer, 'base64url');
}

/** Compares MAC_CHARS chars of `a` with `b` at `at` without an early exit. */
function sameMac(a: string, b: string, at: number): boolean {
  let diff = 0;
  for (let i = 0; i < MAC_CHARS; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(at + i);
  return diff === 0;
}

export interface MacRing {
  /** MAC of msg under the newest key: MAC_CHARS base64url chars. */
  sign(msg: Buffer): string;
  /** True when the MAC_CHARS chars of `s` at `at` are msg's MAC under any key of the ring. */
  verify(msg: Buffer, s: string, at: number): boolean;
}

// One per process (not per ring) so that passes survive a config reload.
const fallback = [randomBytes(32)];

/**
 * `keys()` is read on every call and may change (rotation); prepared pads are
 * cached per key Buffer. An empty ring falls back to a random per-process key:
 * passes then work on this process only, which is safe, never open.
 */
export function createMacRing(keys: () => readonly Buffer[]): MacRing {
  const cache = new WeakMap<Buffer, KeyMac>();
  const prepared = (key: Buffer): KeyMac => {
    let k = cache.get(key);
    if (k === undefined) cache.set(key, (k = prepare(key)));
    return k;
  };
  const ring = () => {
    const ks = keys();
    return ks.length > 0 ? ks : fallback;
  };
  return {
    sign(msg) {
      return macWith(prepared(ring()[0]), msg).slice(0, MAC_CHARS);
    },
    verify(msg, s, at) {
      if (s.length < at + MAC_CHARS) return false;
      const ks = ring();
      for (let i = 0; i < ks.length; i++) if (sameMac(macWith(prepared(ks[i]), msg), s, at)) return true;
      return false;
    },
  };
}
