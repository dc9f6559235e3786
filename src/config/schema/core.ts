// Schema of the core keys: listeners, origin, hosts, trusted proxies, limits,
// TLS, admin, logs. YAML is snake_case; defaults are the safe, "on" values.
// Each section lives in its own file under schema/ and is joined in schema.ts.
import { z } from 'zod';
import { isIp } from '../../core/ip.js';
import { checkCidr } from '../../core/cidr-set.js';
import { duration, size } from '../units.js';

/** "host:port", "[::1]:8080" or ":8080"; port 0 asks the OS for a free port. */
export const hostPort = () =>
  z.string().transform((v, ctx) => {
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(v.trim());
    const port = m ? Number(m[3]) : NaN;
    if (!m || port > 65535) {
      ctx.addIssue({
        code: 'custom',
        message: `not HOST:PORT: ${JSON.stringify(v)} (hint: e.g. 127.0.0.1:8080, [::1]:8080 or 0.0.0.0:80)`,
      });
      return z.NEVER;
    }
    return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
  });

const cidr = z.string().superRefine((v, ctx) => {
  const err = checkCidr(v);
  if (err)
    ctx.addIssue({ code: 'custom', message: `${err} (hint: write e.g. 10.0.0.0/8, 192.0.2.7 or 2001:db8::/32)` });
});

const originUrl = z.string().superRefine((v, ctx) => {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    ctx.addIssue({ code: 'custom', message: `not a URL: ${JSON.stringify(v)} (hint: e.g. http://127.0.0.1:3000)` });
    return;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    ctx.addIssue({ code: 'custom', message: `origin must be http:// or https://, got ${u.protocol}` });
  if (u.pathname !== '/' || u.search || u.hash)
    ctx.addIssue({
      code: 'custom',
      message: 'origin must be scheme://host[:port] with no path (hint: paths are forwarded as requested)',
    });
});

const hostName = z.string().superRefine((v, ctx) => {
  const ok = v === '*' ? false : /^(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(v) || isIp(v.replace(/^\[|\]$/g, ''));
  if (!ok)
    ctx.addIssue({
      code: 'custom',
      message: `not a host name: ${JSON.stringify(v)} (hint: e.g. example.org or *.example.org; '*' alone would make an open proxy)`,
    });
});

export const limitsSchema = z
  .strictObject({
    max_header_bytes: size().default(16 * 1024),
    max_body_bytes: size().default(10 * 1024 * 1024),
    header_timeout: duration().default(10_000),
    /** Header deadline while the mode is elevated/under_attack or slow heads pile up (never above header_timeout). */
    header_timeout_under_attack: duration()
      .refine(
        (ms) => ms >= 500,
        'header_timeout_under_attack must be at least 500ms (hint: 3s; 0 would turn the header deadline off)',
      )
      .default(3_000),
    /** Idle keep-alive deadline in the same conditions (never above idle_timeout). */
    idle_timeout_under_attack: duration()
      .refine(
        (ms) => ms >= 500,
        'idle_timeout_under_attack must be at least 500ms (hint: 2s; 0 would turn the idle deadline off)',
      )
      .default(2_000),
    /** Connections holding an unfinished request head ≥ 1 s that tighten deadlines at once; 0 waits for the mode. */
    slow_heads_trigger: z
      .number()
      .int()
      .min(0, 'slow_heads_trigger is a number of connections, 0 to turn it off (hint: 50)')
      .default(50),
    body_min_rate: size().default(1024),
    body_grace: duration().default(5_000),
    idle_timeout: duration().default(5_000),
    send_timeout: duration().default(30_000),
    max_connections: z.number().int().min(1).default(10_000),
    /**
     * Connections the kernel holds for the listener before Rampart accepts them (listen(2)'s backlog,
     * capped by net.core.somaxconn). Node's 511 overflows when a flood's thousands of clients connect
     * at once (a start or restart into a running attack): each dropped handshake costs its client a
     * 1 s retransmission, people included.
     */
    listen_backlog: z
      .number()
      .int()
      .min(1, 'listen_backlog is a number of connections (hint: 4096)')
      .max(65_535, 'listen_backlog is at most 65535 (the kernel caps it at net.core.somaxconn anyway; hint: 4096)')
      .default(4096),
    /**
     * Requests each process rehearses on a private copy of its request path before its listeners open
     * (src/app/warm-up.ts; never longer than 1.5 s): a start into a running flood then serves its first
     * second warm. Off (0) by default: it costs ~0.6 s of start-up and 10–30 MiB per worker idle (the
     * idle memory budget); 200 is the measured choice.
     */
    warm_up: z
      .number()
      .int()
      .min(0, 'warm_up is a number of requests, 0 to turn it off (hint: 200)')
      .max(20_000, 'warm_up is at most 20000 requests (hint: 200)')
      .default(0),
    max_connections_per_ip: z.number().int().min(1).default(64),
    origin_timeout: duration().default(30_000),
    origin_connect_timeout: duration().default(5_000),
    origin_connections: z.number().int().min(1).max(10_000).default(128),
    drain_timeout: duration().default(10_000),
  })
  .prefault({});

export const tlsSchema = z
  .strictObject({
    listen: hostPort().optional(),
    cert: z.string().default(''),
    key: z.string().default(''),
    http2: z.boolean().default(true),
  })
  .superRefine((v, ctx) => {
    if (!!v.cert !== !!v.key)
      ctx.addIssue({ code: 'custom', path: [v.cert ? 'key' : 'cert'], message: 'tls needs both cert and key files' });
    if (v.cert && !v.listen)
      ctx.addIssue({
        code: 'custom',
        path: ['listen'],
        message: 'tls.listen is required when cert and key are set (hint: e.g. 0.0.0.0:443)',
      });
  })
  .prefault({});

export const adminSchema = z
  .strictObject({
    listen: hostPort().default({ host: '127.0.0.1', port: 9090 }),
    token: z.string().default(''),
  })
  .prefault({});

export const logSchema = z
  .strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Share of allowed requests written to the access log (0..1); refusals are always written. */
    access_sample: z
      .number()
      .min(0, 'access_sample is a share from 0 to 1 (hint: 0.01 logs 1 in 100 allowed requests)')
      .max(1, 'access_sample is a share from 0 to 1 (hint: 0.01 logs 1 in 100 allowed requests)')
      .default(0.01),
    /** Most refusal lines per second (the rest are counted in the next line's `suppressed`), so a flood cannot flood the log. */
    refusals_per_second: z.number().int().min(0).max(100_000).default(100),
  })
  .prefault({});

export const coreShape = {
  listen: hostPort().default({ host: '127.0.0.1', port: 8080 }),
  origin: originUrl,
  hosts: z
    .array(hostName)
    .min(1, 'list at least one host name this shield serves (hint: Rampart is never an open proxy)'),
  trusted_proxies: z.array(cidr).default([]),
  data_dir: z.string().default('./data'),
  limits: limitsSchema,
  tls: tlsSchema,
  admin: adminSchema,
  log: logSchema,
};
