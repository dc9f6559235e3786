// The challenge stage's responses and their verdicts: the interstitial, the
// 429 for unsafe methods without a pass (JSON or text, never the HTML page
// that would lose the request body), redirects after solving, failure pages,
// scripts. Constant bodies and header lists are built once.
import { verdict, type RequestContext, type Verdict } from '../core/model.js';
import type { Asset } from './assets.js';
import { followsPostRedirect } from '../core/ua-family.js';

export const challengeVerdicts = {
  required: verdict('challenge/required', 'serve', 403),
  requiredUnsafe: verdict('challenge/required', 'serve', 429, 30),
  solved: verdict('challenge/solved', 'serve', 303),
  solvedNoJs: verdict('challenge/solved-nojs', 'serve', 303),
  expired: verdict('challenge/expired', 'serve', 303),
  failed: verdict('challenge/failed', 'serve', 403),
  replayed: verdict('challenge/replayed', 'serve', 403),
  asset: verdict('challenge/asset', 'serve', 200),
  notFound: verdict('challenge/not-found', 'serve', 404),
  badRequest: verdict('challenge/bad-request', 'serve', 400),
  /** The cookie check: a redirect to the same URL that sets the seen cookie (a browser's form post too: a 307 keeps its body). */
  cookie: verdict('challenge/cookie', 'serve', 307),
  /** A form post (or other unsafe method) without the cookie while the check is asked. */
  cookieUnsafe: verdict('challenge/cookie', 'serve', 429, 2),
  /** Came back without the cookie several times in a row: it drops cookies. */
  cookieMissing: verdict('challenge/cookie-missing', 'serve', 403),
  /** The assets check: a page that loads one stylesheet (its answer marks the seen cookie) and reloads. */
  mark: verdict('challenge/mark', 'serve', 403),
  /** The assets check's stylesheet. */
  markAsset: verdict('challenge/mark', 'serve', 200),
};

// The page runs only our own script and posts only to our own origin; the
// requested URL is spliced into it (escaped), so a strict CSP is cheap insurance.
const CSP =
  "default-src 'none'; script-src 'self'; worker-src 'self'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const HTML_HEADERS = [
  'content-type',
  'text/html; charset=utf-8',
  'cache-control',
  'no-store',
  'content-security-policy',
  CSP,
  'referrer-policy',
  'same-origin',
  'x-content-type-options',
  'nosniff',
];

const UNSAFE_MESSAGE =
  'This site is checking visitors while it is under heavy load, and this request carries no pass. ' +
  'Open the site in a web browser first (it runs a short check and sets a cookie), then send the request again. ' +
  'Programs and integrations can be given an API token: ask the site team.';

function fixed(type: string, text: string, v: Verdict): { headers: string[]; body: Buffer } {
  const body = Buffer.from(text);
  const headers = [
    'content-type',
    type,
    'content-length',
    String(body.length),
    'cache-control',
    'no-store',
    'retry-after',
    String(v.retryAfter),
    'rampart-verdict',
    v.rule,
  ];
  return { headers, body };
}

const UNSAFE_JSON = fixed(
  'application/json',
  `${JSON.stringify({ error: 'challenge_required', verdict: challengeVerdicts.requiredUnsafe.rule, message: UNSAFE_MESSAGE })}\n`,
  challengeVerdicts.requiredUnsafe,
);
const UNSAFE_TEXT = fixed('text/plain; charset=utf-8', `${UNSAFE_MESSAGE}\n`, challengeVerdicts.requiredUnsafe);

export function wantsJson(ctx: RequestContext): boolean {
  const h = ctx.req.headers;
  return h.accept?.includes('json') === true || h['content-type']?.includes('json') === true;
}

function end(ctx: RequestContext, v: Verdict, headers: string[], body: Buffer | string | undefined): Verdict {
  ctx.status = v.status;
  ctx.res.writeHead(v.status, headers);
  ctx.res.end(ctx.method === 'HEAD' ? undefined : body);
  return v;
}

/** An HTML page (interstitial or failure) with its verdict. */
export function sendHtml(ctx: RequestContext, v: Verdict, html: string): Verdict {
  return end(
    ctx,
    v,
    [...HTML_HEADERS, 'content-length', String(Buffer.byteLength(html)), 'rampart-verdict', v.rule],
    html,
  );
}

/** Unsafe method without a pass: 429 with Retry-After; the body explains how to get through. */
export function sendUnsafe(ctx: RequestContext): Verdict {
  const r = wantsJson(ctx) ? UNSAFE_JSON : UNSAFE_TEXT;
  // The body the client sent is left unread: close so it is not parsed as a next request.
  ctx.res.shouldKeepAlive = false;
  return end(ctx, challengeVerdicts.requiredUnsafe, r.headers, r.body);
}

/** 303 to a sanitised same-origin path, optionally setting the pass cookie. */
export function sendRedirect(ctx: RequestContext, v: Verdict, location: string, setCookie: string): Verdict {
  const headers = ['location', location, 'content-length', '0', 'cache-control', 'no-store', 'rampart-verdict', v.rule];
  if (setCookie !== '') headers.push('set-cookie', setCookie);
  return end(ctx, v, headers, undefined);
}

/** JSON outcome for programmatic verify calls (fetch with a JSON body). */
export function sendJson(ctx: RequestContext, v: Verdict, obj: object, setCookie: string): Verdict {
  const body = `${JSON.stringify(obj)}\n`;
  const headers = noStoreHeaders('application/json', body, v);
  if (setCookie !== '') headers.push('set-cookie', setCookie);
  return end(ctx, v, headers, body);
}

const COOKIE_MESSAGE =
  'This site is checking visitors while it is under heavy load, and your browser did not keep the small cookie it was given. ' +
  'Please allow cookies for this site (it sets one, holding no personal data), then load the page again.';
const COOKIE_TEXT = fixed('text/plain; charset=utf-8', `${COOKIE_MESSAGE}\n`, challengeVerdicts.cookieMissing);
const COOKIE_UNSAFE = fixed('text/plain; charset=utf-8', `${COOKIE_MESSAGE}\n`, challengeVerdicts.cookieUnsafe);

/**
 * The cookie check (no JavaScript): GET/HEAD, and a browser's form post from
 * this site, get a 307 back to the same URL with the seen cookie set, which a
 * browser follows without anyone noticing (a 307 keeps the method and body);
 * other posts a 429 with the cookie, so a retry goes through; a client that
 * came back without the cookie `missLimit` times in a row a 403 saying why.
 */
export function sendCookieCheck(ctx: RequestContext, setCookie: string, missLimit: number): Verdict {
  const safe = ctx.method === 'GET' || ctx.method === 'HEAD';
  if (ctx.cookieMisses >= missLimit) {
    if (!safe) ctx.res.shouldKeepAlive = false;
    return end(
      ctx,
      challengeVerdicts.cookieMissing,
      [...COOKIE_TEXT.headers, 'set-cookie', setCookie],
      COOKIE_TEXT.body,
    );
  }
  const t = ctx.target;
  const location = t.charCodeAt(0) === 47 /* / */ && t.charCodeAt(1) !== 47 && t.charCodeAt(1) !== 92 ? t : '/';
  if (!safe) {
    // The body the client sent is left unread: close so it is not parsed as a next request.
    ctx.res.shouldKeepAlive = false;
    // A browser's form post: a 307 to the same URL, which it follows with the same method and body and the
    // cookie (a person's post goes through, unnoticed). Not across sites (SameSite=Lax: the cookie would not
    // come back), nor for HTTP libraries, nor to a URL that is not this one: a 429 with the cookie, a retry passes.
    if (followsPostRedirect(ctx.agent, ctx.req.headers['sec-fetch-site']) && location === t)
      return redirectCheck(ctx, challengeVerdicts.cookie, location, setCookie);
    return end(
      ctx,
      challengeVerdicts.cookieUnsafe,
      [...COOKIE_UNSAFE.headers, 'set-cookie', setCookie],
      COOKIE_UNSAFE.body,
    );
  }
  return redirectCheck(ctx, challengeVerdicts.cookie, location, setCookie);
}

function redirectCheck(ctx: RequestContext, v: Verdict, location: string, setCookie: string): Verdict {
  const headers = ['location', location, 'content-length', '0', 'cache-control', 'no-store', 'set-cookie', setCookie];
  headers.push('rampart-verdict', v.rule);
  return end(ctx, v, headers, undefined);
}

export function sendAsset(ctx: RequestContext, a: Asset): Verdict {
  return end(ctx, challengeVerdicts.asset, a.headers as string[], a.body);
}

export function sendPlain(ctx: RequestContext, v: Verdict, text: string): Verdict {
  const body = `${text}\n`;
  return end(ctx, v, noStoreHeaders('text/plain; charset=utf-8', body, v), body);
}

/** The headers of a generated answer no cache may keep: its type, length and verdict. */
function noStoreHeaders(type: string, body: string, v: Verdict): string[] {
  const length = String(Buffer.byteLength(body));
  return ['content-type', type, 'content-length', length, 'cache-control', 'no-store', 'rampart-verdict', v.rule];
}

/**
 * The assets check's page: no script; one stylesheet of our own (`mark.css`), then a reload of the same
 * URL. `content="0"`: a refresh comes due once the document has completely loaded, its stylesheets
 * included (HTML, "shared declarative refresh steps"), so the reload follows the stylesheet's answer at
 * once (test/e2e/challenge.e2e.test.ts shows it in Chromium with JavaScript off).
 */
const MARK_CSP = "default-src 'none'; style-src 'self' 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";
const MARK_HTML = Buffer.from(
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">' +
    '<meta http-equiv="refresh" content="0"><link rel="stylesheet" href="/.rampart/challenge/mark.css">' +
    '<title>One moment</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:10vh auto;padding:0 1rem}</style></head>' +
    '<body><main><h1>One moment…</h1><p>This site is busy and checks that it is talking to a browser. The page reloads by itself.</p>' +
    '<p><small>Reference <code>challenge/mark</code> · protected by Rampart</small></p></main></body></html>\n',
);
const MARK_HEADERS = [
  'content-type',
  'text/html; charset=utf-8',
  'content-length',
  String(MARK_HTML.length),
  'cache-control',
  'no-store',
  'content-security-policy',
  MARK_CSP,
  'rampart-verdict',
  challengeVerdicts.mark.rule,
];

/**
 * The assets check, for a client that returns the seen cookie but has never loaded a page's assets while
 * a young detector's mitigations know people by that mark: a browser, JavaScript or not, loads the
 * stylesheet (marking its cookie) and reloads into the page; a crowd that never loads assets stays here.
 * `setCookie`: the seen cookie, for a page's first request (no cookie yet): the stylesheet's request
 * returns it and gets it marked.
 */
export function sendMarkCheck(ctx: RequestContext, setCookie = ''): Verdict {
  return end(
    ctx,
    challengeVerdicts.mark,
    setCookie === '' ? MARK_HEADERS : [...MARK_HEADERS, 'set-cookie', setCookie],
    MARK_HTML,
  );
}

/** The assets check's page and its headers, as sendMarkCheck answers them (for a test in a real browser). */
export const markCheckPage = (): { headers: readonly string[]; body: Buffer } => ({
  headers: MARK_HEADERS,
  body: MARK_HTML,
});

const MARK_CSS = Buffer.from('/* rampart */\n');

/** The assets check's stylesheet, carrying the marked seen cookie identity offers (ctx.issueSeen on an asset request). */
export function sendMarkAsset(ctx: RequestContext): Verdict {
  const headers = ['content-type', 'text/css; charset=utf-8', 'content-length', String(MARK_CSS.length)];
  headers.push('cache-control', 'no-store', 'rampart-verdict', challengeVerdicts.markAsset.rule);
  if (ctx.offerSeen && ctx.issueSeen !== null) headers.push('set-cookie', ctx.issueSeen(ctx));
  return end(ctx, challengeVerdicts.markAsset, headers, MARK_CSS);
}
