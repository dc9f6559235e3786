// Raw connections a test keeps open from a chosen 127.x.y.z source (a slow
// head, a silent socket, a keep-alive after one request), to watch when the
// shield closes them and what it wrote first.
import { connect, type Socket } from 'node:net';

export interface Conn {
  socket: Socket;
  reply: () => string;
  closed: () => boolean;
}

/** An unfinished request head: the shield waits for the rest. */
export const SLOW_HEAD = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ';
export const FULL = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';

/** Opens a connection from `localAddress` and writes `payload` ('' sends nothing). */
export function openHeld(port: number, localAddress: string, payload: string): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    let text = '';
    let closed = false;
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('close', () => (closed = true));
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.on('error', () => {});
      if (payload) socket.write(payload);
      resolve({ socket, reply: () => text, closed: () => closed });
    });
  });
}
