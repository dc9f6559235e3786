// JA4 of a TLS ClientHello (FoxIO's JA4, BSD-3-Clause; only JA4 itself — the
// FoxIO-licensed JA4+ family is not used: docs/edge.md). Computed here from a
// parsed hello (read-tls-client-hello reads and parses it; its own
// calculateJa4 deviates from the reference in three ways, fixed below: the
// TLS version is the highest non-GREASE entry of supported_versions, a
// one-character ALPN gives "x0", a non-alphanumeric ALPN end is hex).
// Also the traits the browser check reads (GREASE, ALPN). Once per TLS
// connection, never per request: a few small arrays and two SHA-256 digests.
import { createHash } from 'node:crypto';

/** The parsed hello fields JA4 reads (read-tls-client-hello's TlsClientHelloMessage fits). */
export interface HelloLike {
  version: number;
  cipherSuites: number[];
  extensions: { id: number; data: Record<string, unknown> | null }[];
}

export interface TlsFingerprint {
  ja4: string;
  /** GREASE values among ciphers or extensions (Chromium and Safari send them; OpenSSL, Go, Node, Firefox do not). */
  grease: boolean;
  /** The first ALPN protocol offered, '' when none. */
  alpn: string;
}

export const isGrease = (v: number): boolean => (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff);

const VERSIONS: Record<number, string> = {
  772: '13',
  771: '12',
  770: '11',
  769: '10',
  768: 's3',
  2: 's2',
  65279: 'd1',
  65277: 'd2',
  65276: 'd3',
};

const hex4 = (n: number) => n.toString(16).padStart(4, '0');
const sha12 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);
const alnum = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

function alpnPart(p: string): string {
  if (p.length === 0) return '00';
  const a = p.charCodeAt(0);
  const b = p.charCodeAt(p.length - 1);
  if (!alnum(a) || !alnum(b))
    return (a & 0xff).toString(16).padStart(2, '0')[0] + (b & 0xff).toString(16).padStart(2, '0').slice(-1);
  return p.length === 1 ? `${p}0` : p[0] + p[p.length - 1];
}

export function tlsFingerprintOf(h: HelloLike): TlsFingerprint {
  const ciphers = h.cipherSuites.filter((c) => !isGrease(c));
  const exts = h.extensions.filter((e) => !isGrease(e.id));
  const grease = ciphers.length !== h.cipherSuites.length || exts.length !== h.extensions.length;
  const ext = (id: number) => h.extensions.find((e) => e.id === id)?.data ?? null;
  const versions = ((ext(0x002b) as { versions?: number[] } | null)?.versions ?? []).filter((v) => !isGrease(v));
  const top = versions.length > 0 ? Math.max(...versions) : h.version;
  const version = VERSIONS[top] ?? '00';
  const sni = (ext(0x0000) as { serverName?: string } | null)?.serverName ? 'd' : 'i';
  const alpn = ((ext(0x0010) as { protocols?: string[] } | null)?.protocols ?? [])[0] ?? '';
  const count = (n: number) => String(Math.min(n, 99)).padStart(2, '0');
  const a = `t${version}${sni}${count(ciphers.length)}${count(exts.length)}${alpnPart(alpn)}`;
  const b = ciphers.length === 0 ? '000000000000' : sha12(ciphers.map(hex4).sort().join(','));
  const extIds = exts
    .map((e) => e.id)
    .filter((id) => id !== 0x0000 && id !== 0x0010)
    .sort((x, y) => x - y)
    .map(hex4)
    .join(',');
  const sigs = ((ext(0x000d) as { algorithms?: number[] } | null)?.algorithms ?? [])
    .filter((s) => !isGrease(s))
    .map(hex4)
    .join(',');
  const c = exts.length === 0 ? '000000000000' : sha12(sigs ? `${extIds}_${sigs}` : extIds);
  return { ja4: `${a}_${b}_${c}`, grease, alpn };
}
