// The coarse family of a User-Agent: a tool (curl, wget, python, go, node, a
// declared bot or a headless browser) or a browser (edge, firefox, chrome,
// safari). One table for identity's request fingerprint and the detector's
// judgement of a fingerprint (a tool over-represented is blamed sooner than a
// browser). Regex tests in order: called per request by the fingerprint and a
// few times a second by the detector. No allocation.

const FAMILIES: readonly (readonly [RegExp, string])[] = [
  // The detector labels a fingerprint whose browser claim the TLS/HTTP2 stack contradicts
  // with this prefix (detector/window.ts SPOOFED_LABEL): never the browser it claims.
  [/^\[spoofed\]/, 'spoofed'],
  [/curl\//i, 'curl'],
  [/wget\//i, 'wget'],
  [/python-requests|python-urllib|aiohttp|httpx/i, 'python'],
  [/go-http-client/i, 'go'],
  [/node-fetch|undici|axios|node\.js/i, 'node'],
  [/bot|crawler|spider|slurp|headless/i, 'bot'],
  [/edg\//i, 'edge'],
  [/firefox\//i, 'firefox'],
  [/chrome\/|chromium\//i, 'chrome'],
  [/safari\//i, 'safari'],
];

/** Families a person's browser reports. */
export const BROWSER_FAMILIES: ReadonlySet<string> = new Set(['edge', 'firefox', 'chrome', 'safari']);

/**
 * Families that name an HTTP library, or none, or a browser claim its headers or stack contradict:
 * no person's browser, and no app's own client ('other') or declared bot ('bot') either.
 */
export const TOOL_FAMILIES: ReadonlySet<string> = new Set(['curl', 'wget', 'python', 'go', 'node', 'spoofed', 'none']);

/** 'chrome', 'firefox', 'curl', 'python', … ; 'none' without a User-Agent, 'other' when unrecognised. */
export function uaFamily(ua: string | undefined): string {
  if (!ua) return 'none';
  for (let i = 0; i < FAMILIES.length; i++) if (FAMILIES[i][0].test(ua)) return FAMILIES[i][1];
  return 'other';
}

/**
 * A browser's form post from this site (Sec-Fetch-Site not `cross-site`): it follows a 307 with its method,
 * its body and a cookie the 307 set. Across sites a SameSite=Lax cookie would not come back with it.
 */
export function followsPostRedirect(agent: string, secFetchSite: string | string[] | undefined): boolean {
  return BROWSER_FAMILIES.has(agent) && secFetchSite !== 'cross-site';
}
