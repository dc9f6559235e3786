// Upgrade pass-through (WebSocket): after the pipeline allowed the request,
// open a raw connection to the origin, send the cleaned request head, then
// splice both sockets. Whatever the origin answers (101 or a refusal) is
// relayed as bytes. No timeouts once spliced: WebSockets are long-lived.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { RequestContext } from '../core/model.js';
import { upstreamRequestHeaders } from './headers.js';
import { sendRefusal } from './refusals.js';
import { proxyVerdicts } from './verdicts.js';

export function tunnel(ctx: RequestContext, origin: URL, trusted: boolean, connectTimeoutMs: number): void {
  const client = ctx.req.socket as Socket;
  const https = origin.protocol === 'https:';
  const port = Number(origin.port) || (https ? 443 : 80);
  const host = origin.hostname.replace(/^\[|\]$/g, '');
  const upstream = https ? tlsConnect({ host, port, servername: host }) : netConnect({ host, port });
  let connected = false;
  upstream.setTimeout(connectTimeoutMs, () => upstream.destroy(new Error('connect timeout')));
  upstream.once(https ? 'secureConnect' : 'connect', () => {
    connected = true;
    upstream.setTimeout(0);
    client.setTimeout(0);
    const h = upstreamRequestHeaders(ctx, trusted, true);
    let head = `${ctx.method} ${ctx.target} HTTP/1.1\r\n`;
    for (let i = 0; i < h.length; i += 2) head += `${h[i]}: ${h[i + 1]}\r\n`;
    upstream.write(`${head}\r\n`);
    if (ctx.upgradeHead !== null && ctx.upgradeHead.length > 0) upstream.write(ctx.upgradeHead);
    ctx.status = 101;
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', (err) => {
    if (!connected && !ctx.res.headersSent) {
      const v = /timeout/i.test(err.message) ? proxyVerdicts.originTimeout : proxyVerdicts.originUnavailable;
      ctx.verdict = v;
      ctx.status = v.status;
      sendRefusal(ctx.res, v, false, true);
      return;
    }
    client.destroy();
  });
  upstream.on('close', () => client.destroy());
  client.on('close', () => upstream.destroy());
  client.on('error', () => upstream.destroy());
}
