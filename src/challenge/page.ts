// The interstitial and the "did not work" page, compiled once per language:
// config text is escaped at compile time, per request only the token, seed,
// difficulty and the (escaped) requested URL are spliced in. ~3 KB of HTML,
// no external resources: inline CSS, the script from /.rampart/challenge/solver.js.
import type { ChallengeText } from '../config/schema/challenge.js';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const ESC_RE = /[&<>"']/g;
const NEEDS_ESC = /[&<>"']/; // not global: .test() on a /g regex keeps state between calls

export function escapeHtml(s: string): string {
  return NEEDS_ESC.test(s) ? s.replace(ESC_RE, (c) => ESC[c]) : s;
}

const NO_BRAND: Brand = { siteName: '', accentColor: '' };

export const CHALLENGE_PREFIX = '/.rampart/challenge/';
/** Seconds a no-JS client waits on the meta refresh; the server enforces it too. */
export const REFRESH_SECONDS = 5;

const CSS =
  ':root{color-scheme:light dark;--fg:#1d2733;--bg:#fff;--mut:#56636f;--acc:#0a58d0}' +
  '@media (prefers-color-scheme:dark){:root{--fg:#e7edf3;--bg:#11161c;--mut:#a3afbb;--acc:#8cb4ff}}' +
  'body{font:17px/1.55 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:36rem;margin:12vh auto;padding:0 1.25rem;color:var(--fg);background:var(--bg)}' +
  'h1{font-size:1.5rem;line-height:1.25;margin:0 0 .75rem}a{color:var(--acc)}small{color:var(--mut)}' +
  '.site{margin:0 0 .5rem;font-weight:600;color:var(--acc)}' +
  'progress{width:100%;height:.8rem;accent-color:var(--acc)}' +
  '.spin{display:inline-block;width:.85em;height:.85em;margin-right:.45em;vertical-align:-.1em;border:2px solid var(--mut);border-top-color:transparent;border-radius:50%;animation:r 1s linear infinite}' +
  '@keyframes r{to{transform:rotate(1turn)}}' +
  '@media (prefers-reduced-motion:reduce){.spin{animation:none;border-top-color:var(--mut)}}';

/** Branding from config: the site's name above the heading and an accent colour (light scheme only: the dark one keeps its contrast). */
export interface Brand {
  siteName: string;
  /** "#rgb" or "#rrggbb", validated by the schema; '' keeps the default. */
  accentColor: string;
}

function head(t: ChallengeText, brand: Brand, extra: string): string {
  const title = brand.siteName ? `${t.title} · ${brand.siteName}` : t.title;
  const accent = brand.accentColor ? `@media (prefers-color-scheme:light){:root{--acc:${brand.accentColor}}}` : '';
  const site = brand.siteName ? `<p class="site">${escapeHtml(brand.siteName)}</p>` : '';
  return `<!doctype html><html lang="${escapeHtml(t.lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex,nofollow">${extra}<title>${escapeHtml(title)}</title><style>${CSS}${accent}</style></head><body><main>${site}`;
}

function appeal(t: ChallengeText): string {
  return t.appealUrl ? `<p><a href="${escapeHtml(t.appealUrl)}">${escapeHtml(t.appealText)}</a></p>` : '';
}

function footer(rule: string): string {
  return `</main><footer><p><small>Reference <code>${rule}</code> · protected by Rampart</small></p></footer>`;
}

export interface ChallengePage {
  /** `target` is the raw request target (path and query) to return to after solving. */
  render(token: string, seed: string, bits: number, target: string): string;
}

export function compileChallengePage(t: ChallengeText, metaRefresh: boolean, brand: Brand = NO_BRAND): ChallengePage {
  // Without JS the form is hidden (its "working" text would be a lie).
  const noJsStyle = '<noscript><style>#rampart-challenge{display:none}</style></noscript>';
  const top = head(t, brand, noJsStyle);
  const cut = top.indexOf('<noscript>') + '<noscript>'.length;
  const topA = top.slice(0, cut);
  const topB = top.slice(cut);
  const intro = `<h1>${escapeHtml(t.heading)}</h1><p>${escapeHtml(t.body)}</p>`;
  const formOpen = `<form id="rampart-challenge" method="post" action="${CHALLENGE_PREFIX}verify" data-done="${escapeHtml(t.done)}"`;
  const status = `<progress id="rampart-progress" max="100" value="0" aria-labelledby="rampart-status"></progress><p id="rampart-status" role="status" aria-live="polite"><span class="spin" aria-hidden="true"></span>${escapeHtml(t.working)}</p></form>`;
  const noscript = `<noscript><p>${escapeHtml(metaRefresh ? t.noscriptRefresh : t.noscript)}</p></noscript>`;
  const bottom = `${appeal(t)}${footer('challenge/required')}<script src="${CHALLENGE_PREFIX}solver.js" defer></script></body></html>\n`;
  return {
    render(token, seed, bits, target) {
      const ret = escapeHtml(target);
      let html = top;
      if (metaRefresh) {
        const url = `${CHALLENGE_PREFIX}refresh?challenge=${token}&return=${encodeURIComponent(target)}`;
        html = `${topA}<meta http-equiv="refresh" content="${REFRESH_SECONDS};url=${escapeHtml(url)}">${topB}`;
      }
      return `${html}${intro}${formOpen} data-seed="${seed}" data-bits="${bits}"><input type="hidden" name="challenge" value="${token}"><input type="hidden" name="solution" value=""><input type="hidden" name="via" value=""><input type="hidden" name="return" value="${ret}">${status}${noscript}${bottom}`;
    },
  };
}

export interface FailurePage {
  /** `retry` is a sanitised same-origin path: following it fetches a fresh challenge. */
  render(retry: string, rule: string): string;
}

export function compileFailurePage(t: ChallengeText, brand: Brand = NO_BRAND): FailurePage {
  const top = head(t, brand, '');
  const text = `<h1>${escapeHtml(t.heading)}</h1><p>${escapeHtml(t.failed)}</p>`;
  return {
    render(retry, rule) {
      return `${top}${text}<p><a href="${escapeHtml(retry)}">${escapeHtml(t.retry)}</a></p>${appeal(t)}${footer(rule)}</body></html>\n`;
    },
  };
}
