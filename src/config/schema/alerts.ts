// Schema of `alerts:`: webhooks called on attack start, escalation and end
// (generic JSON or Slack-compatible text), with retries and backoff. Empty by
// default: no alert leaves the machine unless an operator lists a URL.
import { z } from 'zod';
import type { Camelize } from '../camelize.js';
import { duration } from '../units.js';

export const ALERT_EVENTS = ['attack_start', 'escalation', 'attack_end'] as const;

const webhookUrl = z.string().superRefine((v, ctx) => {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: `not a URL: ${JSON.stringify(v)} (hint: e.g. https://hooks.slack.com/services/… or http://127.0.0.1:9000/rampart)`,
    });
    return;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    ctx.addIssue({ code: 'custom', message: `webhook URL must be http:// or https://, got ${u.protocol}` });
});

const webhook = z.strictObject({
  url: webhookUrl,
  /** json: the structured alert; slack: `{ "text": … }` for Slack, Mattermost, Rocket.Chat and similar. */
  format: z
    .enum(['json', 'slack'], { message: 'format must be json or slack (hint: slack sends {"text": …})' })
    .default('json'),
  events: z
    .array(z.enum(ALERT_EVENTS, { message: `events are ${ALERT_EVENTS.join(', ')}` }))
    .min(1, 'list at least one event (hint: attack_start, escalation, attack_end)')
    .default([...ALERT_EVENTS]),
  /** Extra request headers, e.g. an Authorization for the receiver. */
  headers: z.record(z.string(), z.string()).default({}),
});

export const alertsSchema = z
  .strictObject({
    webhooks: z.array(webhook).max(20, 'at most 20 webhooks').default([]),
    /** Attempts after the first failure. */
    retries: z.number().int().min(0).max(10).default(4),
    /** First retry delay; doubles each attempt. */
    backoff: duration().default(1_000),
    timeout: duration().default(5_000),
  })
  .superRefine((v, ctx) => {
    if (v.backoff < 100)
      ctx.addIssue({
        code: 'custom',
        path: ['backoff'],
        message: 'backoff under 100ms hammers a failing receiver (hint: 1s)',
      });
    if (v.timeout < 100 || v.timeout > 60_000)
      ctx.addIssue({ code: 'custom', path: ['timeout'], message: 'timeout must be between 100ms and 60s (hint: 5s)' });
  })
  .prefault({});

export type AlertsConfig = Camelize<z.output<typeof alertsSchema>>;
