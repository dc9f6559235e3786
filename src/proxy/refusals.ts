// Pre-built refusal responses: status, headers and a small branded page per
// verdict rule, built once on first use and reused (bounded by the number of
// rules). Not the challenge page (src/challenge) nor origin content.
import type { Res, Verdict } from '../core/model.js';

export interface Refusal {
  readonly status: number;
  /** Flat [name, value, name, value, …] list for writeHead. */
  readonly headers: readonly string[];
  readonly body: Buffer;
}

const TITLES: Record<number, [string, string]> = {
  400: ['Bad request', 'The request could not be understood. Please check the address and try again.'],
  403: ['Access denied', 'This request was refused by the site\u2019s protection.'],
  404: ['Not found', 'This site does not serve that host name.'],
  408: ['Request timeout', 'The request took too long to arrive.'],
  413: ['Request too large', 'The request body is larger than this site accepts.'],
  421: ['Misdirected request', 'This server does not serve that host name.'],
  429: [
    'Too many requests',
    'You are sending requests faster than this site allows. Please wait a moment and try again.',
  ],
  431: ['Headers too large', 'The request headers are larger than this site accepts.'],
  502: [
    'The site is not answering',
    'The site\u2019s server could not be reached. It is not your fault; please try again in a minute.',
  ],
  503: [
    'The site is very busy',
    'The site is under heavy load and could not take this request. Please try again in a minute.',
  ],
  504: ['The site is slow to answer', 'The site\u2019s server took too long to answer. Please try again in a minute.'],
};

function page(status: number, rule: string): string {
  const [title, text] = TITLES[status] ?? ['Request refused', 'This request could not be served.'];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${status} ${title}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:10vh auto;padding:0 1rem;color:#1d2733}h1{font-size:1.4rem}small{color:#5b6875}</style></head><body><main><h1>${title}</h1><p>${text}</p><p><small>Error ${status} \u00b7 reference <code>${rule}</code> \u00b7 protected by Rampart</small></p></main></body></html>\n`;
}

const keepAliveCache = new Map<Verdict, Refusal>();
const closingCache = new Map<Verdict, Refusal>();

export function refusalFor(v: Verdict, close = false): Refusal {
  const cache = close ? closingCache : keepAliveCache;
  let r = cache.get(v);
  if (r) return r;
  const body = Buffer.from(page(v.status, v.rule));
  const headers = [
    'content-type',
    'text/html; charset=utf-8',
    'content-length',
    String(body.length),
    'cache-control',
    'no-store',
    'rampart-verdict',
    v.rule,
  ];
  if (v.retryAfter > 0) headers.push('retry-after', String(v.retryAfter));
  if (close) headers.push('connection', 'close');
  r = { status: v.status, headers, body };
  cache.set(v, r);
  return r;
}

/**
 * Writes a refusal on a response whose head has not been sent. `setCookie`: the seen cookie identity
 * offers this client (a shed or limited first request is still the first response it gets: a browser
 * comes back with it, a flood that drops it shows that it does); copied onto the pre-built head.
 */
export function sendRefusal(res: Res, v: Verdict, head: boolean, close = false, setCookie: string | null = null): void {
  const r = refusalFor(v, close);
  if (close) res.shouldKeepAlive = false;
  res.writeHead(r.status, (setCookie === null ? r.headers : [...r.headers, 'set-cookie', setCookie]) as string[]);
  res.end(head ? undefined : r.body);
}

/** Raw HTTP/1.1 bytes of a refusal, for sockets that have no response object (parse errors). */
export function rawRefusal(v: Verdict): Buffer {
  const r = refusalFor(v, true);
  let head = `HTTP/1.1 ${r.status} ${TITLES[r.status]?.[0] ?? 'Refused'}\r\n`;
  for (let i = 0; i < r.headers.length; i += 2) head += `${r.headers[i]}: ${r.headers[i + 1]}\r\n`;
  return Buffer.concat([Buffer.from(`${head}\r\n`), r.body]);
}
