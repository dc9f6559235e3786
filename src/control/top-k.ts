// Space-saving heavy hitters (Metwally et al.): the k most frequent keys of a
// stream with counts that overestimate by at most the evicted minimum (`error`).
// Memory: k entries, whatever the number of distinct keys (an attack with a
// million addresses still costs k). Per add: one Map lookup; O(k) scan on eviction.

export interface TopEntry<K> {
  key: K;
  /** A string the caller already had (e.g. the client address): formatted only when read. */
  raw: string;
  count: number;
  /** Upper bound on the over-count of this entry. */
  error: number;
}

export class TopK<K extends string | number> {
  private readonly map = new Map<K, TopEntry<K>>();
  constructor(readonly k: number) {}

  /** `raw` is stored as given (no formatting on the hot path); `n` > 1 for sampled streams. */
  add(key: K, raw: string, n = 1): void {
    const e = this.map.get(key);
    if (e !== undefined) {
      e.count += n;
      return;
    }
    if (this.map.size < this.k) {
      this.map.set(key, { key, raw, count: n, error: 0 });
      return;
    }
    let min: TopEntry<K> | null = null;
    for (const x of this.map.values()) if (min === null || x.count < min.count) min = x;
    const m = min as TopEntry<K>;
    this.map.delete(m.key);
    this.map.set(key, { key, raw, count: m.count + n, error: m.count });
  }

  top(n: number): TopEntry<K>[] {
    return [...this.map.values()]
      .sort((a, b) => b.count - a.count)
      .slice(0, n)
      .map((e) => ({ ...e }));
  }

  clear(): void {
    this.map.clear();
  }
}
