// Policy's verdicts, built once: allow/deny lists, and bounded caches of
// ban verdicts (one per ban rule name) and limit verdicts (one per rule and
// Retry-After second). Never built per request after the first of its kind.
// Memory: ≤ 256 ban rules; per limit rule ≤ MAX_RETRY_S + 1 verdicts, made lazily.
import { verdict, type Verdict } from '../core/model.js';

export const policyVerdicts = {
  allowList: verdict('allow/list', 'allow', 200),
  denyList: verdict('deny/list', 'deny', 403),
  /** A ban whose rule name is not a valid verdict name, or past the cache bound. */
  banOther: verdict('ban/listed', 'deny', 403),
  banOtherDrop: verdict('ban/listed', 'drop', 403),
  /** Refused at accept (ban or deny list) before any HTTP parsing. */
  atAccept: verdict('ban/accept', 'drop', 403),
};

const RULE_RE = /^[a-z0-9-]+\/[a-z0-9._:-]+$/;
const MAX_BAN_RULES = 256;
/** Retry-After is capped: a client told to wait hours is better told to come back in one. */
export const MAX_RETRY_S = 3600;

/** Verdicts for bans, keyed by the ban's rule; `action` from policy.bans.action. */
export function createBanVerdicts(drop: boolean): (rule: string) => Verdict {
  const cache = new Map<string, Verdict>();
  const fallback = drop ? policyVerdicts.banOtherDrop : policyVerdicts.banOther;
  return (rule) => {
    let v = cache.get(rule);
    if (v !== undefined) return v;
    if (!RULE_RE.test(rule) || !rule.startsWith('ban/') || cache.size >= MAX_BAN_RULES) return fallback;
    v = verdict(rule, drop ? 'drop' : 'deny', 403);
    cache.set(rule, v);
    return v;
  };
}

/** One limit rule: 429 verdicts by Retry-After seconds (1..MAX_RETRY_S). */
export interface LimitVerdicts {
  readonly rule: string;
  /** The verdict for a wait of `waitMs` (rounded up to whole seconds). */
  forWait(waitMs: number): Verdict;
}

export function limitVerdicts(rule: string, action: 'limit' = 'limit', status = 429): LimitVerdicts {
  const byS: Verdict[] = [];
  verdict(rule, action, status, 1); // validates the name at compile time
  return {
    rule,
    forWait(waitMs) {
      let s = Math.ceil(waitMs / 1000);
      if (s < 1) s = 1;
      else if (s > MAX_RETRY_S) s = MAX_RETRY_S;
      let v = byS[s];
      if (v === undefined) v = byS[s] = verdict(rule, action, status, s);
      return v;
    },
  };
}

/** A valid rule name from a mitigation, or `fallback`. */
export function safeRule(rule: string, fallback: string): string {
  return RULE_RE.test(rule) ? rule : fallback;
}
