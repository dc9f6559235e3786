// Schema of the `policy:` section: allow/deny CIDR lists, custom route
// classes, per-key rate limits per route class (human rates like "20/s",
// "600/m"), and ban defaults. Every key has a default that never touches a
// realistic person: `parse({})` works and gives the generous built-in limits.
// Not the connection limits (`limits:` in core.ts) nor the detector's knobs.
import { z } from 'zod';
import type { Camelize } from '../camelize.js';
import { checkCidr } from '../../core/cidr-set.js';

/** Built-in route classes, known without any configuration. */
import { BUILTIN_CLASSES } from '../values.js';

export { BUILTIN_CLASSES };

const RATE_RE = /^(\d+(?:\.\d+)?)\s*\/\s*(s|sec|second|m|min|minute|h|hour)$/;
const PER: Record<string, number> = { s: 1, sec: 1, second: 1, m: 60, min: 60, minute: 60, h: 3600, hour: 3600 };

/** "20/s" → 20, "600/m" → 10, "90/h" → 0.025 (tokens per second); a bare number is per second. NaN when unreadable or ≤ 0. */
export function parseRate(v: string | number): number {
  if (typeof v === 'number') return v > 0 && Number.isFinite(v) ? v : NaN;
  const m = RATE_RE.exec(v.trim().toLowerCase());
  if (!m) return NaN;
  const r = Number(m[1]) / PER[m[2]];
  return r > 0 ? r : NaN;
}

const RATE_HINT = 'hint: write e.g. 20/s, 600/m or 100/h; it must be above zero — use "off" to disable a limit';

/** A limit: "off", a rate ("20/s": burst = 10 s worth, at least 1), or { rate, burst }. */
const limit = z.unknown().transform((v, ctx): { rate: number; burst: number } | null => {
  if (v === 'off' || v === false) return null;
  if (typeof v === 'string' || typeof v === 'number') {
    const r = parseRate(v);
    if (!Number.isNaN(r)) return { rate: r, burst: Math.max(1, Math.ceil(r * 10)) };
    ctx.addIssue({ code: 'custom', message: `not a rate: ${JSON.stringify(v)} (${RATE_HINT})` });
    return z.NEVER;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    ctx.addIssue({
      code: 'custom',
      message: `a limit is "off", a rate like 20/s, or { rate: 20/s, burst: 100 }, got ${JSON.stringify(v)}`,
    });
    return z.NEVER;
  }
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (k !== 'rate' && k !== 'burst')
      ctx.addIssue({
        code: 'custom',
        path: [k],
        message: `unknown key "${k}" in a limit (hint: a limit has rate and burst)`,
      });
  const r = typeof o.rate === 'string' || typeof o.rate === 'number' ? parseRate(o.rate) : NaN;
  if (Number.isNaN(r))
    ctx.addIssue({ code: 'custom', path: ['rate'], message: `not a rate: ${JSON.stringify(o.rate)} (${RATE_HINT})` });
  const b = o.burst === undefined ? Math.max(1, Math.ceil(r * 10)) : o.burst;
  if (typeof b !== 'number' || !Number.isInteger(b) || b < 1 || b > 10_000_000) {
    ctx.addIssue({
      code: 'custom',
      path: ['burst'],
      message: `burst must be a whole number from 1 to 10000000, got ${JSON.stringify(o.burst)} (hint: how many requests may arrive at once before the rate applies)`,
    });
  }
  return { rate: r, burst: b as number };
});

const limitSet = z.strictObject({
  address: limit.optional(),
  prefix: limit.optional(),
  fingerprint: limit.optional(),
  /** All clients of the route class together. */
  route: limit.optional(),
  /** Per TLS/HTTP2 client fingerprint (JA4 and HTTP/2 fingerprint; TLS only): every visitor with the same browser build shares one. */
  client: limit.optional(),
});

const className = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,31}$/,
    'a route class name is lower case letters, digits and "-" (hint: e.g. search, export-api)',
  );

const cidr = z.string().superRefine((v, ctx) => {
  const err = checkCidr(v);
  if (err)
    ctx.addIssue({ code: 'custom', message: `${err} (hint: write e.g. 203.0.113.0/24, 192.0.2.7 or 2001:db8::/48)` });
});

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const routeSchema = z
  .strictObject({
    /** Label in logs; defaults to the class. */
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/, 'a route name is lower case letters, digits, ".", "_" and "-"')
      .optional(),
    class: className,
    /** Raw path prefix, e.g. /search. */
    prefix: z.string().startsWith('/', 'a path prefix starts with / (hint: e.g. /search)').optional(),
    /** Regular expression on the raw path (no query string). */
    regex: z
      .string()
      .superRefine((v, ctx) => {
        try {
          new RegExp(v);
        } catch (e) {
          ctx.addIssue({
            code: 'custom',
            message: `not a regular expression: ${(e as Error).message} (hint: e.g. ^/api/v[0-9]+/export)`,
          });
        }
      })
      .optional(),
    methods: z
      .array(
        z
          .string()
          .toUpperCase()
          .pipe(z.enum(METHODS, { message: `an HTTP method (hint: one of ${METHODS.join(', ')})` })),
      )
      .default([]),
  })
  .superRefine((v, ctx) => {
    if ((v.prefix === undefined) === (v.regex === undefined))
      ctx.addIssue({ code: 'custom', message: 'a route needs exactly one of prefix or regex (hint: prefix: /search)' });
  });

const DEFAULTS = {
  // A person loading a page fetches its assets in a burst (a heavy page: ~150
  // requests) and then reads; 30/s with 300 at once is far above that. Many
  // people behind one NAT share the address: the prefix budget is 10x.
  address: { rate: 30, burst: 300 },
  prefix: { rate: 300, burst: 3000 },
  // Every visitor with the same browser shares a fingerprint: off unless set.
  fingerprint: null,
  route: null,
  client: null,
};

const CLASS_DEFAULTS: Record<string, z.output<typeof limitSet>> = {
  // Assets: a cold browser cache loads ~40 at once per person, and an office
  // NAT may hold a hundred people opening the same newsletter; the micro-cache
  // serves floods of assets, the detector sees cache-busting.
  static: { address: { rate: 500, burst: 5000 }, prefix: { rate: 5000, burst: 50000 } },
  // A person logs in a few times an hour, but a whole office logs in at 9:00
  // from one NAT address; credential stuffing from one source tries thousands.
  login: { address: { rate: 0.5, burst: 60 }, prefix: { rate: 5, burst: 300 } },
  // Card testing hits the donation form; a donor submits it once or twice.
  donate: { address: { rate: 1, burst: 60 }, prefix: { rate: 10, burst: 600 } },
};

export const rateLimitsSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Client addresses tracked at once (prefixes: a quarter, fingerprints: 1/16). ≤ 40 bytes each. */
    tracked: z
      .number()
      .int()
      .min(1024, 'track at least 1024 addresses')
      .max(16_000_000, 'over 16M tracked addresses costs over 600 MB (hint: 1000000 ≈ 40 MB)')
      .default(1_000_000),
    default: limitSet.prefault({}).transform((v) => ({
      address: v.address === undefined ? DEFAULTS.address : v.address,
      prefix: v.prefix === undefined ? DEFAULTS.prefix : v.prefix,
      fingerprint: v.fingerprint === undefined ? DEFAULTS.fingerprint : v.fingerprint,
      route: v.route === undefined ? DEFAULTS.route : v.route,
      client: v.client === undefined ? DEFAULTS.client : v.client,
    })),
    /** Per route class; a key left out inherits `default` (and shares its bucket). */
    classes: z
      .record(className, limitSet)
      .default({})
      .transform((user) => {
        // Built-in class defaults stay unless the class names the key itself.
        const out: Record<string, z.output<typeof limitSet>> = { ...CLASS_DEFAULTS };
        for (const [name, set] of Object.entries(user)) {
          const merged: Record<string, unknown> = { ...out[name] };
          for (const [k, v] of Object.entries(set)) if (v !== undefined) merged[k] = v;
          out[name] = merged as z.output<typeof limitSet>;
        }
        return out;
      }),
  })
  .prefault({});

export const bansSchema = z
  .strictObject({
    // How long an automatic ban lasts is the detector's (detector.ban_duration);
    // manual bans carry their own expiry. Policy only decides how to refuse.
    /** deny: 403 page under the ban's rule; drop: the same bytes, then the connection is closed. */
    action: z.enum(['deny', 'drop']).default('deny'),
  })
  .prefault({});

export const policySchema = z
  .strictObject({
    /** Never limited, denied or banned (monitoring, the office): an allow verdict skips later stages. */
    allow: z.array(cidr).default([]),
    /** Always refused with 403 `deny/list`. */
    deny: z.array(cidr).default([]),
    /** Custom route classes, tried in order before the built-in ones. */
    routes: z.array(routeSchema).default([]),
    rate_limits: rateLimitsSchema,
    bans: bansSchema,
  })
  .superRefine((v, ctx) => {
    const known = new Set<string>([...BUILTIN_CLASSES, ...v.routes.map((r) => r.class)]);
    for (const name of Object.keys(v.rate_limits.classes)) {
      if (!known.has(name))
        ctx.addIssue({
          code: 'custom',
          path: ['rate_limits', 'classes', name],
          message: `unknown route class "${name}" (hint: one of ${[...known].join(', ')}, or define it under policy.routes)`,
        });
    }
  })
  .prefault({});

export type PolicyConfig = Camelize<z.output<typeof policySchema>>;
export type LimitConfig = { rate: number; burst: number } | null;
