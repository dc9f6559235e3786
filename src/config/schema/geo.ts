// Schema of `geo:`: the offline databases behind ctx.country / ctx.asn and the
// attribution tables. Defaults: the bundled @ip-location-db packages (country
// mmdb; ASN CSV compiled once into data_dir). Operators may point at their own.
import { z } from 'zod';
import type { Camelize } from '../camelize.js';

export const geoSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** A MaxMind-format country database (.mmdb); '' = the bundled geo-whois-asn-country. */
    country_db: z.string().default(''),
    /** An ASN range file: CSV `start,end,asn[,org]` (addresses or integers) or a compiled .bin; '' = the bundled @ip-location-db/asn. */
    asn_db: z.string().default(''),
    /** Client addresses whose country/ASN are cached (bounded LRU, ~40 B each). */
    cache_size: z
      .number()
      .int()
      .min(256, 'at least 256 (hint: 65536)')
      .max(4_194_304, 'at most 4194304 (hint: 65536)')
      .default(65_536),
  })
  .superRefine((v, ctx) => {
    if (v.country_db && !/\.mmdb$/i.test(v.country_db))
      ctx.addIssue({
        code: 'custom',
        path: ['country_db'],
        message: `country_db must be a .mmdb file, got ${JSON.stringify(v.country_db)} (hint: a MaxMind-format country database)`,
      });
    if (v.asn_db && !/\.(csv|bin)$/i.test(v.asn_db))
      ctx.addIssue({
        code: 'custom',
        path: ['asn_db'],
        message: `asn_db must be a .csv or .bin file, got ${JSON.stringify(v.asn_db)} (hint: start,end,asn,org rows)`,
      });
  })
  .prefault({});

export type GeoConfig = Camelize<z.output<typeof geoSchema>>;
