// The policy stage for the pipeline's policy slot: runs decide(), then
// enforces or — in observe (shadow) mode — only records what it would have
// done (ctx.shadowRule and a counter per rule). A challenge verdict sets
// ctx.challengeRequired (or ctx.cookieCheck for the cookie check); the
// challenge stage does the rest.
// Hot path: decide() plus a few compares; counters are touched only on refusals.
import type { RequestContext, Stage, StageResult } from '../core/model.js';
import type { Policy, PolicyView } from './decide.js';
import type { LimitStats } from './limits.js';
import { policyVerdicts } from './verdicts.js';
import { CHECK_STATUS } from './mitigations.js';

export interface PolicyStats {
  /** Requests refused per rule (enforce mode). */
  refused: Record<string, number>;
  /** Requests policy would have refused or challenged per rule (observe mode). */
  wouldRefuse: Record<string, number>;
  /** Requests sent to the challenge stage per mitigation rule. */
  challenged: Record<string, number>;
  allowListed: number;
  /** Keys in the bucket tables now (expired ones count until their slot is reused). */
  tracked: LimitStats['tracked'];
  /** Keys forgotten to make room (more clients active than rate_limits.tracked). */
  evictions: number;
  /** Ceiling of the bucket tables' memory, bytes. */
  tableBytes: number;
}

export interface PolicyStage extends Stage {
  /** The compiled policy (a reload passes it to the next compilePolicy as `previous`). */
  readonly policy: Policy;
  stats(): PolicyStats;
  /**
   * For the connection guard: true when a new connection from `ip` is to be
   * refused at accept (denied or banned, not allow-listed, enforce mode).
   * In observe mode it counts `ban/accept` as would-refuse and returns false.
   */
  refusesAtAccept(ip: string): boolean;
}

/** The verdict named by accept-time refusals (raw bytes: proxy/refusals rawRefusal). */
export const ACCEPT_VERDICT = policyVerdicts.atAccept;

/** A view for a graph without shared state: normal mode, enforce, no bans or mitigations. */
export const EMPTY_VIEW: PolicyView = {
  mode: () => 'normal',
  enforcement: () => 'enforce',
  isBanned: () => null,
  mitigations: () => [],
  version: () => 0,
};

function bump(counts: Map<string, number>, rule: string): void {
  counts.set(rule, (counts.get(rule) ?? 0) + 1);
}

export function createPolicyStage(policy: Policy, view: PolicyView, now: () => number): PolicyStage {
  // Bounded by the number of distinct rules (ban rule names are capped in verdicts.ts).
  const refused = new Map<string, number>();
  const would = new Map<string, number>();
  const challenged = new Map<string, number>();
  let allowListed = 0;

  return {
    name: 'policy',
    policy,
    run(ctx: RequestContext): StageResult {
      const v = policy.decide(ctx, view, now());
      if (v === null) return null;
      if (v.action === 'allow') {
        allowListed++;
        return v;
      }
      if (view.enforcement() === 'observe') {
        ctx.shadowRule = v.rule;
        bump(would, v.rule);
        return null;
      }
      if (v.action === 'challenge') {
        if (v.status === CHECK_STATUS) ctx.cookieCheck = true;
        else ctx.challengeRequired = true;
        ctx.askedBy = v.rule;
        bump(challenged, v.rule);
        return null;
      }
      bump(refused, v.rule);
      return v;
    },
    refusesAtAccept(ip) {
      if (!policy.refusesAtAccept(ip, view, now())) return false;
      if (view.enforcement() === 'observe') {
        bump(would, policyVerdicts.atAccept.rule);
        return false;
      }
      bump(refused, policyVerdicts.atAccept.rule);
      return true;
    },
    stats: () => ({
      refused: Object.fromEntries(refused),
      wouldRefuse: Object.fromEntries(would),
      challenged: Object.fromEntries(challenged),
      allowListed,
      ...limitFigures(policy.limitStats()),
    }),
  };
}

function limitFigures(l: LimitStats | null): Pick<PolicyStats, 'tracked' | 'evictions' | 'tableBytes'> {
  return l === null
    ? { tracked: { address: 0, prefix: 0, fingerprint: 0 }, evictions: 0, tableBytes: 0 }
    : { tracked: l.tracked, evictions: l.evictions, tableBytes: l.bytes };
}
