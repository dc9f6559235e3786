// Connection guard at accept time: refusal of banned (or deny-listed)
// addresses before any HTTP parsing, and a per-address cap on concurrent
// connections. The ban check is a function the app hands in (the guard never
// imports policy or state). Memory: one Map entry per address with an open
// connection (bounded by max_connections). Per accept: one ban lookup.
import type { Socket } from 'node:net';
import { clientKeyOf, normalizeIp } from '../core/ip.js';

export interface ConnectionGuardOptions {
  maxPerIp: number;
  /** Accept-time filter (bans, deny list); true means refuse. */
  refuse?: ((ip: string) => boolean) | null;
  /** Bytes written before closing a plain-HTTP socket over the per-address cap (TLS sockets are just closed). */
  plainRefusal?: Buffer | null;
  /** Bytes written before closing a refused (banned) plain-HTTP socket; defaults to plainRefusal. */
  bannedRefusal?: Buffer | null;
}

export interface ConnectionGuard {
  /** Returns false when the socket was refused (and closed). `plain`: not TLS, refusal bytes can be written. */
  admit(socket: Socket, plain: boolean): boolean;
  open(): number;
  /** Sockets refused since creation (bans and the per-address cap). */
  refused(): number;
  /** Of those, refused by the `refuse` filter (bans, deny list). */
  banned(): number;
  setRefuse(fn: ((ip: string) => boolean) | null): void;
  setMaxPerIp(n: number): void;
}

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

export function createConnectionGuard(opts: ConnectionGuardOptions): ConnectionGuard {
  const perIp = new Map<number, number>();
  let maxPerIp = opts.maxPerIp;
  let refuse = opts.refuse ?? null;
  const capBytes = opts.plainRefusal ?? null;
  const banBytes = opts.bannedRefusal ?? capBytes;
  let open = 0;
  let refused = 0;
  let banned = 0;

  function release(key: number): void {
    open--;
    const n = (perIp.get(key) ?? 1) - 1;
    if (n <= 0) perIp.delete(key);
    else perIp.set(key, n);
  }

  return {
    admit(socket, plain) {
      const ip = normalizeIp(socket.remoteAddress ?? '');
      if (refuse !== null && refuse(ip)) {
        refused++;
        banned++;
        close(socket, plain ? banBytes : null);
        return false;
      }
      const key = clientKeyOf(ip);
      const n = perIp.get(key) ?? 0;
      if (n >= maxPerIp) {
        refused++;
        close(socket, plain ? capBytes : null);
        return false;
      }
      perIp.set(key, n + 1);
      open++;
      socket.once('close', () => release(key));
      return true;
    },
    open: () => open,
    refused: () => refused,
    banned: () => banned,
    setRefuse(fn) {
      refuse = fn;
    },
    setMaxPerIp(n) {
      maxPerIp = n;
    },
  };
}
