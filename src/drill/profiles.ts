// Header profiles the drill's clients send: real browsers' navigation,
// subresource and form headers (the legit users without JavaScript and the
// browser-like attack strategies use the very same lists, so headers alone
// never tell them apart), and flood tools' headers. Data and pure functions.

export type FetchKind = 'page' | 'asset' | 'form' | 'api';

export interface BrowserProfile {
  ua: string;
  lang: string;
}

export const BROWSER_UAS = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
] as const;
const LANGS = [
  'en-GB,en;q=0.9',
  'de-DE,de;q=0.9,en;q=0.8',
  'fr-FR,fr;q=0.9,en;q=0.7',
  'en-US,en;q=0.9',
  'pt-BR,pt;q=0.9,en;q=0.6',
] as const;
const ACCEPT: Record<FetchKind, string> = {
  page: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
  asset: '*/*',
  form: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  api: 'application/json, text/plain, */*',
};

/** Browser profile `i` (25 distinct UA × language pairs). */
export function browserProfile(i: number): BrowserProfile {
  return { ua: BROWSER_UAS[i % BROWSER_UAS.length], lang: LANGS[(i >> 2) % LANGS.length] };
}

/** What a browser sends for one request of `kind`, before Referer, Cookie and the drill tag. */
export function browserHeaders(p: BrowserProfile, kind: FetchKind): string[] {
  const h = [
    'user-agent',
    p.ua,
    'accept',
    ACCEPT[kind],
    'accept-language',
    p.lang,
    'accept-encoding',
    'gzip, deflate, br',
  ];
  if (kind === 'form') h.push('content-type', 'application/x-www-form-urlencoded');
  return h;
}

export const FLOOD_UAS = [
  'Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/49.0.2623.112 Safari/537.36',
  'python-requests/2.31.0',
  'Go-http-client/1.1',
  'curl/8.5.0',
] as const;

/** A flood tool: one of a few user agents, "accept: any" (JSON for APIs), nothing else. */
export function floodHeaders(i: number, kind: FetchKind): string[] {
  const h = ['user-agent', FLOOD_UAS[i % FLOOD_UAS.length], 'accept', kind === 'api' ? 'application/json' : '*/*'];
  if (kind === 'form') h.push('content-type', 'application/x-www-form-urlencoded');
  return h;
}
