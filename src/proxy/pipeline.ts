// The request lifecycle — read this file first.
//
//   accept ─► guard ─► parse ─► identity ─► policy ─► challenge ─► cache ─► admission ─► forward ─► observe
//
// guard runs at accept time (src/guard, wired in listeners.ts). From parse on,
// each stage is a `Stage` whose `run(ctx)` returns null (go on), a Verdict
// (stop: the pipeline writes the pre-built refusal, unless the stage already
// served with action 'serve'), or a promise of either when it really does I/O.
// The driver checks for a thenable instead of awaiting, so a synchronous chain
// costs no microtask. Stages that are not configured are absent from the list
// (a disabled feature costs nothing). Observers run once the response closes.
// docs/lifecycle.md draws this chart and changes with this file.
import {
  isThenable,
  RequestContext,
  type Observer,
  type Req,
  type Res,
  type Stage,
  type Verdict,
} from '../core/model.js';
import { sendRefusal } from './refusals.js';
import { splitTarget } from './hygiene.js';
import { V } from './verdicts.js';
import { requestTransport } from './transport.js';

/** The stage slots in lifecycle order; null slots are skipped. */
export interface StageSlots {
  parse: Stage;
  identity: Stage;
  policy: Stage | null;
  challenge: Stage | null;
  cache: Stage | null;
  admission: Stage | null;
}

export interface PipelineOptions {
  slots: StageSlots;
  /** The terminal step: send the request to the origin. */
  forward(ctx: RequestContext): void;
  observers: readonly Observer[];
  now(): number;
  /** Called when a stage throws or rejects: a bug, logged by the caller. */
  onInternalError(err: unknown, ctx: RequestContext): void;
}

export interface Pipeline {
  /** Runs one request; `upgradeHead` is set for Upgrade (WebSocket) requests. */
  handle(req: Req, res: Res, upgradeHead?: Buffer): void;
  readonly stages: readonly Stage[];
}

const kCtx = Symbol('rampart.ctx');
type ResWithCtx = Res & { [kCtx]?: RequestContext };

export function createPipeline(opts: PipelineOptions): Pipeline {
  const s = opts.slots;
  const stages: Stage[] = [s.parse, s.identity, s.policy, s.challenge, s.cache, s.admission].filter(
    (x): x is Stage => x !== null,
  );
  const n = stages.length;
  const observers = opts.observers;

  function onClose(this: ResWithCtx): void {
    const ctx = this[kCtx];
    if (ctx === undefined) return;
    this[kCtx] = undefined;
    if (ctx.status === 0) ctx.status = this.statusCode;
    if (ctx.onDone !== null) ctx.onDone(ctx);
    for (let i = 0; i < observers.length; i++) observers[i](ctx);
  }

  function refuse(ctx: RequestContext, v: Verdict): void {
    ctx.verdict = v;
    if (v.action === 'serve' || ctx.res.headersSent) return;
    ctx.status = v.status;
    // Framing errors leave the connection in an unknown state: close it.
    sendRefusal(ctx.res, v, ctx.method === 'HEAD', v.rule.startsWith('parse/') || v.action === 'drop');
  }

  function fail(ctx: RequestContext, err: unknown): void {
    opts.onInternalError(err, ctx);
    refuse(ctx, V.internal);
  }

  function run(ctx: RequestContext, from: number): void {
    for (let i = from; i < n; i++) {
      let r;
      try {
        r = stages[i].run(ctx);
      } catch (err) {
        return fail(ctx, err);
      }
      if (r === null) continue;
      if (isThenable<Verdict | null>(r)) {
        r.then(
          (v) => (v === null ? run(ctx, i + 1) : settle(ctx, v)),
          (err) => fail(ctx, err),
        );
        return;
      }
      return settle(ctx, r);
    }
    forward(ctx);
  }

  /** An `allow` verdict (allowlist, exemption) skips the remaining stages and forwards. */
  function settle(ctx: RequestContext, v: Verdict): void {
    if (v.action !== 'allow') return refuse(ctx, v);
    ctx.verdict = v;
    forward(ctx);
  }

  function forward(ctx: RequestContext): void {
    try {
      opts.forward(ctx);
    } catch (err) {
      fail(ctx, err);
    }
  }

  return {
    stages,
    handle(req, res, upgradeHead) {
      const ctx = new RequestContext(req, res);
      if (upgradeHead !== undefined) ctx.upgradeHead = upgradeHead;
      ctx.startedAt = opts.now();
      ctx.method = req.method ?? 'GET';
      ctx.target = req.url ?? '/';
      splitTarget(ctx);
      ctx.httpVersion = req.httpVersion;
      ctx.host = (req.headers.host ?? (req.headers[':authority'] as string | undefined) ?? '').trim();
      ctx.peerIp = peerOf(req);
      ctx.clientIp = ctx.peerIp;
      ctx.proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
      ctx.transport = requestTransport(req); // passive TLS/HTTP2 fingerprints of the connection (src/proxy/transport.ts)
      (res as ResWithCtx)[kCtx] = ctx;
      // 'close' fires once per response: `on` spares the once-wrapper closure `once` makes per request.
      res.on('close', onClose);
      run(ctx, 0);
    },
  };
}

function peerOf(req: Req): string {
  const a = req.socket?.remoteAddress ?? '';
  return a.startsWith('::ffff:') && a.indexOf('.') > 0 ? a.slice(7) : a;
}
