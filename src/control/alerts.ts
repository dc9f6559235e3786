// Webhook alerts on attack start, upward escalation and end: at most one alert
// per incident phase (an escalation phase is its target mode), each sent to
// every webhook subscribed to it, retried with exponential backoff on network
// errors, 408/429 and 5xx. Never on the request path: the detector's tick
// hands events over and sending happens in the background. Memory: at most
// 1024 remembered (incident, phase) keys.
import type { AlertsConfig } from '../config/schema/alerts.js';
import { counter, gauge, metricSource, type MetricSource } from '../core/metric-source.js';
import { isUpward, payload, toAlert, type Alert, type AlertEvent } from './alerts-format.js';

export interface AlertsDeps {
  log: { warn(o: object, msg: string): void; info(o: object, msg: string): void };
  /** Link put into alerts, e.g. the dashboard URL; '' for none. */
  link?: (incidentId: string) => string;
  fetch?: typeof fetch;
}

export interface AlertStats {
  sent: number;
  failed: number;
  retried: number;
  suppressed: number;
  pending: number;
}

export interface Alerts {
  /** Takes any detector event; ignores those that are not alert phases. */
  onEvent(e: { type: string }): void;
  stats(): AlertStats;
  /** Cancels waiting retries and waits for requests in flight. */
  close(): Promise<void>;
}

const MAX_KEYS = 1024;

type Webhook = AlertsConfig['webhooks'][number];

/** How one POST to a webhook ended: delivered, or why not and whether to try again. */
type Delivery = { ok: true } | { ok: false; retry: boolean; why: string };

export function createAlerts(c: AlertsConfig, deps: AlertsDeps): Alerts {
  return new WebhookAlerts(c, deps);
}

class WebhookAlerts implements Alerts {
  private readonly doFetch: typeof fetch;
  /** (incident, phase) keys already alerted, oldest first; at most MAX_KEYS. */
  private readonly seen = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly counts = { sent: 0, failed: 0, retried: 0, suppressed: 0 };
  private closed = false;

  constructor(
    private readonly c: AlertsConfig,
    private readonly deps: AlertsDeps,
  ) {
    this.doFetch = deps.fetch ?? fetch;
  }

  onEvent(ev: { type: string }): void {
    if (this.closed || (ev.type !== 'attack_start' && ev.type !== 'escalation' && ev.type !== 'attack_end')) return;
    const e = ev as AlertEvent;
    const key = phaseKey(e);
    if (key === null) return;
    if (!this.remember(key)) {
      this.counts.suppressed++;
      return;
    }
    const a = toAlert(e, this.deps.link?.(e.incidentId) ?? '');
    this.deps.log.info({ phase: a.phase, incident: a.incidentId, summary: a.summary }, 'alert');
    for (const hook of this.c.webhooks)
      if ((hook.events as readonly string[]).includes(e.type)) this.attempt(hook, a, payload(a, hook.format), 0);
  }

  stats(): AlertStats {
    return { ...this.counts, pending: this.timers.size + this.inflight.size };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.inflight]);
  }

  private remember(key: string): boolean {
    if (this.seen.has(key)) return false;
    if (this.seen.size >= MAX_KEYS) this.seen.delete(this.seen.values().next().value as string);
    this.seen.add(key);
    return true;
  }

  private attempt(hook: Webhook, a: Alert, body: string, tryNo: number): void {
    if (this.closed) return;
    const p = this.send(hook, a, body, tryNo);
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private async send(hook: Webhook, a: Alert, body: string, tryNo: number): Promise<void> {
    const d = await this.post(hook, body);
    if (d.ok) {
      this.counts.sent++;
      return;
    }
    if (d.retry && tryNo < this.c.retries && !this.closed) {
      this.counts.retried++;
      this.retryLater(hook, a, body, tryNo);
      return;
    }
    this.counts.failed++;
    this.deps.log.warn(
      { url: redact(hook.url), phase: a.phase, incident: a.incidentId, why: d.why, attempts: tryNo + 1 },
      'alert webhook failed',
    );
  }

  /** Network errors, 408, 429 and 5xx are worth another try; other refusals are not. */
  private async post(hook: Webhook, body: string): Promise<Delivery> {
    try {
      const res = await this.doFetch(hook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'rampart-alerts', ...hook.headers },
        body,
        signal: AbortSignal.timeout(this.c.timeout),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { ok: true };
      return {
        ok: false,
        retry: res.status === 408 || res.status === 429 || res.status >= 500,
        why: `HTTP ${res.status}`,
      };
    } catch (e) {
      return { ok: false, retry: true, why: (e as Error).message };
    }
  }

  /** Exponential backoff: backoff × 2^tryNo, on an unref'd timer that close() cancels. */
  private retryLater(hook: Webhook, a: Alert, body: string, tryNo: number): void {
    const t = setTimeout(
      () => {
        this.timers.delete(t);
        this.attempt(hook, a, body, tryNo + 1);
      },
      this.c.backoff * 2 ** tryNo,
    );
    t.unref();
    this.timers.add(t);
  }
}

/** One alert per incident phase; an escalation's phase is its target mode, and only upward ones alert. */
function phaseKey(e: AlertEvent): string | null {
  if (e.type === 'escalation') return isUpward(e.from, e.to) ? `${e.incidentId}|escalation:${e.to}` : null;
  return `${e.incidentId}|${e.type}`;
}

/** Webhook URLs often carry a secret in the path (Slack): log only the origin. */
function redact(url: string): string {
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return '(bad url)';
  }
}

/** The alerts' Prometheus metrics, declared against AlertStats. */
export function alertsMetricSource(read: () => AlertStats | null): MetricSource {
  return metricSource(read, [
    counter('rampart_alerts_sent_total', 'Alert deliveries a webhook accepted.', (s) => s.sent),
    counter(
      'rampart_alerts_failed_total',
      'Alert deliveries that failed for good (after any retries).',
      (s) => s.failed,
    ),
    counter('rampart_alerts_retried_total', 'Webhook deliveries tried again.', (s) => s.retried),
    counter(
      'rampart_alerts_suppressed_total',
      'Alerts not sent again for a phase already alerted.',
      (s) => s.suppressed,
    ),
    gauge('rampart_alerts_pending', 'Deliveries under way or waiting for a retry.', (s) => s.pending),
  ]);
}
