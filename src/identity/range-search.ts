// Binary search over sorted IPv4 range starts (the compiled geo tables): the
// index of the last range starting at or below an address. O(log n), no
// allocation: run once per new client on the hot path (geo's LRU in front).

/** The index of the last start ≤ ip, or -1 when ip is below every start. */
export function lastStartAtOrBelow(starts: Uint32Array, ip: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid] > ip) hi = mid - 1;
    else lo = mid + 1;
  }
  return hi;
}
