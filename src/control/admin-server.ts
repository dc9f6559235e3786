// The admin listener: its own HTTP server (never the proxy's), bearer-token
// auth with brute-force limits, JSON in and out with `{ error: { code, message,
// hint } }` on failure, and the routes every module contributed. Not the routes
// themselves (admin-routes.ts, dashboard-routes.ts, metrics.ts provide them).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StartupError } from '../core/errors.js';
import { createAdminAuth, type AdminAuth } from './admin-auth.js';
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
  return new AdminListener(o);
}

class AdminListener implements AdminServer {
  readonly router: Router;
  private readonly auth: AdminAuth;
  private readonly maxBody: number;
  private server: Server | null = null;

  constructor(private readonly o: AdminServerOptions) {
    this.router = compileRouter(o.routes);
    this.auth = createAdminAuth({ token: o.token, now: o.now });
    this.maxBody = o.maxBodyBytes ?? 64 * 1024;
  }

  async start(): Promise<void> {
    const s = createServer({ requestTimeout: 30_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 }, (req, res) => {
      this.handle(req, res).catch((e) => {
        this.o.onError(e, req.method ?? '', req.url ?? '');
        if (!res.headersSent) fail(res, 500, 'E_INTERNAL', 'internal error in the admin API');
      });
    });
    this.server = s;
    s.maxConnections = 256;
    const { host, port } = this.o.listen;
    await new Promise<void>((resolve, reject) => {
      s.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new StartupError(
            'E_ADMIN_LISTEN',
            `cannot listen on admin address ${host}:${port}: ${err.code ?? err.message}`,
            'choose another admin.listen, or stop the program using that port',
            { cause: err },
          ),
        ),
      );
      s.listen(port, host, () => {
        s.removeAllListeners('error');
        s.on('error', () => {});
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    await new Promise<void>((r) => {
      s.close(() => r());
      s.closeAllConnections();
    });
  }

  url(): string {
    const a = this.server?.address() as AddressInfo | null | undefined;
    if (!a) return '';
    return `http://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://admin.invalid');
    } catch {
      return fail(res, 400, 'E_BAD_URL', 'malformed request target');
    }
    const m = this.router.match(method, url.pathname);
    if (m === null)
      return fail(
        res,
        404,
        'E_NOT_FOUND',
        `no admin endpoint ${url.pathname}`,
        'see docs/admin-api.yaml for the endpoints',
      );
    if ('allow' in m) {
      const allow = m.allow.join(', ');
      return fail(res, 405, 'E_METHOD', `${method} is not allowed on ${url.pathname}`, `allowed: ${allow}`, { allow });
    }
    const ip = normalize(req.socket.remoteAddress ?? '');
    if (m.route.auth !== false && !this.authorized(req, res, ip)) return;
    try {
      const body = method === 'GET' || method === 'HEAD' ? null : await readJsonBody(req, this.maxBody);
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
      this.o.onError(e, method, url.pathname);
      fail(res, 500, 'E_INTERNAL', 'internal error in the admin API', 'see the Rampart log');
    }
  }

  /** Checks the bearer token (with its brute-force limits); answers the refusal itself. */
  private authorized(req: IncomingMessage, res: ServerResponse, ip: string): boolean {
    const a = this.auth.check(req.headers.authorization, ip);
    if (a.ok) return true;
    fail(res, a.status, a.code, a.message, a.hint, a.retryAfter ? { 'retry-after': String(a.retryAfter) } : {});
    return false;
  }
}

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

/** Answers `{ error: { code, message, hint, details? } }`. */
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

/** The request's JSON body (null when empty), at most `maxBody` bytes; bad input is an ApiError. */
function readJsonBody(req: IncomingMessage, maxBody: number): Promise<unknown> {
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
        const why = `the body is not valid JSON: ${(e as Error).message}`;
        reject(new ApiError(400, 'E_BAD_JSON', why, 'check quoting and commas'));
      }
    });
  });
}

function normalize(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}
