// A small HTTP client for the challenge tests: one request on a fresh
// connection (optionally from a chosen loopback source address, optionally
// over TLS), returning status, headers and the body as text; plus parsers for
// the interstitial's challenge fields and the pass cookie. Loopback only.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FetchOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Source address, e.g. 127.0.9.1 to come from another /24 prefix. */
  localAddress?: string;
  /** Send to the TLS listener instead (SNI "localhost", trusting `ca`). */
  tls?: { port: number; ca: Buffer };
}

export function fetchRaw(port: number, path: string, o: FetchOptions = {}): Promise<Reply> {
  const headers = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) rampart-test', ...o.headers };
  const common = {
    host: '127.0.0.1',
    path,
    method: o.method ?? 'GET',
    headers,
    agent: false as const,
    localAddress: o.localAddress,
  };
  return new Promise((resolve, reject) => {
    const req = o.tls
      ? httpsRequest({
          ...common,
          port: o.tls.port,
          ca: o.tls.ca,
          servername: 'localhost',
          headers: { ...headers, host: 'localhost' },
        })
      : httpRequest({ ...common, port });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

/** The token, seed, difficulty and return target embedded in a rendered interstitial. */
export function pageParams(html: string): { token: string; seed: string; bits: number; ret: string } {
  const get = (re: RegExp) => re.exec(html)?.[1] ?? '';
  return {
    token: get(/name="challenge" value="([^"]+)"/),
    seed: get(/data-seed="([^"]+)"/),
    bits: Number(get(/data-bits="(\d+)"/)),
    ret: get(/name="return" value="([^"]*)"/),
  };
}

/** "name=value" of a Set-Cookie header line (drops the attributes). */
export function passOf(setCookie: string): string {
  return setCookie.split(';', 1)[0];
}
