// Forwarding to the origin through an undici Pool with `dispatch` (measured
// here as about 2x Pool.request+pipeline). Bodies stream both ways with
// backpressure and are never buffered whole. Origin faults become 502/504.
// Per request: one handler object, no timers (undici owns the timeouts).
// undici's Pool class and the origin pool are loaded at the first request: an
// idle shield (and a cluster worker that has not served yet) holds neither. The
// Pool's own module, not undici's entry, which also loads fetch, WebSocket, mocks and
// caches: ~85 ms and ~12 MB against ~210 ms and ~21 MB here, paid in the
// event loop at the first request, which after a start into a flood is the
// flood's first second (bench/drills/README.md, the start-up transient).
import { createRequire } from 'node:module';
import type { Dispatcher, Pool } from 'undici';
import type { RequestContext } from '../core/model.js';
import { sendRefusal } from './refusals.js';
import { proxyVerdicts } from './verdicts.js';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './headers.js';
import { BodyTooLarge, BodyTooSlow, GuardedBody, type BodyLimits, type BodyWatch } from '../guard/body-guard.js';

export interface ForwardOptions {
  origin: string;
  connections: number;
  headersTimeout: number;
  connectTimeout: number;
  /** Time between two body chunks from the origin. */
  bodyTimeout: number;
  body: BodyLimits;
  watch: BodyWatch;
  now(): number;
}

export interface Forwarder {
  forward(ctx: RequestContext, trusted: boolean): void;
  /** The origin pool, made at the first request (null until then). */
  readonly pool: Pool | null;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);

/** The module of undici's Pool (the class its entry exports as `Pool`): pinned by a test, so an undici that moves it fails there. */
export const POOL_MODULE = 'undici/lib/dispatcher/pool.js';

/** undici's Pool from its own module. */
export function loadPool(): typeof Pool {
  return require(POOL_MODULE) as typeof Pool;
}

const NO_BODY = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'DELETE']);

export function createForwarder(opts: ForwardOptions): Forwarder {
  let pool: Pool | null = null;
  let closed = false;
  const open = (): Pool => {
    const UndiciPool = loadPool();
    return new UndiciPool(opts.origin, {
      connections: opts.connections,
      pipelining: 1,
      keepAliveTimeout: 4_000,
      headersTimeout: opts.headersTimeout,
      bodyTimeout: opts.bodyTimeout,
      connectTimeout: opts.connectTimeout,
    });
  };
  return {
    get pool() {
      return pool;
    },
    forward(ctx, trusted) {
      if (pool === null) {
        // Closed before it ever forwarded (a reload swapped it out): what a closed pool answers.
        if (closed) return refuseClosed(ctx);
        pool = open();
      }
      const req = ctx.req;
      const hasBody =
        !NO_BODY.has(ctx.method) ||
        req.headers['content-length'] !== undefined ||
        req.headers['transfer-encoding'] !== undefined;
      const handler = new ResponseRelay(ctx, opts.now);
      const body = hasBody ? guardBody(ctx, opts) : null;
      pool.dispatch(
        {
          origin: opts.origin,
          method: ctx.method,
          path: ctx.target,
          headers: upstreamRequestHeaders(ctx, trusted, false),
          body,
        },
        handler,
      );
    },
    close: () => {
      closed = true;
      return pool === null ? Promise.resolve() : pool.close();
    },
  };
}

function refuseClosed(ctx: RequestContext): void {
  ctx.verdict = proxyVerdicts.originUnavailable;
  ctx.status = proxyVerdicts.originUnavailable.status;
  sendRefusal(ctx.res, proxyVerdicts.originUnavailable, ctx.method === 'HEAD', false);
}

/** Puts the size cap and the minimum-rate watch between the client and the origin. */
function guardBody(ctx: RequestContext, opts: ForwardOptions): GuardedBody {
  const body = new GuardedBody(opts.body, opts.watch, opts.now(), ctx.clientIp);
  const req = ctx.req;
  req.on('error', (err) => body.destroy(err));
  req.on('aborted', () => body.destroy(new Error('client aborted the upload')));
  req.pipe(body);
  return body;
}

const kRelay = Symbol('rampart.relay');
type RelayedRes = RequestContext['res'] & { [kRelay]?: ResponseRelay };

/** The client's response closed (shared by every relay: no closure per request). */
function onClientClose(this: RelayedRes): void {
  const relay = this[kRelay];
  if (relay === undefined) return;
  this[kRelay] = undefined;
  relay.clientClosed();
}

/** Relays one origin response to the client, pausing the origin when the client is slow. */
class ResponseRelay implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  /** The client went away. Tracked here: an HTTP/2 compat response has no `destroyed`, so res.destroyed is undefined there. */
  private gone = false;
  private readonly ctx: RequestContext;
  private readonly now: () => number;

  /** Made at the first backpressure only (most responses never wait for the client). */
  private onDrain: (() => void) | null = null;

  constructor(ctx: RequestContext, now: () => number) {
    this.ctx = ctx;
    this.now = now;
    // 'close' fires once per response; `on` spares the per-request once-wrapper, and the relay rides along as `this`.
    (ctx.res as RelayedRes)[kRelay] = this;
    ctx.res.on('close', onClientClose);
  }

  clientClosed(): void {
    // writableEnded, not writableFinished: an HTTP/2 stream the client reset reports writableFinished (its writable
    // side is gone) though no response was sent; the origin request would then hang, paused, holding its connection.
    if (this.ctx.res.writableEnded) return;
    this.gone = true;
    this.controller?.abort(new Error('client closed'));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // A stream reset before the origin was reached (HTTP/2 rapid reset): never let its request go out.
    if (this.gone || this.ctx.res.destroyed) controller.abort(new Error('client closed'));
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[] | undefined>,
    message?: string,
  ): void {
    const ctx = this.ctx;
    if (this.gone) {
      controller.abort(new Error('client closed'));
      return;
    }
    if (status < 200) return; // 1xx informational: Node answers Expect itself
    ctx.originMs = this.now() - ctx.startedAt;
    ctx.status = status;
    const sink = ctx.cacheSink;
    // Origin overloaded or down: a stored copy beats its error page (stale-if-error, src/cache).
    if (sink !== null && status >= 502 && status <= 504 && sink.serveStale(ctx)) {
      sink.abort();
      ctx.cacheSink = null;
      controller.abort(new Error('served a stale copy instead'));
      return;
    }
    if (sink !== null && !sink.start(status, headers)) ctx.cacheSink = null;
    const out = downstreamResponseHeaders(headers, ctx.verdict.rule);
    if (ctx.offerSeen && ctx.issueSeen !== null) out.push('set-cookie', ctx.issueSeen(ctx));
    // HTTP/2 has no reason phrase (Node warns when given one).
    ctx.res.writeHead(status, ctx.httpVersion === '2.0' ? undefined : message || undefined, out);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const ctx = this.ctx;
    if (ctx.res.writableEnded || this.gone) return; // answered from the cache instead, or nobody to send it to
    ctx.bytesOut += chunk.length;
    if (ctx.cacheSink !== null) ctx.cacheSink.data(chunk);
    if (!ctx.res.write(chunk)) {
      controller.pause();
      ctx.res.once('drain', (this.onDrain ??= () => this.controller?.resume()));
    }
  }

  onResponseEnd(): void {
    if (this.ctx.cacheSink !== null) this.ctx.cacheSink.end();
    if (!this.gone) this.ctx.res.end();
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    const ctx = this.ctx;
    const sink = ctx.cacheSink;
    if (sink !== null) {
      sink.abort();
      ctx.cacheSink = null;
    }
    if (this.gone || ctx.res.destroyed || ctx.res.writableEnded) return;
    if (ctx.res.headersSent) {
      ctx.res.destroy(err); // mid-body failure: the client must see a truncated response, not a clean end
      return;
    }
    const v = verdictOfError(err);
    if (sink !== null && v.rule.startsWith('origin/') && sink.serveStale(ctx)) {
      ctx.req.unpipe();
      return;
    }
    ctx.verdict = v;
    ctx.status = v.status;
    ctx.req.unpipe();
    sendRefusal(ctx.res, v, ctx.method === 'HEAD', v.rule.startsWith('guard/'));
  }
}

function verdictOfError(err: Error) {
  if (err instanceof BodyTooLarge) return proxyVerdicts.bodyTooLarge;
  if (err instanceof BodyTooSlow) return proxyVerdicts.slowBody;
  const code = (err as { code?: string }).code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
    return proxyVerdicts.originTimeout;
  return proxyVerdicts.originUnavailable;
}
