// Connection guard at accept time: per-address concurrent connection cap and
// refusal of banned addresses before any HTTP parsing. Memory: one Map entry
// per address with an open connection (bounded by max_connections).
import type { Socket } from 'node:net';
import { clientKeyOf, normalizeIp } from '../core/ip.js';

export interface ConnectionGuardOptions {
  maxPerIp: number;
  /** Optional accept-time filter (bans); true means refuse. */
  refuse?: ((ip: string) => boolean) | null;
  /** Bytes written before closing a refused plain-HTTP socket (TLS sockets are just closed). */
  plainRefusal?: Buffer | null;
}

export interface ConnectionGuard {
  /** Returns false when the socket was refused (and closed). `plain`: not TLS, refusal bytes can be written. */
  admit(socket: Socket, plain: boolean): boolean;
  open(): number;
  refused(): number;
  setRefuse(fn: ((ip: string) => boolean) | null): void;
  setMaxPerIp(n: number): void;
}

export function createConnectionGuard(opts: ConnectionGuardOptions): ConnectionGuard {
  const perIp = new Map<number, number>();
  let maxPerIp = opts.maxPerIp;
  let refuse = opts.refuse ?? null;
  let open = 0;
  let refused = 0;

  function release(key: number): void {
    open--;
    const n = (perIp.get(key) ?? 1) - 1;
    if (n <= 0) perIp.delete(key);
    else perIp.set(key, n);
  }

  function reject(socket: Socket, plain: boolean): false {
    refused++;
    if (plain && opts.plainRefusal) socket.end(opts.plainRefusal);
    else socket.destroy();
    socket.on('error', () => {});
    return false;
  }

  return {
    admit(socket, plain) {
      const ip = normalizeIp(socket.remoteAddress ?? '');
      if (refuse !== null && refuse(ip)) return reject(socket, plain);
      const key = clientKeyOf(ip);
      const n = perIp.get(key) ?? 0;
      if (n >= maxPerIp) return reject(socket, plain);
      perIp.set(key, n + 1);
      open++;
      socket.once('close', () => release(key));
      return true;
    },
    open: () => open,
    refused: () => refused,
    setRefuse(fn) {
      refuse = fn;
    },
    setMaxPerIp(n) {
      maxPerIp = n;
    },
  };
}
