// Exemptions from the challenge: path prefixes (feeds, robots, well-known
// URLs, the appeal page), integrations presenting a token in a header
// (compared in constant time against SHA-256 digests, all tokens checked so
// timing reveals nothing), and logged-in users carrying the origin's session
// cookie (presence only). Cost when nothing matches: a few startsWith and indexOf.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestContext } from '../core/model.js';
import type { ChallengeConfig } from '../config/schema/challenge.js';
import { cookieValue } from '../core/cookie.js';

export interface Exemptions {
  /** The path needs no challenge (it is still served to anyone, unverified). */
  path(path: string): boolean;
  /** 'token' or 'session' when the request carries a credential that marks it verified. */
  credential(ctx: RequestContext, cookie: string | undefined): 'token' | 'session' | null;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function compileExemptions(cfg: ChallengeConfig['exempt'], extraPaths: readonly string[]): Exemptions {
  const prefixes = [...cfg.paths, ...extraPaths];
  const header = cfg.apiTokenHeader;
  const tokens = cfg.apiTokens.map(digest);
  const session = cfg.sessionCookie;
  function tokenOk(v: string): boolean {
    const d = digest(v);
    let ok = false;
    for (let i = 0; i < tokens.length; i++) ok = timingSafeEqual(d, tokens[i]) || ok;
    return ok;
  }
  return {
    path(path) {
      for (let i = 0; i < prefixes.length; i++) if (path.startsWith(prefixes[i])) return true;
      return false;
    },
    credential(ctx, cookie) {
      if (tokens.length > 0) {
        const v = ctx.req.headers[header];
        if (typeof v === 'string' && v.length > 0 && tokenOk(v)) return 'token';
      }
      if (session !== '' && cookie !== undefined && cookieValue(cookie, session) !== '') return 'session';
      return null;
    },
  };
}

/** Relative appeal URLs must never be behind the challenge they appeal against. */
export function appealPaths(urls: readonly string[]): string[] {
  const paths = urls.filter((u) => u.startsWith('/') && !u.startsWith('//')).map((u) => u.split(/[?#]/, 1)[0]);
  return paths.filter((p) => p.length > 1); // "/" would exempt the whole site
}
