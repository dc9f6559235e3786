// What a connection's TLS and HTTP/2 stacks say about the client, and the
// browser check: a User-Agent that names a browser is believed only when the
// stack underneath looks like that browser's — Chromium and Safari send
// GREASE in their ClientHello, Firefox does not; every browser offers h2
// first in ALPN; each orders its pseudo-headers its own way (Chromium
// m,a,s,p; Firefox m,p,a,s; Safari m,s,p,a or m,s,a,p). curl, Python, Go and
// Node send no GREASE and other orders. A tool built to impersonate a browser
// down to its TLS stack (curl-impersonate, uTLS) passes: a signal, not proof.
// O(1) per request (the stack's family is computed once per connection).

/** One connection's passive fingerprints (src/proxy/transport.ts fills it). */
export interface Transport {
  /** JA4 of the ClientHello ('' when not read). */
  ja4: string;
  grease: boolean;
  /** First ALPN protocol offered. */
  alpn: string;
  /** HTTP/2 fingerprint, "SETTINGS|WINDOW_UPDATE|PRIORITY|pseudo-header order" ('' for HTTP/1.1 or before it is read). */
  h2: string;
  /** 32-bit key of ja4 and h2 (limit and signature key); 0 when none. */
  key: number;
  /** The browser stack it looks like: 'chromium', 'firefox', 'safari', 'chromium-or-safari' (HTTP/1.1), or 'other'. */
  family: string;
  /** "ja4 h2", for signatures and evidence (built once per connection). */
  label: string;
  /** The HTTP/2 fingerprint is still to be taken from the session at its first request (fingerprints.http2: settings). */
  h2Pending: boolean;
}

const pseudoOf = (h2: string): string => {
  const i = h2.lastIndexOf('|');
  return i < 0 ? '' : h2.slice(i + 1);
};

/**
 * The browser stack a connection's fingerprints look like: 'chromium', 'safari', 'firefox',
 * 'chromium-or-safari' (GREASE over HTTP/1.1: no pseudo-header order to tell them apart), or 'other'.
 * Each side is judged only when it was read (TLS off: the HTTP/2 side alone).
 */
export function transportFamily(t: Pick<Transport, 'ja4' | 'grease' | 'alpn' | 'h2'>): string {
  const tlsKnown = t.ja4 !== '';
  const h2Known = t.h2 !== '';
  if (!tlsKnown && !h2Known) return 'other';
  if (tlsKnown && t.alpn !== 'h2') return 'other'; // every browser offers h2 first
  const pseudo = pseudoOf(t.h2);
  const fits = (grease: boolean, orders: readonly string[]) =>
    (!tlsKnown || t.grease === grease) && (!h2Known || orders.includes(pseudo));
  if (!h2Known && t.grease) return 'chromium-or-safari';
  if (fits(true, ['m,a,s,p'])) return 'chromium';
  if (fits(true, ['m,s,p,a', 'm,s,a,p'])) return 'safari';
  if (fits(false, ['m,p,a,s'])) return 'firefox';
  return 'other';
}

/** The stacks each browser family of the User-Agent may sit on. */
const STACKS: Record<string, readonly string[]> = {
  chrome: ['chromium', 'chromium-or-safari'],
  edge: ['chromium', 'chromium-or-safari'],
  firefox: ['firefox'],
  safari: ['safari', 'chromium-or-safari'],
};

/**
 * The user-agent family a request is treated as: the claimed one, or
 * `spoofed` when it names a browser whose stack the connection's fingerprints
 * contradict. No transport (plain HTTP, fingerprints off): the claim stands.
 */
export function checkedFamily(claimed: string, t: Pick<Transport, 'ja4' | 'h2' | 'family'> | null): string {
  const ok = STACKS[claimed];
  if (ok === undefined || t === null || (t.ja4 === '' && t.h2 === '')) return claimed;
  return ok.includes(t.family) ? claimed : 'spoofed';
}
