// Configuration values the running shield reads (unit parsers, the built-in
// route classes, what counts as loopback), kept apart from the schema so that
// a process that receives its configuration already parsed (a cluster worker)
// never loads zod or yaml (~10 MB resident per process). No I/O.
import { isIPv4 } from 'node:net';

const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;
const SIZE_RE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)$/i;
const DURATION_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_B: Record<string, number> = {
  b: 1,
  kb: 1024,
  kib: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

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

/** The route classes every configuration has, in index order (custom classes follow). */
export const BUILTIN_CLASSES = ['static', 'page', 'api', 'login', 'donate', 'sensitive'] as const;

/** True for 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || h === '::ffff:127.0.0.1' || (isIPv4(h) && h.startsWith('127.'));
}
