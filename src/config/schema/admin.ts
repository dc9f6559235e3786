// Schema of `admin:`: the control-plane listener (admin API, dashboard,
// /metrics). Refuses a non-loopback listener without a token: the admin API
// can ban addresses and switch modes, so it is never open to a network.
// Replaces the bare admin keys of core.ts (joined after coreShape in schema.ts).
import { z } from 'zod';
import type { Camelize } from '../camelize.js';
import { hostPort } from './core.js';

import { isLoopbackHost } from '../values.js';

export { isLoopbackHost };

export const adminSchema = z
  .strictObject({
    listen: hostPort().default({ host: '127.0.0.1', port: 9090 }),
    /** Bearer token; '' on loopback makes Rampart generate one at start (logged, and written to data_dir/admin.token). */
    token: z.string().default(''),
    /** Serve /metrics without the token even off loopback (for a scraper on a trusted network). */
    metrics_public: z.boolean().default(false),
    /** Serve the dashboard (static files) on the admin listener. */
    dashboard: z.boolean().default(true),
  })
  .superRefine((v, ctx) => {
    if (v.token === '' && !isLoopbackHost(v.listen.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['token'],
        message: `the admin listener on ${v.listen.host} (not loopback) needs a token (hint: set admin.token to a long random string, e.g. the output of 'openssl rand -hex 32', or listen on 127.0.0.1)`,
      });
    }
    if (v.token !== '' && v.token.length < 16)
      ctx.addIssue({
        code: 'custom',
        path: ['token'],
        message: 'admin.token is shorter than 16 characters (hint: use e.g. the output of `openssl rand -hex 32`)',
      });
    if (/\s/.test(v.token))
      ctx.addIssue({
        code: 'custom',
        path: ['token'],
        message: 'admin.token must not contain spaces (hint: it travels in "Authorization: Bearer <token>")',
      });
  })
  .prefault({});

export type AdminConfig = Camelize<z.output<typeof adminSchema>>;
