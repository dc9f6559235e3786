// Schema of the `origin_protection:` section: the micro-cache (per route
// class: store, public, stale-able, query allowlist), admission control
// (fixed or adaptive concurrency, a priority queue with per-priority size and
// deadline) and the circuit breaker. Every key has a safe default: `{}` works.
// Route classes are named like verdict rules: lower case, digits and '-'.
import { z } from 'zod';
import type { Camelize } from '../camelize.js';
import { duration, size } from '../units.js';

const className = z
  .string()
  .regex(/^[a-z0-9-]+$/, 'a route class name: lower case letters, digits and - (hint: e.g. page, static, donate)');

/** Per route class; a missing key takes the built-in default of that class (src/cache/rules.ts). */
const routeRuleSchema = z.strictObject({
  /** Responses of this class may be stored (when their Cache-Control allows it). */
  store: z.boolean().optional(),
  /** Store and serve even for requests with Cookie/Authorization; Set-Cookie is stripped from the stored copy. */
  public: z.boolean().optional(),
  /** Under attack, serve stored copies past their freshness instead of asking the origin. */
  stale: z.boolean().optional(),
  /** Freshness when the origin sends no max-age/s-maxage; 0 = store only what the origin marks cacheable. */
  default_ttl: duration().optional(),
  /** Under attack, keep only these query parameters (cache key and forwarded URL); null = keep all. */
  query_allowlist: z.array(z.string().min(1)).nullable().optional(),
});

export const cacheSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    max_bytes: size().default(64 * 1024 * 1024),
    max_entry_bytes: size().default(1024 * 1024),
    /** How long past freshness a stored copy may still be served when the origin fails or is shed. */
    max_stale: duration().default(3_600_000),
    /** Requests waiting at once for another request's identical origin fetch; beyond, they go to the origin. */
    max_waiters: z.number().int().min(0).max(1_000_000).default(10_000),
    /** Cookies that do not make a request private (analytics); the challenge pass cookie is always ignored. */
    ignore_cookies: z.array(z.string().min(1)).default([]),
    routes: z
      .record(z.string(), routeRuleSchema)
      .superRefine((v, ctx) => {
        for (const k of Object.keys(v))
          if (!className.safeParse(k).success)
            ctx.addIssue({
              code: 'custom',
              path: [k],
              message: `"${k}" is not a route class name: lower case letters, digits and - (hint: e.g. page, static, donate)`,
            });
      })
      .default({}),
  })
  .superRefine((v, ctx) => {
    if (v.max_entry_bytes > v.max_bytes)
      ctx.addIssue({
        code: 'custom',
        path: ['max_entry_bytes'],
        message: 'max_entry_bytes is larger than max_bytes (hint: e.g. max_bytes: 64mb, max_entry_bytes: 1mb)',
      });
    if (v.enabled && v.max_bytes < 64 * 1024)
      ctx.addIssue({
        code: 'custom',
        path: ['max_bytes'],
        message: 'max_bytes under 64kb holds almost nothing (hint: 64mb; set enabled: false to turn the cache off)',
      });
  })
  .prefault({});

const queueSchema = (size: number, deadline: number) =>
  z
    .strictObject({
      /** Requests of this priority that may wait for an origin slot. */
      size: z.number().int().min(0).max(100_000).default(size),
      /** How long one may wait before it is shed (503 or stale copy). */
      deadline: duration().default(deadline),
    })
    .prefault({});

export const admissionSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** A fixed number of requests at the origin at once, or `auto` (learned from origin latency within min/max). */
    concurrency: z
      .union([z.literal('auto'), z.number().int().min(1).max(100_000)], {
        error:
          'a number of requests at once (1–100000) or auto (hint: e.g. 32, or auto to learn it from origin latency)',
      })
      .default('auto'),
    min_concurrency: z.number().int().min(1).default(4),
    max_concurrency: z.number().int().min(1).max(100_000).default(128),
    /** Latency growth tolerated before `auto` lowers the limit (2 = twice the long-run latency). */
    latency_tolerance: z.number().min(1).max(10).default(2),
    /** Route classes served first (donations, logins). */
    priority_classes: z.array(className).default(['donate', 'login']),
    /** Share of the limit that known and new clients may not use: kept free for priority classes and verified clients. */
    reserved_share: z.number().min(0).max(0.9, 'reserving over 90% starves everyone else (hint: 0.25)').default(0.25),
    /** Waiting requests in all priorities together; when full, the lowest priority is shed first. */
    queue_size: z.number().int().min(0).max(100_000).default(1024),
    queue: z
      .strictObject({
        priority: queueSchema(512, 10_000),
        verified: queueSchema(512, 5_000),
        known: queueSchema(256, 3_000),
        new: queueSchema(256, 1_000),
      })
      .prefault({}),
    /** Without a surge time from the detector, a client first seen this long ago is "known" (ranks above new clients). */
    known_after: duration().default(60_000),
    retry_after: duration().default(10_000),
  })
  .superRefine((v, ctx) => {
    if (v.min_concurrency > v.max_concurrency)
      ctx.addIssue({
        code: 'custom',
        path: ['min_concurrency'],
        message: 'min_concurrency is larger than max_concurrency (hint: e.g. 4 and 128)',
      });
    if (v.retry_after < 1000)
      ctx.addIssue({
        code: 'custom',
        path: ['retry_after'],
        message: 'retry_after under 1s invites instant retries (hint: 10s)',
      });
  })
  .prefault({});

export const circuitSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Consecutive origin failures (connection errors, timeouts, 502/503/504) that open the circuit. */
    failures: z.number().int().min(1).max(10_000).default(10),
    /** Or this share of failures within `window`, once `min_requests` were seen. */
    failure_ratio: z.number().gt(0, 'a share between 0 and 1 (hint: 0.5)').max(1).default(0.5),
    min_requests: z.number().int().min(1).default(20),
    window: duration().default(10_000),
    /** First open period; doubles after each failed probe up to max_open_for. */
    open_for: duration().default(5_000),
    max_open_for: duration().default(60_000),
    /** Requests let through half-open; all must succeed to close. */
    probes: z.number().int().min(1).max(100).default(3),
  })
  .superRefine((v, ctx) => {
    if (v.window < 1000) ctx.addIssue({ code: 'custom', path: ['window'], message: 'window under 1s (hint: 10s)' });
    if (v.open_for > v.max_open_for)
      ctx.addIssue({
        code: 'custom',
        path: ['open_for'],
        message: 'open_for is longer than max_open_for (hint: 5s and 1m)',
      });
  })
  .prefault({});

export const originProtectionSchema = z
  .strictObject({
    cache: cacheSchema,
    admission: admissionSchema,
    circuit: circuitSchema,
  })
  .prefault({});

export type CacheConfig = Camelize<z.output<typeof cacheSchema>>;
export type AdmissionConfig = Camelize<z.output<typeof admissionSchema>>;
export type CircuitConfig = Camelize<z.output<typeof circuitSchema>>;
export type RouteRuleConfig = Camelize<z.output<typeof routeRuleSchema>>;
