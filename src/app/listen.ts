// Opening the listeners: clear errors for a port in use or denied, the
// slowloris closes noted for the detector, and a warning when the origin
// cannot be reached at start. Not the listeners themselves (src/proxy/listeners.ts).
import { connect } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { StartupError } from '../core/errors.js';
import { normalizeIp } from '../core/ip.js';
import type { HostPort } from '../config/schema.js';
import type { AnyServer } from '../proxy/listeners.js';
import type { Detector } from '../detector/detector.js';
import type { Logger } from './logger.js';

/**
 * Connections closed by the header deadline (slowloris) go to the detector with their address, and
 * whether they never sent a byte (a browser's unused spare connection: never a ban by itself).
 */
export function noteDeadlines(server: AnyServer, detector: Detector): void {
  (server as HttpServer).on(
    'clientError',
    (err: NodeJS.ErrnoException, socket: { remoteAddress?: string; bytesRead?: number }) => {
      if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT')
        detector.noteSlowConnection(normalizeIp(socket.remoteAddress ?? ''), (socket.bytesRead ?? 0) === 0);
    },
  );
}

export function sameAddress(a: HostPort, b: HostPort): boolean {
  return a.host === b.host && (a.port === b.port || b.port === 0);
}

/** `backlog`: listen(2)'s queue of connections not yet accepted (limits.listen_backlog). */
export function listen(server: AnyServer, at: HostPort, backlog?: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE')
        reject(
          new StartupError(
            'E_PORT_IN_USE',
            `cannot listen on ${at.host}:${at.port}: the port is in use`,
            'stop the other program or choose another port with --listen',
          ),
        );
      else if (err.code === 'EACCES')
        reject(
          new StartupError(
            'E_PORT_DENIED',
            `cannot listen on ${at.host}:${at.port}: permission denied`,
            'ports below 1024 need privileges; use e.g. 8080',
          ),
        );
      else
        reject(
          new StartupError('E_LISTEN', `cannot listen on ${at.host}:${at.port}: ${err.message}`, '', { cause: err }),
        );
    };
    server.once('error', onError);
    server.listen({ port: at.port, host: at.host, backlog }, () => {
      server.off('error', onError);
      server.on('error', () => {}); // later accept errors (EMFILE…) must not crash the process
      resolve();
    });
  });
}

/** Warns (does not fail) when the origin cannot be reached at start: requests get 502 until it appears. */
export function checkOrigin(origin: string, log: Logger): void {
  const u = new URL(origin);
  const port = Number(u.port) || (u.protocol === 'https:' ? 443 : 80);
  const s = connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port });
  s.setTimeout(3000, () => s.destroy(new Error('timeout')));
  s.once('connect', () => s.destroy());
  s.once('error', (err) =>
    log.warn({ origin, err: err.message }, 'origin unreachable at start; serving 502 until it answers'),
  );
}
