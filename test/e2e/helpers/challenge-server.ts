// A minimal shield for browser tests of the challenge stage alone: node:http
// on 127.0.0.1 port 0 builds a RequestContext per request (address, prefix,
// identity's real fingerprint), runs the challenge stage with
// challengeRequired = true, and when it lets the request through answers as
// the origin: "ORIGIN OK <target>". Independent of the full proxy (src/app); the
// drill tests use it; the challenge e2e tests run through the full app instead.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { RequestContext, isThenable, type Verdict } from '../../../src/core/model.js';
import { normalizeIp, prefixKeyOf } from '../../../src/core/ip.js';
import { fingerprintOf } from '../../../src/identity/fingerprint.js';
import { camelize } from '../../../src/config/camelize.js';
import { challengeSchema } from '../../../src/config/schema/challenge.js';
import { compileChallenge, type Challenge, type Mode } from '../../../src/challenge/stage.js';

export interface ChallengeServer {
  port: number;
  challenge: Challenge;
  /** Targets that reached the origin, in order. */
  originHits: string[];
  close(): Promise<void>;
}

function origin(ctx: RequestContext, hits: string[]): void {
  hits.push(ctx.target);
  const body = `<!doctype html><html lang="en"><title>Origin</title><p id="origin">ORIGIN OK ${ctx.target.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</p></html>\n`;
  ctx.res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  ctx.res.end(body);
}

function contextOf(req: IncomingMessage, res: ServerResponse): RequestContext {
  const ctx = new RequestContext(req, res);
  ctx.method = req.method ?? 'GET';
  ctx.target = req.url ?? '/';
  const q = ctx.target.indexOf('?');
  ctx.path = q < 0 ? ctx.target : ctx.target.slice(0, q);
  ctx.query = q < 0 ? '' : ctx.target.slice(q + 1);
  ctx.host = req.headers.host ?? '';
  ctx.clientIp = normalizeIp(req.socket.remoteAddress ?? '');
  ctx.prefixKey = prefixKeyOf(ctx.clientIp);
  ctx.fingerprint = fingerprintOf(req);
  ctx.challengeRequired = true;
  return ctx;
}

/** `yaml`: the `challenge:` section in snake_case, as an operator writes it. */
export async function startChallengeServer(
  yaml: Record<string, unknown> = {},
  mode: Mode = 'under_attack',
): Promise<ChallengeServer> {
  const config = camelize(challengeSchema.parse(yaml));
  const keys = [randomBytes(32)];
  const challenge = compileChallenge(config, { now: Date.now, keys: () => keys, mode: () => mode });
  const originHits: string[] = [];
  const server = createServer((req, res) => {
    const ctx = contextOf(req, res);
    const settle = (v: Verdict | null) => (v === null ? origin(ctx, originHits) : undefined);
    const r = challenge.stage.run(ctx);
    if (isThenable<Verdict | null>(r)) r.then(settle, () => res.destroy());
    else settle(r);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    challenge,
    originHits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
