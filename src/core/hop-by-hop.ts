// The connection-specific (hop-by-hop) response and request headers (RFC 9110
// §7.6.1 and the legacy ones proxies still see): the proxy strips them both
// ways (proxy/headers.ts) and the cache never stores them (cache/fill.ts).
export const HOP_BY_HOP: readonly string[] = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
];
