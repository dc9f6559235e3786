// The demo origin in its own process, answering some of the drill's pages the
// way a real site might: 404 for the paths in ORIGIN_NOT_FOUND (comma list,
// exact paths) and 401 for form posts to the paths in ORIGIN_UNAUTHORIZED
// (a login that refuses the drill's credentials). Everything else is the demo
// origin's. For bench/drills/evidence.ts: an origin's ordinary 4xx answers are
// not harm done by an attack. Prints its URL on stdout; stops on SIGTERM.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startDemoOrigin } from '../../src/demo/origin.js';

const list = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const notFound = new Set(list(process.env.ORIGIN_NOT_FOUND));
const unauthorized = new Set(list(process.env.ORIGIN_UNAUTHORIZED));

const o = await startDemoOrigin({
  host: '127.0.0.1',
  port: 0,
  maxConcurrency: Number(process.env.ORIGIN_CONCURRENCY ?? 32),
  searchCpuMs: Number(process.env.ORIGIN_SEARCH_MS ?? 4),
});
const [demo] = o.server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
o.server.removeAllListeners('request');
o.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
  const path = (req.url ?? '/').split('?')[0];
  const status = notFound.has(path) ? 404 : req.method === 'POST' && unauthorized.has(path) ? 401 : 0;
  if (status === 0) return demo.call(o.server, req, res);
  req.resume();
  const body = status === 404 ? 'not found' : 'wrong user or password';
  res.writeHead(status, {
    'content-type': 'text/plain',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
});
process.stdout.write(`${o.url}\n`);
process.on('SIGTERM', () => void o.close().then(() => process.exit(0)));
