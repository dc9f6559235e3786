// Listeners by topic for the once-a-tick message channels (peers between
// cluster workers, the node bus between nodes): on() adds one, dispatch()
// calls a topic's listeners in order and reports a throwing one instead of
// breaking the channel. Memory: the listeners only.
export interface Topics<A extends unknown[]> {
  on(topic: string, fn: (...args: A) => void): () => void;
  dispatch(topic: string, ...args: A): void;
}

export function createTopics<A extends unknown[]>(
  onError: (err: unknown, topic: string) => void = () => {},
): Topics<A> {
  const subs = new Map<string, ((...args: A) => void)[]>();
  return {
    on(topic, fn) {
      const fns = subs.get(topic) ?? [];
      fns.push(fn);
      subs.set(topic, fns);
      return () => {
        const i = fns.indexOf(fn);
        if (i >= 0) fns.splice(i, 1);
      };
    },
    dispatch(topic, ...args) {
      const fns = subs.get(topic);
      if (!fns) return;
      for (const fn of fns.slice()) {
        try {
          fn(...args);
        } catch (err) {
          onError(err, topic);
        }
      }
    },
  };
}
