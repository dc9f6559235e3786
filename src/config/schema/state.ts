// Schema of `state:`: where bans, mitigations, attack mode, signing keys and
// per-second counters live (memory for one node). Defaults are safe for a
// single node; see docs/deployment.md for several nodes.
import { z } from 'zod';
import type { Camelize } from '../camelize.js';
import { duration } from '../units.js';

export const stateSchema = z
  .strictObject({
    backend: z.enum(['memory'], { message: 'state.backend must be memory (hint: one node keeps its state in memory)' }).default('memory'),
    /** How often pass-signing keys are renewed; the previous key still verifies. 0 never rotates. */
    key_rotation: duration().default(24 * 3_600_000),
    /** Cap on bans held (memory stays bounded under a flood of auto bans). */
    max_bans: z.number().int().min(100, 'max_bans below 100 would evict bans constantly (hint: 100000)').max(5_000_000, 'max_bans above 5000000 risks memory (hint: ban prefixes instead)').default(100_000),
    max_mitigations: z.number().int().min(10).max(100_000).default(1_000),
  })
  .superRefine((v, ctx) => {
    if (v.key_rotation !== 0 && v.key_rotation < 600_000) ctx.addIssue({ code: 'custom', path: ['key_rotation'], message: 'key_rotation under 10m would invalidate passes people just earned (hint: 24h, or 0 to never rotate)' });
  })
  .prefault({});

export type StateConfig = Camelize<z.output<typeof stateSchema>>;
