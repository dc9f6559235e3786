// Per route class cache rules: built-in defaults merged with the config's
// `origin_protection.cache.routes`, compiled once into a Map. Classes not
// named anywhere take the `page`-like custom default (store if the origin
// says so, not stale-able under attack). Not the route classifier (policy).
import type { RouteRuleConfig } from '../config/schema/origin-protection.js';

export interface RouteRule {
  readonly store: boolean;
  readonly public: boolean;
  readonly stale: boolean;
  readonly defaultTtl: number;
  /** Under attack: the query parameters kept, as a Set; null = keep the query as sent. */
  readonly queryAllowlist: ReadonlySet<string> | null;
}

const rule = (store: boolean, stale: boolean): RouteRule => ({
  store,
  public: false,
  stale,
  defaultTtl: 0,
  queryAllowlist: null,
});

/** Donations, logins and sensitive routes are never stored unless the operator says so. */
export const BUILTIN_RULES: Readonly<Record<string, RouteRule>> = {
  static: rule(true, true),
  page: rule(true, true),
  api: rule(true, false),
  login: rule(false, false),
  donate: rule(false, false),
  sensitive: rule(false, false),
};
const CUSTOM_DEFAULT = rule(true, false);

export interface RouteRules {
  get(routeClass: string): RouteRule;
}

export function compileRules(routes: Readonly<Record<string, RouteRuleConfig>>): RouteRules {
  const map = new Map<string, RouteRule>();
  for (const name of Object.keys(BUILTIN_RULES)) map.set(name, BUILTIN_RULES[name]);
  for (const name of Object.keys(routes)) {
    const r = routes[name];
    const base = map.get(name) ?? CUSTOM_DEFAULT;
    map.set(name, {
      store: r.store ?? base.store,
      public: r.public ?? base.public,
      stale: r.stale ?? base.stale,
      defaultTtl: r.defaultTtl ?? base.defaultTtl,
      queryAllowlist:
        r.queryAllowlist === undefined
          ? base.queryAllowlist
          : r.queryAllowlist === null
            ? null
            : new Set(r.queryAllowlist),
    });
  }
  return { get: (c) => map.get(c) ?? CUSTOM_DEFAULT };
}
