// The demo origin: a small campaign site (home with CSS/JS/images, donate
// and login forms, a CPU-costly search, a sensitive donor API, materials) with
// a fixed capacity, like a real small server; templated API routes by
// number, hex id and UUID for id-walking drills. Beyond `maxConcurrency` requests
// wait in a short queue; beyond that it answers 503 "closed for maintenance".
// It counts what reached it (by route, and drill-tagged attack vs legit
// requests via the `x-drill-role` header) so drills and benchmarks can score
// the shield. Not a production server: everything is in memory.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import * as site from './site.js';

export interface DemoOriginOptions {
  host?: string;
  port?: number;
  /** Requests handled at once; the rest queue (default 32). */
  maxConcurrency?: number;
  /** Requests allowed to wait for a slot before 503 (default 4 × maxConcurrency). */
  queueLimit?: number;
  /** CPU time one /search costs, in ms of hashing (default 4). */
  searchCpuMs?: number;
}

export interface DemoOriginStats {
  total: number;
  /** Requests tagged `x-drill-role: attack` by a drill. */
  attack: number;
  legit: number;
  byRoute: Record<string, number>;
  inFlight: number;
  /** Most requests present at once (running plus queued). */
  peakInFlight: number;
  /** Answered 503 because the queue was full. */
  rejected: number;
}

export interface DemoOrigin {
  url: string;
  port: number;
  server: Server;
  stats(): DemoOriginStats;
  reset(): void;
  /** Adds latency to every response (tests of slow origins). */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  cache = 'no-store',
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': cache,
    ...extra,
  });
  res.end(body);
}

const HTML = 'text/html; charset=utf-8';
const JSON_T = 'application/json';

/** Reads a small urlencoded body (≤ 16 KiB), then calls back with its fields. */
function form(req: IncomingMessage, res: ServerResponse, done: (f: URLSearchParams) => void): void {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => {
    body += c;
    if (body.length > 16384) req.destroy();
  });
  req.on('end', () => done(new URLSearchParams(body)));
  req.on('error', () => res.destroy());
}

/** Burns about `ms` of CPU the way a real search backend would (hashing the index). */
function burn(ms: number, q: string): string[] {
  const until = performance.now() + ms;
  let h = q;
  do h = createHash('sha256').update(h).digest('hex');
  while (performance.now() < until);
  const needle = q.toLowerCase();
  return site.DOCUMENTS.filter((d) => d.toLowerCase().includes(needle)).slice(0, 20);
}

function routes(searchCpuMs: number): Map<string, Handler> {
  const r = new Map<string, Handler>();
  r.set('GET /', (_q, s) => send(s, 200, HTML, site.HOME, 'public, max-age=10'));
  r.set('GET /materials', (_q, s) => send(s, 200, HTML, site.MATERIALS, 'public, max-age=60'));
  r.set('GET /static/site.css', (_q, s) => send(s, 200, 'text/css', site.CSS, 'public, max-age=3600'));
  r.set('GET /static/app.js', (_q, s) => send(s, 200, 'text/javascript', site.JS, 'public, max-age=3600'));
  r.set('GET /static/logo.svg', (_q, s) => send(s, 200, 'image/svg+xml', site.LOGO_SVG, 'public, max-age=3600'));
  r.set('GET /static/hero.svg', (_q, s) => send(s, 200, 'image/svg+xml', site.HERO_SVG, 'public, max-age=3600'));
  r.set('GET /donate', (_q, s) => send(s, 200, HTML, site.DONATE));
  r.set('GET /login', (_q, s) => send(s, 200, HTML, site.LOGIN));
  r.set('GET /healthz', (_q, s) => send(s, 200, 'text/plain', 'ok\n'));
  r.set('GET /search', (_q, s, u) => {
    const q = (u.searchParams.get('q') ?? '').slice(0, 200);
    send(s, 200, HTML, site.results(q, burn(searchCpuMs, q)));
  });
  r.set('POST /donate', (q, s) =>
    form(q, s, (f) => {
      const amount = Number(f.get('amount'));
      const name = (f.get('name') ?? '').slice(0, 100);
      if (!name || !Number.isFinite(amount) || amount < 1) return send(s, 400, HTML, site.DONATE);
      send(s, 200, HTML, site.thanks(name, Math.round(amount)));
    }),
  );
  r.set('POST /login', (q, s) =>
    form(q, s, (f) => {
      if (f.get('user') === 'volunteer' && f.get('password') === 'riverton') {
        return send(s, 200, HTML, site.thanks('volunteer', 0).replace('Thank you', 'Welcome'), 'no-store', {
          'set-cookie': 'demo_session=v1; HttpOnly; SameSite=Lax; Path=/',
        });
      }
      send(s, 401, HTML, site.LOGIN);
    }),
  );
  return r;
}

const HEX_ID = /^[0-9a-f]{8,32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The templated API routes drills walk: donors by number, receipts by hex id, volunteers by UUID. */
function idRoute(req: IncomingMessage, res: ServerResponse, path: string): boolean {
  if (req.method !== 'GET') return false;
  if (path.startsWith('/api/donors/')) {
    const id = Number(path.slice(12));
    if (!Number.isInteger(id) || id < 1 || id > 5000) send(res, 404, JSON_T, '{"error":"no such donor"}');
    else send(res, 200, JSON_T, JSON.stringify(site.donor(id)));
    return true;
  }
  if (path.startsWith('/api/receipts/')) {
    const id = path.slice(14).toLowerCase();
    if (!HEX_ID.test(id)) send(res, 404, JSON_T, '{"error":"no such receipt"}');
    else send(res, 200, JSON_T, JSON.stringify(site.receipt(id)));
    return true;
  }
  if (path.startsWith('/api/volunteers/')) {
    const id = path.slice(16).toLowerCase();
    if (!UUID.test(id)) send(res, 404, JSON_T, '{"error":"no such volunteer"}');
    else send(res, 200, JSON_T, JSON.stringify(site.volunteer(id)));
    return true;
  }
  return false;
}

function routeName(path: string): string {
  if (path.startsWith('/static/')) return 'static';
  if (path.startsWith('/api/donors/')) return 'donors';
  if (path.startsWith('/api/receipts/')) return 'receipts';
  if (path.startsWith('/api/volunteers/')) return 'volunteers';
  const slash = path.indexOf('/', 1);
  return slash < 0 ? path : path.slice(0, slash);
}

export async function startDemoOrigin(opts: DemoOriginOptions = {}): Promise<DemoOrigin> {
  const origin = new DemoOriginServer(opts);
  await origin.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
  return origin;
}

const freshStats = (): DemoOriginStats => ({
  total: 0,
  attack: 0,
  legit: 0,
  byRoute: {},
  inFlight: 0,
  peakInFlight: 0,
  rejected: 0,
});

/** The server with its capacity: `max` requests running, `queueLimit` waiting, the rest refused with 503. */
class DemoOriginServer implements DemoOrigin {
  url = '';
  port = 0;
  readonly server: Server;
  private readonly max: number;
  private readonly queueLimit: number;
  private readonly table: Map<string, Handler>;
  private delay = 0;
  private running = 0;
  private readonly queue: Array<() => void> = [];
  private counts = freshStats();

  constructor(opts: DemoOriginOptions) {
    this.max = opts.maxConcurrency ?? 32;
    this.queueLimit = opts.queueLimit ?? this.max * 4;
    this.table = routes(opts.searchCpuMs ?? 4);
    this.server = createServer((req, res) => this.admit(req, res));
    this.server.keepAliveTimeout = 30_000;
  }

  async listen(port: number, host: string): Promise<void> {
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const a = server.address() as AddressInfo;
    const shown = a.address.includes(':') ? `[${a.address}]` : a.address;
    this.url = `http://${shown}:${a.port}`;
    this.port = a.port;
  }

  stats(): DemoOriginStats {
    return { ...this.counts, byRoute: { ...this.counts.byRoute } };
  }

  reset(): void {
    this.counts = { ...freshStats(), inFlight: this.counts.inFlight };
  }

  setDelay(ms: number): void {
    this.delay = ms;
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  /** Counts the request, then runs it, queues it, or refuses it when the queue is full. */
  private admit(req: IncomingMessage, res: ServerResponse): void {
    const stats = this.counts;
    if (req.url === '/__demo/stats') {
      send(res, 200, JSON_T, JSON.stringify(stats));
      return;
    }
    stats.total++;
    if (req.headers['x-drill-role'] === 'attack') stats.attack++;
    else stats.legit++;
    const route = routeName((req.url ?? '/').split('?')[0]);
    stats.byRoute[route] = (stats.byRoute[route] ?? 0) + 1;
    if (++stats.inFlight > stats.peakInFlight) stats.peakInFlight = stats.inFlight;
    if (this.running < this.max) {
      this.run(req, res);
      return;
    }
    if (this.queue.length >= this.queueLimit) {
      stats.rejected++;
      stats.inFlight--;
      send(res, 503, HTML, site.BUSY, 'no-store', { 'retry-after': '30' });
      return;
    }
    this.queue.push(() => this.run(req, res));
  }

  private run(req: IncomingMessage, res: ServerResponse): void {
    if (req.socket.destroyed) {
      // The client left while queued: its slot goes to the next one.
      this.counts.inFlight--;
      this.queue.shift()?.();
      return;
    }
    this.running++;
    res.once('close', () => {
      this.running--;
      this.counts.inFlight--;
      this.queue.shift()?.();
    });
    if (this.delay > 0) setTimeout(() => this.handle(req, res), this.delay);
    else this.handle(req, res);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://origin.invalid');
    const h = this.table.get(`${req.method} ${url.pathname}`);
    if (h) h(req, res, url);
    else if (!idRoute(req, res, url.pathname)) send(res, 404, HTML, site.NOT_FOUND);
  }
}
