// Connection guard: refusal of banned (or deny-listed) addresses at accept,
// before any HTTP parsing; a per-address cap on concurrent connections; a
// registry of live sockets per address so a new ban closes the connections
// its address already holds; a once-a-second count of stalled request heads
// (slowloris pressure). Never imports policy or state: the app hands in the
// ban check and the ban list. Memory: one small entry per open connection
// (bounded by max_connections). Per accept: one ban lookup; per request: nothing.
import type { Socket } from 'node:net';
import { clientKeyOf, normalizeIp, parseIPv4 } from '../core/ip.js';
import { checkCidr, compileCidrSet } from '../core/cidr-set.js';

/** A head unfinished this long after the connection opened counts as stalled (a real client sends it in one round trip). */
export const STALLED_HEAD_MS = 1000;

export interface ConnectionGuardOptions {
  maxPerIp: number;
  /** Accept-time filter (bans, deny list); true means refuse. Also the last word before a ban closes open connections. */
  refuse?: ((ip: string) => boolean) | null;
  /** Bytes written before closing a plain-HTTP socket over the per-address cap (TLS sockets are just closed). */
  plainRefusal?: Buffer | null;
  /** Bytes written before closing a refused (banned) plain-HTTP socket; defaults to plainRefusal. */
  bannedRefusal?: Buffer | null;
  /** The app's coarse clock (ms); stamps each connection's accept time. Default Date.now. */
  now?: () => number;
}

export interface GuardStats {
  open: number;
  /** Connections accepted by the kernel and seen by Rampart since creation (refused ones included). */
  accepted: number;
  /** Sockets refused at accept since creation (bans and the per-address cap). */
  refused: number;
  /** Of those, refused by the `refuse` filter (bans, deny list). */
  banned: number;
  /** Open connections closed because their address was banned after they were accepted. */
  closedOnBan: number;
  /** Plain-HTTP connections holding an unfinished request head ≥ STALLED_HEAD_MS at the last sweep. */
  stalledHeads: number;
}

export interface ConnectionGuard {
  /** Returns false when the socket was refused (and closed). `plain`: not TLS, refusal bytes can be written. */
  admit(socket: Socket, plain: boolean): boolean;
  open(): number;
  /** Sockets refused since creation (bans and the per-address cap). */
  refused(): number;
  /** Of those, refused by the `refuse` filter (bans, deny list). */
  banned(): number;
  /**
   * Closes the open connections of addresses matched by `targets` (addresses
   * or CIDRs of new bans) that `refuse` confirms (allow list, observe mode and
   * expiry have the last word). O(1) per IPv4 address target; one pass over
   * the open connections when a target is a CIDR or IPv6. Returns how many.
   */
  closeBanned(targets: readonly string[]): number;
  /** Counts plain connections whose request head is unfinished ≥ STALLED_HEAD_MS; O(open connections), once a second. */
  sweep(now: number): number;
  stats(): GuardStats;
  setRefuse(fn: ((ip: string) => boolean) | null): void;
  setMaxPerIp(n: number): void;
}

interface Held {
  readonly socket: Socket;
  readonly ip: string;
  readonly at: number;
  readonly plain: boolean;
}

type HttpSocket = Socket & { _httpMessage?: unknown };

/**
 * Closes a refused socket: the refusal bytes, then FIN (end, not destroy:
 * closing with unread input would send RST and the client could lose the
 * refusal). A request the client had already sent may still be parsed; the
 * policy stage refuses it again by the same rule, so the origin never sees it.
 * A client that never closes its side is cut off after 2 s.
 */
function close(socket: Socket, bytes: Buffer | null): void {
  socket.on('error', () => {});
  if (bytes === null) {
    socket.destroy();
    return;
  }
  socket.end(bytes);
  socket.setTimeout(2000, () => socket.destroy());
}

/** True while the connection waits for (part of) a request head: bytes came in, no response ever went out, none in flight. */
function headPending(held: Held): boolean {
  const socket = held.socket as HttpSocket;
  return held.plain && socket.bytesRead > 0 && socket.bytesWritten === 0 && !socket._httpMessage;
}

/** The guard itself: one `Held` per open connection, grouped by client key (an IPv6 /64 shares one key). */
class Guard implements ConnectionGuard {
  private readonly byKey = new Map<number, Held[]>();
  private readonly now: () => number;
  private readonly capBytes: Buffer | null;
  private readonly banBytes: Buffer | null;
  private maxPerIp: number;
  private refuse: ((ip: string) => boolean) | null;
  private openCount = 0;
  private acceptedCount = 0;
  private refusedCount = 0;
  private bannedCount = 0;
  private closedOnBan = 0;
  private stalledHeads = 0;

  constructor(opts: ConnectionGuardOptions) {
    this.now = opts.now ?? Date.now;
    this.maxPerIp = opts.maxPerIp;
    this.refuse = opts.refuse ?? null;
    this.capBytes = opts.plainRefusal ?? null;
    this.banBytes = opts.bannedRefusal ?? this.capBytes;
  }

  admit(socket: Socket, plain: boolean): boolean {
    this.acceptedCount++;
    const ip = normalizeIp(socket.remoteAddress ?? '');
    if (this.refuse?.(ip)) {
      this.refusedCount++;
      this.bannedCount++;
      close(socket, plain ? this.banBytes : null);
      return false;
    }
    const key = clientKeyOf(ip);
    let list = this.byKey.get(key);
    if (list !== undefined && list.length >= this.maxPerIp) {
      this.refusedCount++;
      close(socket, plain ? this.capBytes : null);
      return false;
    }
    if (list === undefined) {
      list = [];
      this.byKey.set(key, list);
    }
    const held: Held = { socket, ip, at: this.now(), plain };
    list.push(held);
    this.openCount++;
    socket.once('close', () => this.release(key, held));
    return true;
  }

  open(): number {
    return this.openCount;
  }

  refused(): number {
    return this.refusedCount;
  }

  banned(): number {
    return this.bannedCount;
  }

  closeBanned(targets: readonly string[]): number {
    if (this.refuse === null || this.openCount === 0) return 0;
    const verdicts = new Map<string, boolean>(); // one refuse() call per address
    const wide: string[] = [];
    let closed = 0;
    for (const target of targets) {
      if (parseIPv4(target) >= 0) {
        const list = this.byKey.get(clientKeyOf(target));
        if (list !== undefined) closed += this.closeIn(list, (ip) => ip === target, verdicts);
      } else if (checkCidr(target) === null) wide.push(target);
    }
    if (wide.length > 0) {
      const set = compileCidrSet(wide);
      for (const list of [...this.byKey.values()]) closed += this.closeIn(list, (ip) => set.has(ip), verdicts);
    }
    this.closedOnBan += closed;
    return closed;
  }

  /** An arrow, not a method: the app hands `guard.sweep` on as a plain function. */
  readonly sweep = (at: number): number => {
    let stalled = 0;
    for (const list of this.byKey.values()) {
      for (let i = 0; i < list.length; i++) {
        if (at - list[i].at >= STALLED_HEAD_MS && headPending(list[i])) stalled++;
      }
    }
    this.stalledHeads = stalled;
    return stalled;
  };

  stats(): GuardStats {
    return {
      open: this.openCount,
      accepted: this.acceptedCount,
      refused: this.refusedCount,
      banned: this.bannedCount,
      closedOnBan: this.closedOnBan,
      stalledHeads: this.stalledHeads,
    };
  }

  setRefuse(fn: ((ip: string) => boolean) | null): void {
    this.refuse = fn;
  }

  setMaxPerIp(n: number): void {
    this.maxPerIp = n;
  }

  private release(key: number, held: Held): void {
    this.openCount--;
    const list = this.byKey.get(key);
    if (list === undefined) return;
    const i = list.indexOf(held);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byKey.delete(key);
  }

  /** Closes every connection in `list` whose address `match` accepts and `refuse` confirms. */
  private closeIn(list: readonly Held[], match: (ip: string) => boolean, verdicts: Map<string, boolean>): number {
    let closed = 0;
    for (const held of list.slice()) {
      if (held.socket.destroyed || !match(held.ip)) continue;
      let refuseIt = verdicts.get(held.ip);
      if (refuseIt === undefined) {
        refuseIt = this.refuse?.(held.ip) === true;
        verdicts.set(held.ip, refuseIt);
      }
      if (!refuseIt) continue;
      // A response in flight cannot take refusal bytes: cut it. Otherwise the 403, then FIN.
      close(held.socket, held.plain && !(held.socket as HttpSocket)._httpMessage ? this.banBytes : null);
      closed++;
    }
    return closed;
  }
}

export function createConnectionGuard(opts: ConnectionGuardOptions): ConnectionGuard {
  return new Guard(opts);
}

/** What followBans reads of the shared state (declared here: the guard does not import state). */
export interface BanSource {
  bans(): readonly { readonly target: string }[];
  onChange(fn: () => void): () => void;
}

/**
 * Closes the open connections of newly banned addresses: on a change of the
 * state it diffs the ban targets against those already seen (O(bans), once
 * per burst of changes: coalesced to one pass per event-loop turn) and hands
 * the new ones to guard.closeBanned. Returns the unsubscribe function.
 */
export function followBans(guard: ConnectionGuard, source: BanSource): () => void {
  let known = new Set<string>();
  let queued = false;
  const run = (): void => {
    queued = false;
    const next = new Set<string>();
    const fresh: string[] = [];
    for (const b of source.bans()) {
      next.add(b.target);
      if (!known.has(b.target)) fresh.push(b.target);
    }
    known = next;
    if (fresh.length > 0) guard.closeBanned(fresh);
  };
  return source.onChange(() => {
    if (queued) return;
    queued = true;
    setImmediate(run);
  });
}
