// Route classes: custom routes from config (path prefix or regex, methods),
// tried in order, then the built-in defaults (static assets, api, login,
// donate, sensitive, page). Compiled once; classify() returns a class index.
// Not limits (limits.ts). Hot path: a few startsWith and one regex test, no allocation.
import type { RequestContext } from '../core/model.js';
import type { PolicyConfig } from '../config/schema/policy.js';
import { BUILTIN_CLASSES } from '../config/values.js';

export const STATIC = 0;
export const PAGE = 1;
export const API = 2;
export const LOGIN = 3;
export const DONATE = 4;
export const SENSITIVE = 5;

// Assets by extension; the query string is already off ctx.path.
const STATIC_EXT =
  /\.(?:css|js|mjs|map|png|jpe?g|gif|webp|avif|svg|ico|bmp|woff2?|ttf|otf|eot|mp4|webm|mp3|ogg|wav|wasm|pdf|zip)$/i;
const STATIC_DIRS = ['/static/', '/assets/'];
const API_PREFIXES = ['/api'];
const LOGIN_PATHS = ['/login', '/signin', '/sign-in', '/wp-login.php', '/user/login', '/account/login', '/auth/login'];
const DONATE_PATHS = ['/donate', '/donation', '/donations'];
// Admin panels and secrets: what scanners probe. Records such as donor data
// are the operator's to declare (policy.routes with class: sensitive), since
// the data-exposure watch reports on exactly this class.
const SENSITIVE_PATHS = ['/admin', '/wp-admin', '/xmlrpc.php', '/.env', '/.git'];

/** path is p, or p followed by "/" (a whole segment, so /apix is not /api). */
function segment(path: string, p: string): boolean {
  return path.startsWith(p) && (path.length === p.length || path.charCodeAt(p.length) === 47);
}

function anySegment(path: string, list: readonly string[]): boolean {
  for (let i = 0; i < list.length; i++) if (segment(path, list[i])) return true;
  return false;
}

function builtin(path: string): number {
  if (STATIC_EXT.test(path)) return STATIC;
  for (let i = 0; i < STATIC_DIRS.length; i++) if (path.startsWith(STATIC_DIRS[i])) return STATIC;
  if (anySegment(path, API_PREFIXES)) return API;
  if (anySegment(path, LOGIN_PATHS)) return LOGIN;
  if (anySegment(path, DONATE_PATHS)) return DONATE;
  if (anySegment(path, SENSITIVE_PATHS)) return SENSITIVE;
  return PAGE;
}

interface CustomRoute {
  cls: number;
  prefix: string;
  regex: RegExp | null;
  /** Empty: any method. */
  methods: readonly string[];
}

export interface RouteClassifier {
  /** Class names by index: the built-ins first (in BUILTIN_CLASSES order), then custom ones. */
  readonly names: readonly string[];
  indexOf(name: string): number;
  /** Class index of the request (uses ctx.path and ctx.method). */
  classify(ctx: RequestContext): number;
}

export function compileRoutes(routes: PolicyConfig['routes']): RouteClassifier {
  const names: string[] = [...BUILTIN_CLASSES];
  const index = (name: string): number => {
    let i = names.indexOf(name);
    if (i < 0) i = names.push(name) - 1;
    return i;
  };
  const custom: CustomRoute[] = routes.map((r) => ({
    cls: index(r.class),
    prefix: r.prefix ?? '',
    regex: r.regex !== undefined ? new RegExp(r.regex) : null,
    methods: r.methods,
  }));
  const n = custom.length;
  return {
    names,
    indexOf: (name) => names.indexOf(name),
    classify(ctx) {
      const path = ctx.path;
      for (let i = 0; i < n; i++) {
        const r = custom[i];
        if (r.methods.length > 0 && !r.methods.includes(ctx.method)) continue;
        if (r.regex !== null ? r.regex.test(path) : path.startsWith(r.prefix)) return r.cls;
      }
      return builtin(path);
    },
  };
}
