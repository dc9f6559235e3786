// Messages between cluster workers, relayed by the primary: a worker sends a
// topic's data to the other workers or to the recorder slot (1); the primary
// forwards it untouched (cluster.ts). For once-a-tick exchanges (rate-limit
// usage, evidence parts), never per request. Data crosses node:cluster IPC
// with advanced serialization: plain objects and typed arrays, no functions.
import type { PeerTarget, ToPrimaryApp, ToWorkerApp, Topic, TopicData } from './messages.js';
import { isAppMessage } from './messages.js';
import { createTopics } from './topics.js';

export type { PeerTarget } from './messages.js';

export interface Peers {
  /** This worker's slot (1…count; a replacement keeps its slot) and the worker count. */
  readonly index: number;
  readonly count: number;
  /** True in the slot that records incidents (1). */
  readonly recorder: boolean;
  /** Sends to the other live workers (default) or to the recorder; dropped when the primary is gone. Never echoed to the sender. */
  send<T extends Topic>(topic: T, data: TopicData[T], to?: PeerTarget): void;
  /** Calls fn(data, fromSlot) for each message of `topic` (data unchecked: the receiver's guard decides); returns the unsubscribe function. */
  on(topic: Topic, fn: (data: unknown, from: number) => void): () => void;
}

/** The worker side: `send` posts to the primary, `listen` subscribes to the primary's messages. */
export function createWorkerPeers(
  role: { index: number; count: number; recorder: boolean },
  send: (m: ToPrimaryApp) => void,
  listen: (fn: (m: unknown) => void) => () => void,
): Peers & { close(): void } {
  // A listener's bug must not take the worker's message loop down: createTopics catches it.
  const topics = createTopics<[data: unknown, from: number]>();
  const off = listen((raw) => {
    if (!isAppMessage(raw) || raw.op !== 'peer') return;
    const m = raw as Extract<ToWorkerApp, { op: 'peer' }>;
    topics.dispatch(m.topic, m.data, m.from);
  });
  return {
    index: role.index,
    count: role.count,
    recorder: role.recorder,
    send(topic, data, to = 'others') {
      if (to === 'recorder' && role.recorder) return;
      try {
        send({ rampart: 'app', op: 'peer', to, topic, data });
      } catch {
        // the primary is gone; the worker is about to drain
      }
    },
    on: topics.on,
    close: off,
  };
}
