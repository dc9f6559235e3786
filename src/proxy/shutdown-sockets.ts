// The sockets a listener's shutdown must close itself: upgraded (WebSocket)
// sockets and, for HTTP/2, the sessions, which Node's close*Connections do
// not reach. Not the graceful-shutdown sequence (app). Memory: one Set entry
// per such socket, bounded by max_connections; removed on 'close'.
import type { Server as HttpServer } from 'node:http';
import type { Http2SecureServer, ServerHttp2Session } from 'node:http2';
import type { Duplex } from 'node:stream';

/**
 * node:http's closeAllConnections() does not see upgraded sockets (WebSocket
 * tunnels are detached from the server) and HTTP/2 servers have neither
 * closeIdleConnections nor closeAllConnections, so a shutdown would wait on
 * them forever. Each listener keeps its own set of such sockets (bounded by
 * max_connections) and its close*Connections methods cover them too.
 */
export function trackForShutdown(server: HttpServer | Http2SecureServer, plain: boolean): Set<Duplex> {
  const extra = new Set<Duplex>();
  const s = server as HttpServer;
  const closeAll = s.closeAllConnections?.bind(s);
  const closeIdle = s.closeIdleConnections?.bind(s);
  s.closeAllConnections = () => {
    closeAll?.();
    for (const sock of extra) sock.destroy();
    extra.clear();
  };
  if (!plain) {
    // HTTP/2: a graceful GOAWAY lets streams in flight finish, then the session closes.
    const sessions = new Set<ServerHttp2Session>();
    (server as Http2SecureServer).on('session', (session: ServerHttp2Session) => {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
    });
    s.closeIdleConnections = () => {
      for (const session of sessions) session.close();
    };
  } else if (closeIdle) s.closeIdleConnections = closeIdle;
  return extra;
}

/** Adds a socket to the listener's set until it closes. */
export function track(set: Set<Duplex>, socket: Duplex): void {
  set.add(socket);
  socket.once('close', () => set.delete(socket));
}
