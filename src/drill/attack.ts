// Sends a scenario's attack requests open-loop, like a real attacker: a 10 ms
// scheduler releases rate × shape(t) requests per second round-robin over the
// sources (each an undici Pool bound to its own 127.x.y.z), whatever the
// answers. Bounded: at most `sources` pools, at most `maxInFlight` requests
// in flight (beyond that a request is counted as skipped), stops at `until`.
import { loopbackSource } from './addresses.js';
import { createSource, type Source } from './client.js';
import { sleepUntil } from './legit.js';
import { cameFromOrigin, type Recorder } from './recorder.js';
import type { Scenario } from './scenarios.js';
import type { Target } from './target.js';

export interface AttackOptions {
  scenario: Scenario;
  target: Target;
  rate: number;
  sources: number;
  recorder: Recorder;
  /** ms since the epoch. */
  start: number;
  until: number;
  xffOf?: (i: number) => string;
  maxInFlight?: number;
}

const TICK_MS = 10;

export async function runAttack(o: AttackOptions): Promise<void> {
  const sc = o.scenario;
  const pools = new Map<number, Source>();
  const cap = o.maxInFlight ?? Math.min(4096, Math.max(256, o.rate * 2));
  const pending = new Set<Promise<void>>();
  let issued = 0;
  let credit = 0;
  let last = o.start;
  const headersOf = headerLists(o);

  const fire = (seq: number): void => {
    const i = seq % o.sources;
    let src = pools.get(i);
    if (src === undefined) {
      src = createSource(o.target, loopbackSource('attack', i), {
        connections: sc.connectionsPerSource,
        timeoutMs: 5000,
      });
      pools.set(i, src);
    }
    const req = sc.request(seq, i);
    const sentAt = Date.now();
    o.recorder.attackSent(sentAt);
    const p = src.send({ method: req.method, path: req.path, body: req.body, headers: headersOf(i) }).then((r) => {
      o.recorder.attackResult(
        sentAt,
        cameFromOrigin(r.status, r.verdict, r.error),
        r.verdict || (r.error ? `error/${r.error}` : `status/${r.status}`),
        r.error !== '',
      );
      pending.delete(p);
    });
    pending.add(p);
  };

  await sleepUntil(o.start);
  while (Date.now() < o.until) {
    const now = Date.now();
    // Credit accrues with the shape; a stall (GC, busy CPU) may release at most 50 ms of backlog.
    credit = Math.min(credit + ((now - last) / 1000) * o.rate * sc.shape(now - o.start), o.rate * 0.05 + 1);
    last = now;
    while (credit >= 1) {
      credit--;
      if (pending.size >= cap) o.recorder.attack.skipped++;
      else fire(issued++);
    }
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  // Let the last answers arrive (bounded by the 5 s request deadlines), then close every pool.
  await Promise.race([Promise.all(pending), new Promise((r) => setTimeout(r, 6000).unref())]);
  await Promise.all([...pools.values()].map((s) => s.close()));
}

/** Source i's header list (the scenario's, tagged as attack, with its X-Forwarded-For), built once per source. */
function headerLists(o: AttackOptions): (i: number) => string[] {
  const cache = new Map<number, string[]>();
  return (i) => {
    let h = cache.get(i);
    if (h === undefined) {
      h = [...o.scenario.headers(i), 'x-drill-role', 'attack'];
      if (o.xffOf) h.push('x-forwarded-for', o.xffOf(i));
      cache.set(i, h);
    }
    return h;
  };
}
