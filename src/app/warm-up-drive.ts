// The warm-up's traffic (src/app/warm-up.ts): a stand-in origin on a private
// loopback port, and virtual clients that send what a start into a flood
// brings at once — people who keep cookies, follow the checks and load a
// page's assets; tools that drop cookies, bust the cache with queries, post
// forms — each from its own loopback address (127.0.0.0/8, so every client is
// new to the client book), one keep-alive connection per client. Nothing here
// knows Rampart: it only sends requests to a port and counts the answers.
import { Agent, createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const PAGE =
  '<!doctype html><html><head><link rel="stylesheet" href="/assets/site.css"></head><body>warm-up</body></html>';
const TYPES: Record<string, string> = { css: 'text/css', js: 'text/javascript', png: 'image/png' };

/** The stand-in origin: a page, its assets (cacheable) and an API answer, whatever the path. */
export async function standInOrigin(): Promise<{ url: string; close(): void }> {
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const ext = /\.([a-z]+)$/.exec((req.url ?? '/').split('?')[0])?.[1] ?? '';
      const api = req.url?.startsWith('/api/') === true;
      const type = TYPES[ext] ?? (api ? 'application/json' : 'text/html; charset=utf-8');
      const body = ext !== '' ? 'body{margin:0}' : api ? '{"id":4711}' : PAGE;
      res.writeHead(200, { 'content-type': type, 'cache-control': ext !== '' ? 'public, max-age=60' : 'no-cache' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // exclusive: in a cluster worker, a port of its own (not a socket shared through the primary).
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.close();
      server.closeAllConnections();
    },
  };
}

const BROWSER_UA = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
];
const TOOL_UA = ['curl/8.5.0', 'python-requests/2.31.0', 'Go-http-client/1.1'];
const PAGES = ['/', '/news/today', '/donate', '/api/items/4711', '/search?q=vote'];
const ASSETS = ['/assets/site.css', '/assets/app.js', '/img/logo.png'];

interface Answer {
  status: number;
  location: string;
  cookies: string[];
}

export interface DriveStats {
  sent: number;
  answered: number;
  /** Answers by status code (the checks' 307s and 403s, the limits' 429s beside the 200s). */
  statuses: Record<number, number>;
}

export interface DriveOptions {
  port: number;
  host: string;
  /** Requests to send in all (the clients stop starting new requests past it). */
  requests: number;
  /** Clients at once. */
  concurrency: number;
  /** No request starts after this time (ms since the epoch). */
  deadline: number;
  /** Called once when half the requests are sent (the warm-up turns its private copy's attack mode on). */
  halfway(): void;
  /** Whether a client may bind its own loopback address (false after the system refused one). */
  ownAddresses: boolean;
}

/** Runs the clients until `requests` are sent or the deadline passes. */
export async function drive(o: DriveOptions): Promise<DriveStats> {
  const stats: DriveStats = { sent: 0, answered: 0, statuses: {} };
  let client = 0;
  let own = o.ownAddresses;
  let halved = false;
  const more = () => stats.sent < o.requests && Date.now() < o.deadline;
  const lane = async () => {
    while (more()) {
      const k = client++;
      const from = own ? `127.${1 + ((k >> 16) & 63)}.${(k >> 8) & 255}.${1 + (k % 254)}` : undefined;
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const send = (method: string, path: string, headers: Record<string, string>, body = '') => {
        stats.sent++;
        if (!halved && stats.sent * 2 >= o.requests) {
          halved = true;
          o.halfway();
        }
        return one(o.port, agent, from, method, path, { host: o.host, ...headers }, body).then((a) => {
          if (a.status === -1 && from !== undefined) own = false; // EADDRNOTAVAIL and the like: plain 127.0.0.1 from now on
          if (a.status > 0) {
            stats.answered++;
            stats.statuses[a.status] = (stats.statuses[a.status] ?? 0) + 1;
          }
          return a;
        });
      };
      await visit(k, send, more);
      agent.destroy();
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, lane));
  return stats;
}

type Send = (method: string, path: string, headers: Record<string, string>, body?: string) => Promise<Answer>;

/** One client's visit: a person (cookies kept, checks followed, assets loaded) or a tool, by its number. */
async function visit(k: number, send: Send, more: () => boolean): Promise<void> {
  const person = k % 3 !== 2;
  const ua = person ? BROWSER_UA[k % BROWSER_UA.length] : TOOL_UA[k % TOOL_UA.length];
  let cookie = '';
  const headers = () => ({
    'user-agent': ua,
    accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
    'accept-language': 'en-GB,en;q=0.9',
    ...(cookie === '' ? {} : { cookie }),
  });
  const keep = (a: Answer) => {
    if (person && a.cookies.length > 0) cookie = a.cookies.map((c) => c.split(';')[0]).join('; ');
  };
  const steps = 1 + (k % 4);
  for (let i = 0; i < steps && more(); i++) {
    const page = PAGES[(k + i) % PAGES.length];
    const path = person ? page : `${page}${page.includes('?') ? '&' : '?'}r=${(k * 7919 + i) % 100_003}`;
    const a =
      page === '/donate' && i > 0
        ? await send('POST', page, { ...headers(), 'content-type': 'application/x-www-form-urlencoded' }, 'amount=10')
        : await send('GET', path, headers());
    keep(a);
    if (!person) continue;
    if (a.location !== '' && a.location.startsWith('/') && more()) keep(await send('GET', a.location, headers()));
    for (const asset of ASSETS.slice(0, 1 + (k % ASSETS.length))) if (more()) keep(await send('GET', asset, headers()));
  }
}

function one(
  port: number,
  agent: Agent,
  localAddress: string | undefined,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string,
): Promise<Answer> {
  return new Promise((resolve) => {
    const r = request(
      { host: '127.0.0.1', port, method, path, agent, localAddress, headers },
      (res: IncomingMessage) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            location: String(res.headers.location ?? ''),
            cookies: res.headers['set-cookie'] ?? [],
          }),
        );
        res.on('error', () => resolve({ status: 0, location: '', cookies: [] }));
      },
    );
    r.setTimeout(2000, () => r.destroy());
    r.on('error', (e: NodeJS.ErrnoException) =>
      resolve({ status: e.code === 'EADDRNOTAVAIL' ? -1 : 0, location: '', cookies: [] }),
    );
    r.end(body === '' ? undefined : body);
  });
}
