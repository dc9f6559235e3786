// The one configuration schema. Sections live in schema/*.ts; this joins them.
// Types are inferred from it (snake_case in YAML, camelCase past load.ts).
import { z } from 'zod';
import type { Camelize } from './camelize.js';
import { coreShape } from './schema/core.js';
import { challengeSchema } from './schema/challenge.js';
import { policySchema } from './schema/policy.js';
import { detectorSchema } from './schema/detector.js';
import { originProtectionSchema } from './schema/origin-protection.js';
import { stateSchema, workersSchema } from './schema/state.js';
import { adminSchema } from './schema/admin.js';
import { alertsSchema } from './schema/alerts.js';
import { evidenceSchema } from './schema/evidence.js';
import { geoSchema } from './schema/geo.js';
import { identitySchema } from './schema/identity.js';
import { firewallSchema, fingerprintsSchema, http2Schema } from './schema/edge.js';

export const configSchema = z.strictObject({
  ...coreShape,
  identity: identitySchema,
  challenge: challengeSchema,
  policy: policySchema,
  detector: detectorSchema,
  origin_protection: originProtectionSchema,
  state: stateSchema,
  workers: workersSchema,
  admin: adminSchema,
  alerts: alertsSchema,
  evidence: evidenceSchema,
  geo: geoSchema,
  http2: http2Schema,
  fingerprints: fingerprintsSchema,
  firewall: firewallSchema,
});

export type RawConfig = z.output<typeof configSchema>;
/** The validated, camelCased, deep-frozen configuration every module receives. */
export type Config = Readonly<Camelize<RawConfig>>;
export type HostPort = { host: string; port: number };
