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
  type StageResult,
  type Verdict,
} from '../core/model.js';
import { sendRefusal } from './refusals.js';
import { splitTarget } from './hygiene.js';
import { proxyVerdicts } from './verdicts.js';
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
  return new PipelineDriver(opts);
}

/**
 * The driver: one instance per graph, its fields fixed in the constructor.
 * Per request it allocates the context only (plus the two callbacks of a
 * stage that returns a promise); every step below is a prototype method.
 */
class PipelineDriver implements Pipeline {
  readonly stages: readonly Stage[];
  private readonly count: number;
  private readonly opts: PipelineOptions;
  /** The 'close' listener, made once: `this` is the response, so it reads the observers from here. */
  private readonly onClose: (this: ResWithCtx) => void;

  constructor(opts: PipelineOptions) {
    const s = opts.slots;
    this.stages = [s.parse, s.identity, s.policy, s.challenge, s.cache, s.admission].filter(
      (x): x is Stage => x !== null,
    );
    this.count = this.stages.length;
    this.opts = opts;
    this.onClose = closeListener(opts.observers);
  }

  handle(req: Req, res: Res, upgradeHead?: Buffer): void {
    const ctx = new RequestContext(req, res);
    if (upgradeHead !== undefined) ctx.upgradeHead = upgradeHead;
    ctx.startedAt = this.opts.now();
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
    res.on('close', this.onClose);
    this.run(ctx, 0);
  }

  /** Runs the stages from index `from`; a thenable result resumes here at the next stage. */
  private run(ctx: RequestContext, from: number): void {
    const stages = this.stages;
    for (let i = from; i < this.count; i++) {
      let result: StageResult;
      try {
        result = stages[i].run(ctx);
      } catch (err) {
        this.fail(ctx, err);
        return;
      }
      if (result === null) continue;
      if (isThenable<Verdict | null>(result)) {
        result.then(
          (v) => (v === null ? this.run(ctx, i + 1) : this.settle(ctx, v)),
          (err) => this.fail(ctx, err),
        );
        return;
      }
      this.settle(ctx, result);
      return;
    }
    this.forward(ctx);
  }

  /** An `allow` verdict (allowlist, exemption) skips the remaining stages and forwards. */
  private settle(ctx: RequestContext, v: Verdict): void {
    if (v.action !== 'allow') {
      this.refuse(ctx, v);
      return;
    }
    ctx.verdict = v;
    this.forward(ctx);
  }

  private refuse(ctx: RequestContext, v: Verdict): void {
    ctx.verdict = v;
    if (v.action === 'serve' || ctx.res.headersSent) return;
    ctx.status = v.status;
    // Framing errors leave the connection in an unknown state: close it.
    const framing = v.rule.startsWith('parse/') || v.action === 'drop';
    const seen = ctx.offerSeen && ctx.issueSeen !== null && !framing ? ctx.issueSeen(ctx) : null;
    sendRefusal(ctx.res, v, ctx.method === 'HEAD', framing, seen);
  }

  private fail(ctx: RequestContext, err: unknown): void {
    this.opts.onInternalError(err, ctx);
    this.refuse(ctx, proxyVerdicts.internal);
  }

  private forward(ctx: RequestContext): void {
    try {
      this.opts.forward(ctx);
    } catch (err) {
      this.fail(ctx, err);
    }
  }
}

/** Once the response closes: fill in the status, run the request's own hook, then the observers. */
function closeListener(observers: readonly Observer[]): (this: ResWithCtx) => void {
  return function onClose(this: ResWithCtx): void {
    const ctx = this[kCtx];
    if (ctx === undefined) return;
    this[kCtx] = undefined;
    if (ctx.status === 0) ctx.status = this.statusCode;
    if (ctx.onDone !== null) ctx.onDone(ctx);
    for (let i = 0; i < observers.length; i++) observers[i](ctx);
  };
}

function peerOf(req: Req): string {
  const a = req.socket?.remoteAddress ?? '';
  return a.startsWith('::ffff:') && a.indexOf('.') > 0 ? a.slice(7) : a;
}
