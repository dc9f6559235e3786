// Human units in configuration: durations ("10s", "250ms", "2m", "1h", "1d")
// and sizes ("16kb", "1mb", "512b"), converted once to milliseconds / bytes.
// zod helpers so that every section of the schema parses units the same way.
import { z } from 'zod';
import { parseDuration, parseSize } from './values.js';

export { parseDuration, parseSize };

/** A duration field: accepts "10s" or a number of ms, yields ms. */
export function duration() {
  return z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (Number.isNaN(ms)) {
      ctx.addIssue({
        code: 'custom',
        message: `not a duration: ${JSON.stringify(v)} (hint: write e.g. 250ms, 10s, 5m, 1h)`,
      });
      return z.NEVER;
    }
    return ms;
  });
}

/** A size field: accepts "1mb" or a number of bytes, yields bytes. */
export function size() {
  return z.union([z.string(), z.number()]).transform((v, ctx) => {
    const b = parseSize(v);
    if (Number.isNaN(b)) {
      ctx.addIssue({ code: 'custom', message: `not a size: ${JSON.stringify(v)} (hint: write e.g. 512b, 16kb, 1mb)` });
      return z.NEVER;
    }
    return b;
  });
}
