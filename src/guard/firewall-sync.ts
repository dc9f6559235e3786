// Keeps the kernel's ban set (the firewall helper's nftables set) in step
// with the shared state: on every change of the bans (coalesced to one pass
// per event-loop turn) it computes the set's elements (src/guard/
// firewall-ranges.ts: disjoint, the allow list cut out) and sends the helper
// what changed; every `reconcileMs`, at start and after any failure (a
// restarted helper, a refused batch) it replaces the whole set. Bans made on
// other nodes arrive through the state like local ones. Never on the request
// path. Memory: the applied elements (one map entry per set element).
import { connect, type Socket } from 'node:net';
import { formatRange, setElements, type Entry, type Span } from './firewall-ranges.js';

export interface FirewallSyncOptions {
  socket: string;
  reconcileMs: number;
  now(): number;
  /** Bans and deny-list entries in force (empty in observe enforcement). */
  entries(): readonly Entry[];
  /** Never in the set. */
  allow(): readonly string[];
  /** Subscribes to changes of the bans; returns the unsubscribe function. */
  onChange(fn: () => void): () => void;
  /** Told once when the helper cannot be reached or refuses, and once when it works again. */
  onHealth?(ok: boolean, why: string): void;
}

export interface FirewallSyncStats {
  elements: number;
  syncs: number;
  deltas: number;
  failures: number;
  healthy: boolean;
}

export interface FirewallSync {
  /** Once a second: the periodic reconcile and retries. */
  tick(now: number): void;
  /** Resolves when everything asked so far has been sent (tests, shutdown). */
  flush(): Promise<void>;
  /** Ask the helper for nft's JSON of the table. */
  list(): Promise<unknown>;
  stats(): FirewallSyncStats;
  close(): Promise<void>;
}

type Applied = Map<string, number>;

function keyed(spans: readonly Span[]): Applied {
  const m: Applied = new Map();
  for (const s of spans) m.set(formatRange(s), s.until);
  return m;
}

function items(m: Applied, keys: Iterable<string>, now: number): [string, number][] {
  const out: [string, number][] = [];
  for (const k of keys) {
    const until = m.get(k)!;
    out.push([k, until === Infinity ? 0 : Math.max(1000, Math.ceil(until - now))]);
  }
  return out;
}

function diff(from: Applied, to: Applied): { del: string[]; add: string[] } {
  const del: string[] = [];
  const add: string[] = [];
  for (const k of from.keys()) if (!to.has(k)) del.push(k);
  for (const [k, u] of to) if (from.get(k) !== u) add.push(k); // new, or re-banned: a fresh timeout
  return { del, add };
}

export function createFirewallSync(o: FirewallSyncOptions): FirewallSync {
  let v4: Applied = new Map();
  let v6: Applied = new Map();
  let needFull = true;
  let dirty = true;
  let running: Promise<void> | null = null;
  let lastFull = 0;
  let closed = false;
  let healthy = true;
  const st = { syncs: 0, deltas: 0, failures: 0 };
  let sock: Socket | null = null;
  let buf = '';
  let seq = 0;
  const waiting = new Map<number, (r: Record<string, unknown>) => void>();

  function conn(): Socket {
    if (sock !== null && !sock.destroyed) return sock;
    buf = '';
    const s = connect(o.socket);
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const r = JSON.parse(line) as Record<string, unknown>;
          waiting.get(r.id as number)?.(r);
          waiting.delete(r.id as number);
        } catch {
          // a garbled line: its request times out
        }
      }
    });
    const fail = (e?: Error) => {
      for (const w of waiting.values()) w({ ok: false, error: e?.message ?? 'helper connection closed' });
      waiting.clear();
    };
    s.on('error', fail);
    s.on('close', () => fail());
    sock = s;
    return s;
  }

  function call(req: Record<string, unknown>): Promise<Record<string, unknown>> {
    return new Promise((resolve) => {
      const id = ++seq;
      const timer = setTimeout(() => {
        waiting.delete(id);
        resolve({ ok: false, error: 'helper did not answer within 10s' });
      }, 10_000);
      timer.unref();
      waiting.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      conn().write(`${JSON.stringify({ id, ...req })}\n`);
    });
  }

  function health(ok: boolean, why: string): void {
    if (ok === healthy) return;
    healthy = ok;
    o.onHealth?.(ok, why);
  }

  async function pass(): Promise<void> {
    while (dirty && !closed) {
      dirty = false;
      const now = o.now();
      const want = setElements(o.entries(), o.allow(), now);
      const n4 = keyed(want.v4);
      const n6 = keyed(want.v6);
      let r: Record<string, unknown>;
      if (needFull) {
        r = await call({ op: 'sync', v4: items(n4, n4.keys(), now), v6: items(n6, n6.keys(), now) });
        st.syncs++;
        lastFull = now;
      } else {
        const d4 = diff(v4, n4);
        const d6 = diff(v6, n6);
        if (d4.del.length + d4.add.length + d6.del.length + d6.add.length === 0) continue;
        r = await call({
          op: 'delta',
          del4: items(v4, d4.del, now),
          del6: items(v6, d6.del, now),
          add4: items(n4, d4.add, now),
          add6: items(n6, d6.add, now),
        });
        st.deltas++;
      }
      if (r.ok === true) {
        v4 = n4;
        v6 = n6;
        needFull = false;
        health(true, 'the firewall helper applies the ban set again');
      } else {
        st.failures++;
        needFull = true; // the next tick replaces the whole set
        health(false, String(r.error ?? 'refused'));
        return;
      }
    }
  }

  function schedule(): void {
    dirty = true;
    if (running !== null || closed) return;
    running = new Promise<void>((resolve) => setImmediate(resolve)).then(pass).finally(() => {
      running = null;
      if (dirty && !needFull) schedule();
    });
  }

  const off = o.onChange(schedule);
  schedule();

  return {
    tick(now) {
      if (now - lastFull >= o.reconcileMs) needFull = true;
      if (needFull) schedule();
    },
    async flush() {
      while (running !== null) await running;
    },
    async list() {
      const r = await call({ op: 'list' });
      if (r.ok !== true) throw new Error(String(r.error));
      return r.nft;
    },
    stats: () => ({ elements: v4.size + v6.size, ...st, healthy }),
    async close() {
      closed = true;
      off();
      while (running !== null) await running.catch(() => {});
      sock?.destroy();
    },
  };
}
