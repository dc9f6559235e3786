// Human units in configuration: durations ("10s", "250ms", "2m", "1h", "1d")
// and sizes ("16kb", "1mb", "512b"), converted once to milliseconds / bytes.
// zod helpers so that every section of the schema parses units the same way.
import { z } from 'zod';

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const SIZE_RE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)$/i;
const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_B: Record<string, number> = { b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2, gb: 1024 ** 3, gib: 1024 ** 3 };

/** "10s" → 10000; a bare number is taken as milliseconds. Returns NaN when unreadable. */
export function parseDuration(v: string | number): number {
  if (typeof v === 'number') return v >= 0 ? v : NaN;
  const m = DURATION_RE.exec(v.trim());
  return m ? Math.round(Number(m[1]) * DURATION_MS[m[2]]) : NaN;
}

/** "1mb" → 1048576; a bare number is taken as bytes. Returns NaN when unreadable. */
export function parseSize(v: string | number): number {
  if (typeof v === 'number') return v >= 0 ? Math.floor(v) : NaN;
  const m = SIZE_RE.exec(v.trim());
  return m ? Math.floor(Number(m[1]) * SIZE_B[m[2].toLowerCase()]) : NaN;
}

/** A duration field: accepts "10s" or a number of ms, yields ms. */
export function duration() {
  return z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: `not a duration: ${JSON.stringify(v)} (hint: write e.g. 250ms, 10s, 5m, 1h)` });
      return z.NEVER;
    }
    return ms;
  });
}

/** A size field: accepts "1mb" or a number of bytes, yields bytes. */
export function size() {
  return z.union([z.string(), z.number()]).transform((v, ctx) => {
    const b = parseSize(v);
    if (Number.isNaN(b)) {
      ctx.addIssue({ code: 'custom', message: `not a size: ${JSON.stringify(v)} (hint: write e.g. 512b, 16kb, 1mb)` });
      return z.NEVER;
    }
    return b;
  });
}
