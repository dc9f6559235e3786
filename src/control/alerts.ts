// Webhook alerts on attack start, upward escalation and end: at most one alert
// per incident phase (an escalation phase is its target mode), each sent to
// every webhook subscribed to it, retried with exponential backoff on network
// errors, 408/429 and 5xx. Never on the request path: the detector's tick
// hands events over and sending happens in the background. Memory: at most
// 1024 remembered (incident, phase) keys.
import type { AlertsConfig } from '../config/schema/alerts.js';
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

export function createAlerts(c: AlertsConfig, deps: AlertsDeps): Alerts {
  const doFetch = deps.fetch ?? fetch;
  const seen = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  const inflight = new Set<Promise<void>>();
  const stats = { sent: 0, failed: 0, retried: 0, suppressed: 0 };
  let closed = false;

  function phaseKey(e: AlertEvent): string | null {
    if (e.type === 'escalation') return isUpward(e.from, e.to) ? `${e.incidentId}|escalation:${e.to}` : null;
    return `${e.incidentId}|${e.type}`;
  }

  function remember(key: string): boolean {
    if (seen.has(key)) return false;
    if (seen.size >= MAX_KEYS) seen.delete(seen.values().next().value as string);
    seen.add(key);
    return true;
  }

  function attempt(hook: AlertsConfig['webhooks'][number], a: Alert, body: string, tryNo: number): void {
    if (closed) return;
    const p = (async () => {
      let retry = false;
      let why = '';
      try {
        const res = await doFetch(hook.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'rampart-alerts', ...hook.headers },
          body,
          signal: AbortSignal.timeout(c.timeout),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          stats.sent++;
          return;
        }
        why = `HTTP ${res.status}`;
        retry = res.status === 408 || res.status === 429 || res.status >= 500;
      } catch (e) {
        why = (e as Error).message;
        retry = true;
      }
      if (retry && tryNo < c.retries && !closed) {
        stats.retried++;
        const t = setTimeout(
          () => {
            timers.delete(t);
            attempt(hook, a, body, tryNo + 1);
          },
          c.backoff * 2 ** tryNo,
        );
        t.unref();
        timers.add(t);
        return;
      }
      stats.failed++;
      deps.log.warn(
        { url: redact(hook.url), phase: a.phase, incident: a.incidentId, why, attempts: tryNo + 1 },
        'alert webhook failed',
      );
    })();
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  }

  return {
    onEvent(ev) {
      if (closed || (ev.type !== 'attack_start' && ev.type !== 'escalation' && ev.type !== 'attack_end')) return;
      const e = ev as AlertEvent;
      const key = phaseKey(e);
      if (key === null) return;
      if (!remember(key)) {
        stats.suppressed++;
        return;
      }
      const a = toAlert(e, deps.link?.(e.incidentId) ?? '');
      deps.log.info({ phase: a.phase, incident: a.incidentId, summary: a.summary }, 'alert');
      for (const hook of c.webhooks)
        if ((hook.events as readonly string[]).includes(e.type)) attempt(hook, a, payload(a, hook.format), 0);
    },
    stats: () => ({ ...stats, pending: timers.size + inflight.size }),
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await Promise.allSettled([...inflight]);
    },
  };
}

/** Webhook URLs often carry a secret in the path (Slack): log only the origin. */
function redact(url: string): string {
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return '(bad url)';
  }
}
