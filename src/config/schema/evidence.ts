// Schema of `evidence:`: the incident store (SQLite under data_dir), how long
// it keeps incidents and full-resolution samples, and the data-exposure watch
// on `sensitive` routes. On by default: every incident leaves a record.
import { z } from 'zod';
import type { Camelize } from '../camelize.js';
import { duration } from '../units.js';

export const evidenceSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** File name of the SQLite store inside data_dir. */
    file: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, 'a plain file name inside data_dir (hint: e.g. incidents.sqlite)')
      .default('incidents.sqlite'),
    /** Closed incidents older than this are deleted. */
    retention: duration().default(365 * 24 * 3600_000),
    /** Per-second samples are kept at full resolution this long after an incident closes, then downsampled to 10 s. */
    full_resolution: duration().default(7 * 24 * 3600_000),
    /** After a restart, an open incident is resumed when an attack starts again within this window; else closed at its last second. */
    resume_window: duration().default(120_000),
    /** Data-exposure watch: a client or /24 that reads this many distinct records of a sensitive route is flagged as enumerating. */
    enumeration_ids: z
      .number()
      .int()
      .min(2, 'at least 2 distinct records (hint: 50)')
      .max(100_000, 'at most 100000 (hint: 50)')
      .default(50),
    /** Clients (and prefixes) tracked by the exposure watch; the least recent are dropped beyond this. */
    exposure_clients: z
      .number()
      .int()
      .min(16, 'at least 16 (hint: 4096)')
      .max(100_000, 'at most 100000 (hint: 4096)')
      .default(4096),
  })
  .superRefine((v, ctx) => {
    if (v.retention < 3600_000)
      ctx.addIssue({
        code: 'custom',
        path: ['retention'],
        message: 'retention under 1h would delete evidence before anyone reads it (hint: 365d)',
      });
    if (v.resume_window < 5_000 || v.resume_window > 3600_000)
      ctx.addIssue({
        code: 'custom',
        path: ['resume_window'],
        message: 'resume_window must be between 5s and 1h (hint: 2m)',
      });
  })
  .prefault({});

export type EvidenceConfig = Camelize<z.output<typeof evidenceSchema>>;
