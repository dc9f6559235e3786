// Accumulates an incident's top lists (sources, prefixes, fingerprints,
// paths) over its anomalous seconds: counts summed per label, shares taken of
// all requests in those seconds. The detector's per-second signature holds
// only that second; the incident's tops are the sum. Bounded: at most
// KEEP labels a list (the smallest are dropped when it overflows), 20 reported.
import type { Signature, SignatureItem } from '../detector/events.js';
import type { TopItem } from './incidents-types.js';

const KEEP = 200;
const REPORT = 20;
type ListName = 'sources' | 'prefixes' | 'fingerprints' | 'paths';
const LISTS: readonly ListName[] = ['sources', 'prefixes', 'fingerprints', 'paths'];

export type Tops = Record<ListName, TopItem[]>;

export class TopAccumulator {
  private requests = 0;
  private readonly lists = new Map<ListName, Map<string, number>>(LISTS.map((n) => [n, new Map()]));

  /** Starts from tops already recorded (a resumed incident), worth `requests`. */
  seed(tops: Tops, requests: number): void {
    this.requests = requests;
    for (const n of LISTS) for (const t of tops[n]) this.lists.get(n)!.set(t.label, t.count);
  }

  /** One anomalous second: its signature and its request count. */
  add(sig: Signature, requests: number): void {
    this.requests += requests;
    for (const n of LISTS) {
      const m = this.lists.get(n)!;
      for (const item of sig[n] as SignatureItem[]) m.set(item.label, (m.get(item.label) ?? 0) + item.count);
      if (m.size > KEEP) prune(m);
    }
  }

  get empty(): boolean {
    return this.requests === 0;
  }

  result(): Tops {
    const out = {} as Tops;
    for (const n of LISTS) {
      const rows = [...this.lists.get(n)!].sort((a, b) => b[1] - a[1]).slice(0, REPORT);
      out[n] = rows.map(([label, count]) => ({ label, count, share: this.requests > 0 ? count / this.requests : 0 }));
    }
    return out;
  }
}

function prune(m: Map<string, number>): void {
  const keep = [...m].sort((a, b) => b[1] - a[1]).slice(0, KEEP / 2);
  m.clear();
  for (const [k, v] of keep) m.set(k, v);
}
