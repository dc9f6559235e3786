// Test doubles for the challenge stage: a RequestContext over a fake request
// (a Readable with headers) and a response that records what was written.
// Used by the unit tests only; no listener, no sockets.
import { Readable } from 'node:stream';
import { RequestContext, type Req, type Res } from '../core/model.js';
import { prefixKeyOf } from '../core/ip.js';

export interface Written {
  status: number;
  headers: Record<string, string>;
  body: string;
  ended: boolean;
}

export interface FakeOptions {
  method?: string;
  target?: string;
  headers?: Record<string, string>;
  body?: string;
  ip?: string;
  proto?: 'http' | 'https';
  required?: boolean;
  routeClass?: string;
}

export function fakeCtx(o: FakeOptions = {}): { ctx: RequestContext; out: Written } {
  const req = Readable.from(o.body === undefined ? [] : [Buffer.from(o.body)]) as unknown as Req;
  const headers: Record<string, string> = { 'user-agent': 'Mozilla/5.0 test', ...o.headers };
  Object.assign(req, {
    method: o.method ?? 'GET',
    url: o.target ?? '/',
    headers,
    rawHeaders: Object.entries(headers).flat(),
  });
  const out: Written = { status: 0, headers: {}, body: '', ended: false };
  const res = {
    headersSent: false,
    shouldKeepAlive: true,
    writeHead(status: number, flat: string[]) {
      out.status = status;
      for (let i = 0; i < flat.length; i += 2) out.headers[flat[i].toLowerCase()] = flat[i + 1];
      res.headersSent = true;
    },
    end(body?: string | Buffer) {
      if (body !== undefined) out.body += body.toString();
      out.ended = true;
    },
  };
  const ctx = new RequestContext(req, res as unknown as Res);
  ctx.method = o.method ?? 'GET';
  ctx.target = o.target ?? '/';
  const q = ctx.target.indexOf('?');
  ctx.path = q < 0 ? ctx.target : ctx.target.slice(0, q);
  ctx.query = q < 0 ? '' : ctx.target.slice(q + 1);
  ctx.clientIp = o.ip ?? '203.0.113.7';
  ctx.prefixKey = prefixKeyOf(ctx.clientIp);
  ctx.proto = o.proto ?? 'http';
  ctx.challengeRequired = o.required ?? true;
  ctx.routeClass = o.routeClass ?? 'page';
  return { ctx, out };
}

/** The token, seed and difficulty embedded in a rendered interstitial. */
export function pageParams(html: string): { token: string; seed: string; bits: number; ret: string } {
  const get = (re: RegExp) => re.exec(html)?.[1] ?? '';
  return {
    token: get(/name="challenge" value="([^"]+)"/),
    seed: get(/data-seed="([^"]+)"/),
    bits: Number(get(/data-bits="(\d+)"/)),
    ret: get(/name="return" value="([^"]*)"/),
  };
}
