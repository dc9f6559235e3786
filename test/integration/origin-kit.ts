// A controllable origin for the origin-protection tests: per-path responses
// (status, headers, body), a gate that holds requests until released (for
// contention), failure modes (503, connection reset), stop/restart on the same
// port, and counts: hits per target, order of arrival, in-flight and its peak.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createApp, type App } from '../../src/app/app.js';
import { createLogger } from '../../src/app/logger.js';
import { loadConfigObject } from '../../src/config/load.js';
import type { Clock } from '../../src/core/clock.js';
import type { Config } from '../../src/config/schema.js';
import { tempDataDir } from '../helpers/temp-data-dir.js';
import { waitFor } from '../helpers/wait.js';

export interface Reply {
  status?: number;
  headers?: Record<string, string | string[]>;
  body?: string;
}

export interface TestOrigin {
  url: string;
  port: number;
  /** Targets in arrival order. */
  seen: string[];
  hits(target: string): number;
  inFlight(): number;
  peak(): number;
  set(path: string, r: Reply): void;
  /** Hold every request until release(n) lets n go (all when omitted). */
  hold(): void;
  release(n?: number): void;
  held(): number;
  /** '503': answer 503; 'reset': destroy the socket; 'ok': normal. */
  fail(mode: 'ok' | '503' | 'reset'): void;
  stop(): Promise<void>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestOrigin(): Promise<TestOrigin> {
  const replies = new Map<string, Reply>();
  const seen: string[] = [];
  const counts = new Map<string, number>();
  const sockets = new Set<Socket>();
  const waiting: Array<() => void> = [];
  let holding = false;
  let mode: 'ok' | '503' | 'reset' = 'ok';
  let inFlight = 0;
  let peak = 0;

  function answer(req: IncomingMessage, res: ServerResponse): void {
    if (mode === 'reset') return void req.socket.destroy();
    if (mode === '503') {
      res.writeHead(503, { 'content-type': 'text/plain' });
      return void res.end('origin down');
    }
    const path = (req.url ?? '/').split('?')[0];
    const r = replies.get(path) ?? {};
    const body = r.body ?? `body of ${req.url} for ${req.headers['accept-language'] ?? '-'}`;
    res.writeHead(r.status ?? 200, {
      'content-type': 'text/plain',
      'content-length': Buffer.byteLength(body),
      ...r.headers,
    });
    res.end(body);
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const target = req.url ?? '/';
    seen.push(target);
    counts.set(target, (counts.get(target) ?? 0) + 1);
    if (++inFlight > peak) peak = inFlight;
    res.once('close', () => inFlight--);
    if (holding) waiting.push(() => answer(req, res));
    else answer(req, res);
  };

  let server: Server = createServer(handler);
  const track = (s: Server) =>
    s.on('connection', (c: Socket) => {
      sockets.add(c);
      c.once('close', () => sockets.delete(c));
    });
  track(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;

  const stop = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    hits: (t) => counts.get(t) ?? 0,
    inFlight: () => inFlight,
    peak: () => peak,
    set: (p, r) => void replies.set(p, r),
    hold: () => void (holding = true),
    release(n = Infinity) {
      if (n === Infinity) holding = false;
      for (let i = 0; i < n && waiting.length > 0; i++) waiting.shift()!();
    },
    held: () => waiting.length,
    fail: (m) => void (mode = m),
    stop,
    async restart() {
      server = createServer(handler);
      track(server);
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    },
    close: async () => {
      holding = false;
      for (const w of waiting.splice(0)) w();
      await stop();
    },
  };
}

/** Polls until `cond` holds (helpers/wait.ts, every 5 ms: these tests watch single requests queue and leave). */
export async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  await waitFor(cond, { what, timeoutMs: ms, intervalMs: 5 });
}

/** A full Rampart in front of `origin`; challenge and detector off unless overridden, so only origin protection acts. */
export async function startProtected(
  origin: string,
  op: Record<string, unknown>,
  clock?: Clock,
  extra: Record<string, unknown> = {},
): Promise<App & { base: string }> {
  const app = createApp(protectedConfig(origin, op, extra), {
    log: createLogger(process.env.RAMPART_TEST_LOG ?? 'silent'),
    clock,
  });
  await app.start();
  return Object.assign(app, { base: app.url() });
}

/** The configuration startProtected uses (for reloads). */
export function protectedConfig(
  origin: string,
  op: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Config {
  return loadConfigObject({
    listen: '127.0.0.1:0',
    origin,
    hosts: ['127.0.0.1', 'site.test'],
    admin: { listen: '127.0.0.1:0' },
    challenge: { enabled: false },
    detector: { enabled: false },
    origin_protection: op,
    data_dir: tempDataDir(), // not the shared ./data: no test restores what another's shield saved
    ...extra,
  });
}

export interface Got {
  status: number;
  verdict: string;
  age: string | null;
  body: string;
  headers: Headers;
}

export async function get(base: string, path: string, headers: Record<string, string> = {}): Promise<Got> {
  const r = await fetch(base + path, { headers });
  const body = await r.text();
  return {
    status: r.status,
    verdict: r.headers.get('rampart-verdict') ?? '',
    age: r.headers.get('age'),
    body,
    headers: r.headers,
  };
}
