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
  /** The browser stack it looks like: 'chromium', 'firefox', 'safari', or 'other'. */
  family: string;
  /** "ja4 h2", for signatures and evidence (built once per connection). */
  label: string;
}

const pseudoOf = (h2: string): string => {
  const i = h2.lastIndexOf('|');
  return i < 0 ? '' : h2.slice(i + 1);
};

/** The browser stack a connection's fingerprints look like. */
export function transportFamily(t: Transport): string {
  if (t.ja4 === '' && t.h2 === '') return 'other';
  const pseudo = pseudoOf(t.h2);
  // An HTTP/1.1 connection (no h2 fingerprint) is judged on TLS alone; a browser still offered h2 first.
  const h2ok = (orders: readonly string[]) => t.h2 === '' || orders.includes(pseudo);
  if (t.ja4 !== '' && t.alpn !== 'h2') return 'other';
  if (t.grease && h2ok(['m,a,s,p'])) return 'chromium';
  if (t.grease && h2ok(['m,s,p,a', 'm,s,a,p'])) return 'safari';
  if (!t.grease && t.ja4 !== '' && h2ok(['m,p,a,s'])) return 'firefox';
  return 'other';
}

/** The stack each browser family of the User-Agent must sit on. */
const STACK: Record<string, string> = { chrome: 'chromium', edge: 'chromium', firefox: 'firefox', safari: 'safari' };

/**
 * The user-agent family a request is treated as: the claimed one, or
 * `spoofed` when it names a browser whose stack the connection's fingerprints
 * contradict. No transport (plain HTTP, fingerprints off): the claim stands.
 */
export function checkedFamily(claimed: string, t: Pick<Transport, 'ja4' | 'h2' | 'family'> | null): string {
  const want = STACK[claimed];
  if (want === undefined || t === null || (t.ja4 === '' && t.h2 === '')) return claimed;
  return t.family === want ? claimed : 'spoofed';
}
