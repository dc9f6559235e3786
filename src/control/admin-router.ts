// Matches admin requests to contributed routes: literal segments and `:name`
// parameters, 404 for unknown paths and 405 (with Allow) for a known path with
// another method. Compiled once when the admin listener starts; duplicates are
// refused at that point so two modules cannot silently shadow each other.
import type { AdminRoute } from './admin-types.js';

interface Compiled {
  route: AdminRoute;
  parts: readonly string[];
}

export type Match = { route: AdminRoute; params: Record<string, string> } | { allow: string[] } | null;

export interface Router {
  match(method: string, path: string): Match;
  /** `METHOD /path` for every route, in registration order (the OpenAPI test reads it). */
  list(): string[];
}

const split = (p: string): string[] => p.split('/').filter((s) => s.length > 0);

export function compileRouter(routes: readonly AdminRoute[]): Router {
  const compiled: Compiled[] = [];
  const seen = new Set<string>();
  for (const route of routes) {
    if (!route.path.startsWith('/')) throw new TypeError(`admin route path must start with '/': ${route.path}`);
    const key = `${route.method} ${split(route.path)
      .map((s) => (s.startsWith(':') ? ':' : s))
      .join('/')}`;
    if (seen.has(key)) throw new TypeError(`admin route registered twice: ${route.method} ${route.path}`);
    seen.add(key);
    compiled.push({ route, parts: split(route.path) });
  }

  function params(parts: readonly string[], segs: string[]): Record<string, string> | null {
    if (parts.length !== segs.length) return null;
    const out: Record<string, string> = {};
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (p.startsWith(':')) {
        try {
          out[p.slice(1)] = decodeURIComponent(segs[i]);
        } catch {
          return null;
        }
      } else if (p !== segs[i]) return null;
    }
    return out;
  }

  return {
    list: () => compiled.map((c) => `${c.route.method} ${c.route.path}`),
    match(method, path) {
      const segs = split(path);
      const allow: string[] = [];
      // Literal routes win over parameter routes of the same shape.
      let best: { route: AdminRoute; params: Record<string, string>; literal: number } | null = null;
      for (const c of compiled) {
        const p = params(c.parts, segs);
        if (p === null) continue;
        if (c.route.method !== method && !(method === 'HEAD' && c.route.method === 'GET')) {
          allow.push(c.route.method);
          continue;
        }
        const literal = c.parts.filter((s) => !s.startsWith(':')).length;
        if (!best || literal > best.literal) best = { route: c.route, params: p, literal };
      }
      if (best) return { route: best.route, params: best.params };
      return allow.length ? { allow } : null;
    },
  };
}
