// The detector's event listeners (the full detector and a cluster worker's
// remote one share them): emit() calls each in order and reports a throwing
// listener instead of letting it break the tick. Memory: one array of listeners.
import type { DetectorEvent } from './events.js';

export interface Listeners {
  emit(e: DetectorEvent): void;
  /** Adds fn; returns the function that removes it. */
  on(fn: (e: DetectorEvent) => void): () => void;
}

export function createListeners(onError?: (err: unknown) => void): Listeners {
  const fns: ((e: DetectorEvent) => void)[] = [];
  return {
    emit(e) {
      for (let i = 0; i < fns.length; i++) {
        try {
          fns[i](e);
        } catch (err) {
          onError?.(err);
        }
      }
    },
    on(fn) {
      fns.push(fn);
      return () => {
        const i = fns.indexOf(fn);
        if (i >= 0) fns.splice(i, 1);
      };
    },
  };
}
