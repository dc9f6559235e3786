// Keeps the kernel's ban set (the firewall helper's nftables set) in step
// with the shared state: on every change of the bans (coalesced to one pass
// per event-loop turn) it computes the set's elements (src/guard/
// firewall-ranges.ts: disjoint, the allow list cut out) and sends the helper
// what changed; every `reconcileMs`, at start and after any failure (a
// restarted helper, a refused batch) it replaces the whole set. Bans made on
// other nodes arrive through the state like local ones. Never on the request
// path. Memory: the applied elements (one map entry per set element).
import { formatRange, setElements, type Entry, type Span } from './firewall-ranges.js';
import { HelperClient, type HelperReply } from './firewall-helper-client.js';

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

/** What goes (in `from`, not in `to`) and what comes (new in `to`, or re-banned: a fresh timeout). */
function diff(from: Applied, to: Applied): { del: string[]; add: string[] } {
  const del: string[] = [];
  const add: string[] = [];
  for (const k of from.keys()) if (!to.has(k)) del.push(k);
  for (const [k, u] of to) if (from.get(k) !== u) add.push(k);
  return { del, add };
}

class Sync implements FirewallSync {
  private v4: Applied = new Map();
  private v6: Applied = new Map();
  private needFull = true;
  private dirty = true;
  private running: Promise<void> | null = null;
  private lastFull = 0;
  private closed = false;
  private healthy = true;
  private readonly counts = { syncs: 0, deltas: 0, failures: 0 };
  private readonly helper: HelperClient;
  /** Kept whole: its functions are called on it, as the caller wrote them. */
  private readonly options: FirewallSyncOptions;
  private readonly off: () => void;

  constructor(options: FirewallSyncOptions) {
    this.options = options;
    this.helper = new HelperClient(options.socket);
    this.off = options.onChange(() => this.schedule());
    this.schedule();
  }

  tick(now: number): void {
    if (now - this.lastFull >= this.options.reconcileMs) this.needFull = true;
    if (this.needFull) this.schedule();
  }

  async flush(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  async list(): Promise<unknown> {
    const r = await this.helper.call({ op: 'list' });
    if (r.ok !== true) throw new Error(String(r.error));
    return r.nft;
  }

  stats(): FirewallSyncStats {
    return { elements: this.v4.size + this.v6.size, ...this.counts, healthy: this.healthy };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.off();
    while (this.running !== null) await this.running.catch(() => {});
    this.helper.close();
  }

  private schedule(): void {
    this.dirty = true;
    if (this.running !== null || this.closed) return;
    this.running = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.pass())
      .finally(() => {
        this.running = null;
        if (this.dirty && !this.needFull) this.schedule();
      });
  }

  /** Sends what changed until nothing has; stops at the first failure (the next tick replaces the whole set). */
  private async pass(): Promise<void> {
    while (this.dirty && !this.closed) {
      this.dirty = false;
      const now = this.options.now();
      const want = setElements(this.options.entries(), this.options.allow(), now);
      const n4 = keyed(want.v4);
      const n6 = keyed(want.v6);
      const r = this.needFull ? await this.sendAll(n4, n6, now) : await this.sendDelta(n4, n6, now);
      if (r === null) continue;
      if (r.ok === true) {
        this.v4 = n4;
        this.v6 = n6;
        this.needFull = false;
        this.health(true, 'the firewall helper applies the ban set again');
      } else {
        this.counts.failures++;
        this.needFull = true;
        this.health(false, String(r.error ?? 'refused'));
        return;
      }
    }
  }

  private async sendAll(n4: Applied, n6: Applied, now: number): Promise<HelperReply> {
    const r = await this.helper.call({ op: 'sync', v4: items(n4, n4.keys(), now), v6: items(n6, n6.keys(), now) });
    this.counts.syncs++;
    this.lastFull = now;
    return r;
  }

  /** Null when nothing changed (nothing sent). */
  private async sendDelta(n4: Applied, n6: Applied, now: number): Promise<HelperReply | null> {
    const d4 = diff(this.v4, n4);
    const d6 = diff(this.v6, n6);
    if (d4.del.length + d4.add.length + d6.del.length + d6.add.length === 0) return null;
    const r = await this.helper.call({
      op: 'delta',
      del4: items(this.v4, d4.del, now),
      del6: items(this.v6, d6.del, now),
      add4: items(n4, d4.add, now),
      add6: items(n6, d6.add, now),
    });
    this.counts.deltas++;
    return r;
  }

  private health(ok: boolean, why: string): void {
    if (ok === this.healthy) return;
    this.healthy = ok;
    this.options.onHealth?.(ok, why);
  }
}

export function createFirewallSync(o: FirewallSyncOptions): FirewallSync {
  return new Sync(o);
}
