// The client's address: the TCP peer, unless the peer is a trusted proxy, in
// which case X-Forwarded-For is walked from the right, skipping trusted hops
// (the rightmost untrusted address is the first one we can believe).
import type { CidrSet } from '../core/cidr-set.js';
import { isIp, normalizeIp } from '../core/ip.js';

export function clientIpOf(peerIp: string, xff: string | string[] | undefined, trusted: CidrSet): string {
  if (xff === undefined || trusted.size === 0 || !trusted.has(peerIp)) return peerIp;
  const text = Array.isArray(xff) ? xff.join(',') : xff;
  const hops = text.split(',');
  let candidate = peerIp;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeIp(hops[i].trim());
    if (!isIp(hop)) return candidate; // garbage in the chain: stop at the last address we could read
    candidate = hop;
    if (!trusted.has(hop)) return hop;
  }
  return candidate;
}
