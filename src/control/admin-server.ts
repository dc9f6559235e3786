// The admin listener: its own HTTP server (never the proxy's), bearer-token
// auth with brute-force limits, JSON in and out with `{ error: { code, message,
// hint } }` on failure, and the routes every module contributed. Not the routes
// themselves (admin-routes.ts, dashboard-routes.ts, metrics.ts provide them).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StartupError } from '../core/errors.js';
import { createAdminAuth } from './admin-auth.js';
import { ApiError, errorJson } from './admin-errors.js';
import { compileRouter, type Router } from './admin-router.js';
import type { AdminReply, AdminRoute } from './admin-types.js';

export interface AdminServerOptions {
  listen: { host: string; port: number };
  token: string;
  routes: readonly AdminRoute[];
  now(): number;
  /** Called with unexpected handler errors (bugs): the client gets a generic 500. */
  onError(err: unknown, method: string, path: string): void;
  maxBodyBytes?: number;
}

export interface AdminServer {
  start(): Promise<void>;
  stop(): Promise<void>;
  url(): string;
  readonly router: Router;
}

const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};

export function createAdminServer(o: AdminServerOptions): AdminServer {
  const router = compileRouter(o.routes);
  const auth = createAdminAuth({ token: o.token, now: o.now });
  const maxBody = o.maxBodyBytes ?? 64 * 1024;
  let server: Server | null = null;

  function send(res: ServerResponse, reply: AdminReply, head: boolean): void {
    const status = reply.status ?? 200;
    const headers: Record<string, string> = { ...SECURITY_HEADERS, 'cache-control': 'no-store', ...reply.headers };
    let body: string | Buffer;
    if (reply.body !== undefined) {
      body = reply.body;
      headers['content-type'] = reply.type ?? 'application/octet-stream';
    } else {
      body = status === 204 ? '' : JSON.stringify(reply.json ?? null);
      headers['content-type'] = 'application/json; charset=utf-8';
    }
    headers['content-length'] = String(Buffer.byteLength(body));
    res.writeHead(status, headers);
    res.end(head ? undefined : body);
  }

  function fail(
    res: ServerResponse,
    status: number,
    code: string,
    message: string,
    hint = '',
    extra: Record<string, string> = {},
    details?: unknown,
  ): void {
    send(res, { status, json: errorJson(code, message, hint, details), headers: extra }, false);
  }

  function readBody(req: IncomingMessage): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let n = 0;
      req.on('data', (c: Buffer) => {
        n += c.length;
        if (n > maxBody) {
          reject(
            new ApiError(
              413,
              'E_BODY_TOO_LARGE',
              `request body over ${maxBody} bytes`,
              'admin requests are small JSON objects',
            ),
          );
          req.destroy();
        } else chunks.push(c);
      });
      req.on('error', reject);
      req.on('end', () => {
        if (n === 0) return resolve(null);
        const type = String(req.headers['content-type'] ?? '');
        if (!/^application\/json\b/i.test(type))
          return reject(
            new ApiError(415, 'E_CONTENT_TYPE', 'the body must be JSON', 'send "Content-Type: application/json"'),
          );
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (e) {
          reject(
            new ApiError(
              400,
              'E_BAD_JSON',
              `the body is not valid JSON: ${(e as Error).message}`,
              'check quoting and commas',
            ),
          );
        }
      });
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://admin.invalid');
    } catch {
      return fail(res, 400, 'E_BAD_URL', 'malformed request target');
    }
    const m = router.match(method, url.pathname);
    if (m === null)
      return fail(
        res,
        404,
        'E_NOT_FOUND',
        `no admin endpoint ${url.pathname}`,
        'see docs/admin-api.yaml for the endpoints',
      );
    if ('allow' in m)
      return fail(
        res,
        405,
        'E_METHOD',
        `${method} is not allowed on ${url.pathname}`,
        `allowed: ${m.allow.join(', ')}`,
        { allow: m.allow.join(', ') },
      );
    const ip = normalize(req.socket.remoteAddress ?? '');
    if (m.route.auth !== false) {
      const a = auth.check(req.headers.authorization, ip);
      if (!a.ok)
        return fail(
          res,
          a.status,
          a.code,
          a.message,
          a.hint,
          a.retryAfter ? { 'retry-after': String(a.retryAfter) } : {},
        );
    }
    try {
      const body = method === 'GET' || method === 'HEAD' ? null : await readBody(req);
      const reply = await m.route.handler({
        method,
        path: url.pathname,
        params: m.params,
        query: url.searchParams,
        body,
        ip,
        raw: req,
      });
      send(res, reply, method === 'HEAD');
    } catch (e) {
      if (e instanceof ApiError) return fail(res, e.status, e.code, e.message, e.hint, {}, e.details);
      o.onError(e, method, url.pathname);
      fail(res, 500, 'E_INTERNAL', 'internal error in the admin API', 'see the Rampart log');
    }
  }

  return {
    router,
    async start() {
      server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, (req, res) => {
        handle(req, res).catch((e) => {
          o.onError(e, req.method ?? '', req.url ?? '');
          if (!res.headersSent) fail(res, 500, 'E_INTERNAL', 'internal error in the admin API');
        });
      });
      server.maxConnections = 256;
      const s = server;
      await new Promise<void>((resolve, reject) => {
        s.once('error', (err: NodeJS.ErrnoException) =>
          reject(
            new StartupError(
              'E_ADMIN_LISTEN',
              `cannot listen on admin address ${o.listen.host}:${o.listen.port}: ${err.code ?? err.message}`,
              'choose another admin.listen, or stop the program using that port',
              { cause: err },
            ),
          ),
        );
        s.listen(o.listen.port, o.listen.host, () => {
          s.removeAllListeners('error');
          s.on('error', () => {});
          resolve();
        });
      });
    },
    async stop() {
      const s = server;
      server = null;
      if (!s) return;
      await new Promise<void>((r) => {
        s.close(() => r());
        s.closeAllConnections();
      });
    },
    url() {
      const a = server?.address() as AddressInfo | null | undefined;
      if (!a) return '';
      return `http://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`;
    },
  };
}

function normalize(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}
