// Schema of the `identity:` section: the seen cookie (a signed note of when
// Rampart first saw a browser, set on its first response) and the client
// book (what this process remembers of recent client addresses). Both feed
// "was this client here before the surge?" and "does it keep cookies?"
// (docs/detector.md). Every key has a default: `parse({})` works.
import { z } from 'zod';
import type { Camelize } from '../camelize.js';
import { duration } from '../units.js';

const cookieName = z
  .string()
  .regex(/^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/, 'a cookie name (hint: letters, digits, - _ . e.g. rampart_seen)');

export const identitySchema = z
  .strictObject({
    seen_cookie: z
      .strictObject({
        /** Set the cookie on the first response to each browser; off: only the client book (per process, lost on restart) knows who came first. */
        enabled: z.boolean().default(true),
        name: cookieName.default('rampart_seen'),
        /** How long a browser keeps it (and how far back "first seen" can reach). */
        max_age: duration()
          .refine((ms) => ms >= 3_600_000 && ms <= 400 * 86_400_000, 'max_age between 1h and 400d (hint: 30d)')
          .default(30 * 86_400_000),
      })
      .prefault({}),
    surge_guard: z
      .strictObject({
        /** While a crowd of new clients arrives, send the ones without the seen cookie through the cookie check at once (no JavaScript, one redirect). */
        enabled: z.boolean().default(true),
        /** New clients per second (over all workers) below which nothing is a crowd; it must also be 8× the usual number. */
        new_clients: z.number().int().min(10, 'at least 10 new clients/s (hint: 100)').max(1_000_000).default(100),
      })
      .prefault({}),
    /** Client addresses remembered per process (19 bytes each, fixed): first seen, cookie sent and returned, assets checks sent. */
    clients: z
      .number()
      .int()
      .min(1024, 'at least 1024 (hint: 65536)')
      .max(1 << 24, 'at most 16777216 (hint: 65536 ≈ 1.2 MB)')
      .default(65_536),
  })
  .prefault({});

export type IdentityConfig = Camelize<z.output<typeof identitySchema>>;
