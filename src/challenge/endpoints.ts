// The stage's own URLs under /.rampart/challenge/: the two scripts, the assets
// check's stylesheet (mark.css: its answer carries the marked seen cookie), the
// verify POST (form or JSON: challenge, solution, return) and, when enabled,
// the no-JS meta-refresh check. On success: pass cookie + 303 to the page
// first asked for; an expired challenge 303s back there for a fresh one.
import type { RequestContext, StageResult, Verdict } from '../core/model.js';
import type { Assets } from './assets.js';
import { parseFields, readSmallBody } from './body.js';
import { clientTagOf } from '../core/client-tag.js';
import { judge, type Judgement } from './judge.js';
import type { StatsRecorder } from './metrics.js';
import type { NonceStore } from './nonce-store.js';
import { CHALLENGE_PREFIX, REFRESH_SECONDS, type FailurePage } from './page.js';
import type { Passes } from './pass.js';
import { safeReturn } from './redirect.js';
import {
  challengeVerdicts,
  sendAsset,
  sendHtml,
  sendJson,
  sendMarkAsset,
  sendPlain,
  sendRedirect,
  wantsJson,
} from './respond.js';
import type { Tokens } from './token.js';

export interface EndpointDeps {
  tokens: Tokens;
  passes: Passes;
  store: NonceStore;
  stats: StatsRecorder;
  assets: Assets;
  now(): number;
  cookieName: string;
  passTtlMs: number;
  metaRefresh: boolean;
  failurePage(ctx: RequestContext): FailurePage;
}

const VIA = new Set(['subtle', 'js', 'subtle-main', 'js-main']);

function passCookie(d: EndpointDeps, ctx: RequestContext, now: number): string {
  const ttlSec = Math.floor(d.passTtlMs / 1000);
  const value = d.passes.issue(ctx.prefixKey, clientTagOf(ctx.req), Math.floor(now / 1000) + ttlSec);
  const secure = ctx.proto === 'https' ? '; Secure' : '';
  return `${d.cookieName}=${value}; Path=/; Max-Age=${ttlSec}; HttpOnly; SameSite=Lax${secure}`;
}

function conclude(d: EndpointDeps, ctx: RequestContext, j: Judgement, ret: string, how: string, now: number): Verdict {
  const c = j.claims;
  d.stats.outcome(j.outcome, c === null ? 0 : c.route, c === null ? 0 : now - c.issuedAt, how);
  if (j.outcome === 'solved')
    return sendRedirect(
      ctx,
      how === 'nojs' ? challengeVerdicts.solvedNoJs : challengeVerdicts.solved,
      ret,
      passCookie(d, ctx, now),
    );
  if (j.outcome === 'expired') return sendRedirect(ctx, challengeVerdicts.expired, ret, '');
  const v = j.outcome === 'replayed' ? challengeVerdicts.replayed : challengeVerdicts.failed;
  if (wantsJson(ctx)) return sendJson(ctx, v, { error: `challenge_${j.outcome}`, verdict: v.rule, retry: ret }, '');
  return sendHtml(ctx, v, d.failurePage(ctx).render(ret, v.rule));
}

export function compileEndpoints(d: EndpointDeps): (ctx: RequestContext) => StageResult {
  async function verify(ctx: RequestContext): Promise<Verdict> {
    const body = await readSmallBody(ctx.req);
    if (body === null)
      return sendPlain(ctx, challengeVerdicts.badRequest, 'The verification request was too large or too slow.');
    const f = parseFields(body, ctx.req.headers['content-type']);
    const now = d.now();
    const j = judge(d.tokens, d.store, {
      token: f.challenge,
      counter: f.solution,
      prefixKey: ctx.prefixKey,
      tag: clientTagOf(ctx.req),
      now,
      minWaitMs: 0,
    });
    return conclude(d, ctx, j, safeReturn(f.return), VIA.has(f.via) ? f.via : 'js', now);
  }

  function refresh(ctx: RequestContext): Verdict {
    const q = new URLSearchParams(ctx.query);
    const now = d.now();
    const j = judge(d.tokens, d.store, {
      token: q.get('challenge') ?? '',
      counter: '',
      prefixKey: ctx.prefixKey,
      tag: clientTagOf(ctx.req),
      now,
      minWaitMs: REFRESH_SECONDS * 1000,
    });
    return conclude(d, ctx, j, safeReturn(q.get('return')), 'nojs', now);
  }

  return (ctx) => {
    const name = ctx.path.slice(CHALLENGE_PREFIX.length);
    const read = ctx.method === 'GET' || ctx.method === 'HEAD';
    if (read && name === 'solver.js') return sendAsset(ctx, d.assets.solver);
    if (read && name === 'worker.js') return sendAsset(ctx, d.assets.worker);
    if (read && name === 'mark.css') return sendMarkAsset(ctx);
    if (ctx.method === 'POST' && name === 'verify') return verify(ctx);
    if (ctx.method === 'GET' && name === 'refresh' && d.metaRefresh) return refresh(ctx);
    return sendPlain(ctx, challengeVerdicts.notFound, 'Not found.');
  };
}
