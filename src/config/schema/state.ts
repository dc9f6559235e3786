// Schema of `state:` (where bans, mitigations, attack mode, signing keys and
// per-second counters live: memory for one node, redis for several) and of
// `workers:`. Defaults are safe for a single node; see docs/deployment.md.
import { z } from 'zod';
import type { Camelize } from '../camelize.js';
import { duration } from '../units.js';

const redisUrl = z.string().superRefine((v, ctx) => {
  let u: URL | null = null;
  try {
    u = new URL(v);
  } catch {
    // reported below
  }
  if (!u || (u.protocol !== 'redis:' && u.protocol !== 'rediss:'))
    ctx.addIssue({
      code: 'custom',
      message: `not a redis URL: ${JSON.stringify(v)} (hint: redis://[user:password@]host:6379[/db], or rediss:// for TLS)`,
    });
});

const hostPortList = z.array(
  z.string().transform((v, ctx) => {
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(v.trim());
    const port = m ? Number(m[3]) : NaN;
    if (!m || port < 1 || port > 65535) {
      ctx.addIssue({ code: 'custom', message: `not HOST:PORT: ${JSON.stringify(v)} (hint: e.g. 10.0.0.5:26379)` });
      return z.NEVER;
    }
    return { host: m[1] ?? m[2], port };
  }),
);

export const redisSchema = z
  .strictObject({
    /** Standalone server, or the credentials/TLS used with sentinels and cluster nodes. */
    url: redisUrl.default('redis://127.0.0.1:6379'),
    /** Nodes with the same prefix share state; every key lives in one hash slot {prefix}. */
    key_prefix: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,64}$/, 'letters, digits and . _ : - (hint: e.g. rampart or rampart-staging)')
      .default('rampart'),
    sentinels: hostPortList.default([]),
    sentinel_name: z.string().default('mymaster'),
    cluster: hostPortList.default([]),
    sync_interval: duration().default(1000),
    reconcile_interval: duration().default(30_000),
    command_timeout: duration().default(1000),
    connect_timeout: duration().default(2000),
  })
  .superRefine((v, ctx) => {
    if (v.sentinels.length > 0 && v.cluster.length > 0)
      ctx.addIssue({
        code: 'custom',
        path: ['cluster'],
        message: 'sentinels and cluster exclude each other (hint: keep the one your Redis runs)',
      });
    if (v.sync_interval < 100 || v.sync_interval > 10_000)
      ctx.addIssue({
        code: 'custom',
        path: ['sync_interval'],
        message: 'sync_interval must be between 100ms and 10s (hint: 1s)',
      });
    if (v.reconcile_interval < v.sync_interval)
      ctx.addIssue({
        code: 'custom',
        path: ['reconcile_interval'],
        message: 'reconcile_interval must not be shorter than sync_interval (hint: 30s)',
      });
    if (v.command_timeout < 50)
      ctx.addIssue({
        code: 'custom',
        path: ['command_timeout'],
        message: 'command_timeout under 50ms fails on any hiccup (hint: 1s)',
      });
  })
  .prefault({});

export const stateSchema = z
  .strictObject({
    backend: z
      .enum(['memory', 'redis'], {
        message:
          'state.backend must be memory or redis (hint: memory for one node, redis to share bans and counts between nodes)',
      })
      .default('memory'),
    /** How often pass-signing keys are renewed; the previous key still verifies. 0 never rotates. */
    key_rotation: duration().default(24 * 3_600_000),
    /** Cap on bans held (memory stays bounded under a flood of auto bans). */
    max_bans: z
      .number()
      .int()
      .min(100, 'max_bans below 100 would evict bans constantly (hint: 100000)')
      .max(5_000_000, 'max_bans above 5000000 risks memory (hint: ban prefixes instead)')
      .default(100_000),
    max_mitigations: z.number().int().min(10).max(100_000).default(1_000),
    redis: redisSchema,
  })
  .superRefine((v, ctx) => {
    if (v.key_rotation !== 0 && v.key_rotation < 600_000)
      ctx.addIssue({
        code: 'custom',
        path: ['key_rotation'],
        message: 'key_rotation under 10m would invalidate passes people just earned (hint: 24h, or 0 to never rotate)',
      });
  })
  .prefault({});

export type StateConfig = Camelize<z.output<typeof stateSchema>>;

/**
 * `workers:` processes serving requests on this machine (node:cluster), `auto`
 * = one per core. 1 runs in-process with no primary. Counted per node: with
 * several nodes, each runs its own workers.
 */
const WORKERS_MSG =
  'workers must be auto or a whole number from 1 to 256 (hint: auto = one per core, 1 = a single process)';

export const workersSchema = z
  .union([z.literal('auto'), z.number()], { message: WORKERS_MSG })
  .refine((v) => v === 'auto' || (Number.isInteger(v) && v >= 1 && v <= 256), { message: WORKERS_MSG })
  .default('auto');
