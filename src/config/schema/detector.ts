// Schema of the `detector:` section: enforcement (enforce | observe), warm-up,
// sensitivity of the anomaly tests, attack start/end hysteresis, and the
// durations of automatic mitigations. Every key has a default: `parse({})`
// works. docs/detector.md explains what each threshold does.
import { z } from 'zod';
import type { Camelize } from '../camelize.js';
import { duration } from '../units.js';

const seconds = (min: number, max: number, what: string) =>
  duration().superRefine((v, ctx) => {
    if (v < min || v > max)
      ctx.addIssue({
        code: 'custom',
        message: `${what} must be between ${min / 1000}s and ${max / 1000}s (hint: ${hintOf(min, max)})`,
      });
  });
const hintOf = (min: number, max: number) => `e.g. ${Math.max(min, Math.min(max, 10_000)) / 1000}s`;

/** A plain number; a string such as "high" gets a message with an example. */
const num = (example: string) => z.number({ error: `a number (hint: e.g. ${example})` });
const ratio = (min: number, what: string, example: number) =>
  num(String(example)).min(min, `${what} must be at least ${min} (hint: values near ${min} alarm on ordinary noise)`);

export const detectorSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    // observe = shadow mode: detect, record what would have been done, touch no request.
    enforcement: z
      .enum(['enforce', 'observe'], {
        message: 'enforcement is enforce or observe (hint: observe records actions without applying them)',
      })
      .default('enforce'),
    /** Seconds of traffic learned before anomaly tests may start an attack (idle seconds do not count). */
    warmup: seconds(1_000, 3_600_000, 'warmup').default(60_000),
    /** Below this total request rate nothing is called an attack (idle sites are noisy in ratio). */
    min_rps: num('20').min(1, 'min_rps is at least 1 (hint: 20)').default(20),
    /** A fast flood: rate above baseline × min_ratio AND baseline + sensitivity × σ. */
    min_ratio: ratio(1.2, 'min_ratio', 3).default(3),
    sensitivity: ratio(1, 'sensitivity', 4).default(4),
    /** Low-and-slow: the mean over slow_window above baseline × slow_ratio (with a composition shift). */
    slow_ratio: ratio(1.1, 'slow_ratio', 1.5).default(1.5),
    slow_window: seconds(2_000, 60_000, 'slow_window').default(5_000),
    /** Share a key (fingerprint, route class…) must gain over its baseline share to count as over-represented. */
    min_lift: ratio(1.5, 'min_lift', 3).default(3),
    /** Consecutive anomalous seconds before an attack starts. */
    start_after: seconds(1_000, 60_000, 'start_after').default(1_000),
    /** Consecutive calm seconds before an attack ends (hysteresis). */
    end_after: seconds(1_000, 600_000, 'end_after').default(10_000),
    /** Time spent in `recovering` after an attack before `normal`; a new surge inside it continues the incident. */
    recover_hold: seconds(1_000, 3_600_000, 'recover_hold').default(30_000),
    /** Half-life of the learned baselines. */
    baseline_half_life: seconds(10_000, 86_400_000, 'baseline_half_life').default(600_000),
    /** A single source is banned when it sends at least this many requests per second during an attack. */
    ban_min_rps: num('50').min(5, 'ban_min_rps below 5 would ban people behind a busy NAT (hint: 50)').default(50),
    ban_duration: seconds(10_000, 86_400_000, 'ban_duration').default(600_000),
    max_bans_per_second: num('200')
      .int()
      .min(1, 'at least 1 (hint: 200)')
      .max(10_000, 'at most 10000 (hint: 200)')
      .default(200),
    /** Signature mitigations live this long and are renewed while the attack lasts. */
    mitigation_ttl: seconds(5_000, 86_400_000, 'mitigation_ttl').default(120_000),
    /** Requests per second per client allowed by a `limit` mitigation on the signature. */
    signature_rate: num('2').min(0.1, 'at least 0.1 (hint: 2)').max(1000, 'at most 1000 (hint: 2)').default(2),
    /** Widen when the origin load is not back toward baseline this long after the last action. */
    widen_after: seconds(1_000, 300_000, 'widen_after').default(3_000),
    /** Connections closed by header/body deadlines per second that count as a slow-connection attack. */
    slow_connections: num('20').int().min(1, 'at least 1 (hint: 20)').default(20),
    /** HTTP/2 sessions closed for abuse per second (src/guard/h2-guard.ts) that count as an attack; their sources are banned (`ban/auto-h2`). */
    h2_abuse: num('1')
      .int()
      .min(1, 'at least 1 (hint: 1: one session closed at the glitch cap is already abuse)')
      .default(1),
    /** Seconds of per-second history kept for the dashboard and incidents. */
    history: seconds(10_000, 3_600_000, 'history').default(300_000),
  })
  .superRefine((v, ctx) => {
    if (v.slow_ratio >= v.min_ratio)
      ctx.addIssue({
        code: 'custom',
        path: ['slow_ratio'],
        message: `slow_ratio (${v.slow_ratio}) must be below min_ratio (${v.min_ratio}) (hint: 1.5 and 3)`,
      });
  })
  .prefault({});

export type DetectorConfig = Camelize<z.output<typeof detectorSchema>>;
