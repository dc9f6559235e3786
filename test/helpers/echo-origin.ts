// A test origin that answers every request with JSON describing exactly what
// it received: method, target, raw header list, the raw bytes of the request
// and the body. Paths: /status/N, /slow/MS, /big/KB (streamed), anything else echoes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Received {
  method: string;
  url: string;
  httpVersion: string;
  rawHeaders: string[];
  headers: Record<string, string | string[] | undefined>;
  body: string;
  bodyBytes: number;
  raw: string;
  remotePort: number;
}

export interface EchoOrigin {
  url: string;
  port: number;
  server: Server;
  received: Received[];
  connections: number;
  close(): Promise<void>;
}

export async function startEchoOrigin(): Promise<EchoOrigin> {
  const received: Received[] = [];
  const rawBySocket = new WeakMap<Socket, Buffer[]>();
  const state = { connections: 0 };
  const server = createServer({ keepAliveTimeout: 10_000 }, (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawChunks = rawBySocket.get(req.socket) ?? [];
      const raw = Buffer.concat(rawChunks).toString('latin1');
      rawBySocket.set(req.socket, []);
      const body = Buffer.concat(chunks);
      const r: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        httpVersion: req.httpVersion,
        rawHeaders: req.rawHeaders,
        headers: req.headers,
        body: body.toString('latin1'),
        bodyBytes: body.length,
        raw,
        remotePort: req.socket.remotePort ?? 0,
      };
      received.push(r);
      route(req, res, r);
    });
  });
  server.on('connection', (s: Socket) => {
    state.connections++;
    rawBySocket.set(s, []);
    s.on('data', (d: Buffer) => rawBySocket.get(s)?.push(d));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    received,
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function route(req: IncomingMessage, res: ServerResponse, r: Received): void {
  const url = req.url ?? '/';
  let m = /^\/status\/(\d{3})/.exec(url);
  if (m) {
    res.writeHead(Number(m[1]), { 'content-type': 'text/plain', 'x-origin': 'echo' });
    return void res.end(`status ${m[1]}`);
  }
  m = /^\/slow\/(\d+)/.exec(url);
  if (m) return void setTimeout(() => res.end('slow done'), Number(m[1]));
  m = /^\/big\/(\d+)/.exec(url);
  if (m) {
    const kb = Number(m[1]);
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = Buffer.alloc(1024, 97);
    let i = 0;
    const pump = (): void => {
      while (i < kb) {
        i++;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
    return;
  }
  if (url.startsWith('/cookies')) {
    res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
  }
  const out = Buffer.from(JSON.stringify(r));
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': out.length,
    connection: 'x-drop-me',
    'x-drop-me': 'secret',
    'keep-alive': 'timeout=10',
  });
  res.end(out);
}
