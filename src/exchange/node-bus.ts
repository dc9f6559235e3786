// Topics between nodes over the shared state's node channel (Redis pub/sub,
// SharedState.sendToNodes): each message is v8-serialized { t: topic, d: data }
// (typed arrays travel as such). For once-a-tick exchanges between the nodes'
// detectors and rate-limit tables, never per request. A message of an unknown
// topic or one that does not decode is counted and logged once. Memory: the
// listeners only.
import { deserialize, serialize } from 'node:v8';
import type { SharedState } from '../state/index.js';
import type { Logger } from 'pino';
import type { Peers } from './peers.js';
import { createTopics } from './topics.js';
import type { Topic, TopicData } from './messages.js';

export interface NodeBus {
  /** To every other node (dropped while the store is unreachable). */
  send<T extends Topic>(topic: T, data: TopicData[T]): void;
  /** Calls fn with each message of `topic` from another node; returns the unsubscribe function. */
  on(topic: Topic, fn: (data: unknown) => void): () => void;
  /** Messages that did not decode, since start. */
  malformed(): number;
  close(): void;
}

export function createNodeBus(state: SharedState, log: Logger): NodeBus {
  const topics = createTopics<[data: unknown]>((err, topic) =>
    log.error({ err, topic }, 'a node message listener failed'),
  );
  let malformed = 0;
  const off = state.onNodeMessage((payload) => {
    let m: unknown;
    try {
      m = deserialize(payload);
    } catch {
      m = null;
    }
    const topic = m !== null && typeof m === 'object' ? (m as { t?: unknown }).t : undefined;
    if (typeof topic !== 'string') {
      if (malformed++ === 0)
        log.warn(
          { bytes: payload.length },
          'another node sent a message this version cannot read (mixed versions?); ignored',
        );
      return;
    }
    topics.dispatch(topic, (m as { d: unknown }).d);
  });
  return {
    send(topic, data) {
      state.sendToNodes(serialize({ t: topic, d: data }));
    },
    on: topics.on,
    malformed: () => malformed,
    close: off,
  };
}

/** A single-process node's Peers for a topic exchanged with the other nodes (its "others" are the nodes). */
export function nodePeers(bus: NodeBus): Peers {
  return {
    index: 0,
    count: 1,
    recorder: true,
    send: (topic, data) => bus.send(topic, data),
    on: (topic, fn) => bus.on(topic, (d) => fn(d, 0)),
  };
}
