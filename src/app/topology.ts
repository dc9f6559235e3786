// Where this process stands among the others, chosen once: a single process,
// a node of several sharing Redis/Valkey, or a cluster worker (the cluster's
// primary runs no app: src/app/cluster.ts). The topology says what differs
// between them — where the detector runs, which channels this process
// exchanges on once a tick, who writes evidence — so createApp has no
// `if worker` of its own. docs/topology.md draws the processes and channels.
import type { Logger } from 'pino';
import type { Store } from '../cache/store.js';
import type { Config } from '../config/schema.js';
import { createDetector, type Detector } from '../detector/detector.js';
import type { DetectorEvent, DetectorSnapshot } from '../detector/events.js';
import { createRemoteDetector } from '../detector/remote.js';
import type { WindowPart } from '../detector/window-part.js';
import type { Evidence } from '../control/incidents.js';
import type { PolicyStage } from '../policy/stage.js';
import type { SharedState } from '../state/index.js';
import { createEvidencePeers } from '../exchange/evidence-peers.js';
import { createLimitPeers } from '../exchange/limits-peers.js';
import { createNodeBus, nodePeers } from '../exchange/node-bus.js';
import { createNodeParts } from '../exchange/node-parts.js';
import type { Peers } from '../exchange/peers.js';
import type { TickPart } from '../exchange/tick-part.js';

/** A cluster worker's link to the primary's detector: it sends its closed seconds and gets the events back. */
export interface DetectorLink {
  send(part: WindowPart): void;
  /** Subscribes to the primary's detector output; returns the unsubscribe function. */
  listen(deliver: (events: DetectorEvent[], snapshot: DetectorSnapshot) => void): () => void;
}

/** What the topology needs from the app to build its parts. */
export interface TopologyDeps {
  config: Config;
  state: SharedState;
  log: Logger;
  now: () => number;
  onListenerError: (err: unknown) => void;
}

/** The channels this process exchanges on, as tick parts: `beforeDetector` run right before the detector's tick. */
export interface Exchanges {
  beforeDetector: TickPart[];
  afterTick: TickPart[];
}

export interface Topology {
  readonly kind: 'single' | 'node' | 'worker';
  /** This process's detector (its own, or the primary's behind a link); null when detector.enabled is false. */
  detector(deps: TopologyDeps): { detector: Detector | null; learnsHere: boolean; unlink(): void };
  /** The once-a-tick channels: rate-limit usage, evidence parts, other nodes' detector seconds. */
  exchanges(deps: TopologyDeps & ExchangeParts): Exchanges;
  /** Writes the incident store, sends alerts and syncs the kernel ban set (one process per data_dir). */
  readonly writer: boolean;
  /** Incident ids and headline figures come from the shared state (summed over workers or nodes). */
  readonly sharedFigures: boolean;
  /** Processes sharing the origin: each admits 1/n of origin_protection's limit. */
  readonly originShares: number | undefined;
  /** The machine's shared response store (cluster workers); null: this process's memory. */
  readonly cacheStore: ((maxBytes: number) => Store) | null;
  /** The worker's slot, count and pid (admin API); null outside a cluster. */
  readonly worker: { index: number; count: number; pid: number; recorder: boolean } | null;
  /** The client book's name in data_dir/learned.sqlite (one per worker slot). */
  readonly bookName: string;
  /** POST /api/reload (a worker asks its primary); null: re-read the config file, if any. */
  readonly reloader: (() => Promise<{ file: string }>) | null;
  /** GET /metrics of the whole cluster (a worker asks its primary). */
  readonly clusterMetrics: (() => Promise<string>) | null;
}

/** What the exchanges carry, from the app's parts. */
export interface ExchangeParts {
  detector: Detector | null;
  evidence: Evidence | null;
  policy: () => PolicyStage;
}

function ownDetector(d: TopologyDeps) {
  const detector = d.config.detector.enabled
    ? createDetector(d.config.detector, { state: d.state, onListenerError: d.onListenerError })
    : null;
  return { detector, learnsHere: detector !== null, unlink: () => {} };
}

const NONE: Exchanges = { beforeDetector: [], afterTick: [] };

/** One process on its own state (memory), or the first of several nodes (redis), chosen by `state.backend`. */
export function standalone(config: Config): Topology {
  return config.state.backend === 'redis' ? redisNode() : singleProcess();
}

export function singleProcess(): Topology {
  return {
    kind: 'single',
    detector: ownDetector,
    exchanges: () => NONE,
    writer: true,
    sharedFigures: false,
    originShares: undefined,
    cacheStore: null,
    worker: null,
    bookName: 'clients',
    reloader: null,
    clusterMetrics: null,
  };
}

/**
 * A node among several on Redis (one process; a cluster's primary does this for its workers): the detector
 * also scores the other nodes' seconds, and the rate limits are charged the other nodes' usage.
 */
export function redisNode(): Topology {
  return {
    ...singleProcess(),
    kind: 'node',
    sharedFigures: true,
    exchanges(d) {
      const bus = createNodeBus(d.state, d.log);
      const parts = d.detector ? createNodeParts({ detector: d.detector, bus, log: d.log }) : null;
      const limits = createLimitPeers({ peers: nodePeers(bus), now: d.now, log: d.log, policy: d.policy });
      const busPart: TickPart = { tick: () => {}, close: () => bus.close() };
      const beforeDetector: TickPart[] = parts ? [{ tick: () => parts.beforeTick(), close: parts.close }] : [];
      return { beforeDetector, afterTick: [limits, busPart] };
    },
  };
}

export interface WorkerLinks {
  peers: Peers;
  detectorLink: DetectorLink;
  role: { index: number; count: number; pid: number; recorder: boolean };
  cacheStore: ((maxBytes: number) => Store) | null;
  reloader: () => Promise<{ file: string }>;
  clusterMetrics: () => Promise<string>;
}

/** A cluster worker: the primary runs the one detector over every worker's seconds and relays the peers' topics. */
export function clusterWorker(links: WorkerLinks): Topology {
  return {
    kind: 'worker',
    detector(d) {
      if (!d.config.detector.enabled) return { detector: null, learnsHere: false, unlink: () => {} };
      const remote = createRemoteDetector({ send: links.detectorLink.send, onListenerError: d.onListenerError });
      return { detector: remote, learnsHere: false, unlink: links.detectorLink.listen(remote.deliver) };
    },
    exchanges(d) {
      const limits = createLimitPeers({ peers: links.peers, now: d.now, log: d.log, policy: d.policy });
      const evidence = d.evidence
        ? [createEvidencePeers({ peers: links.peers, now: d.now, log: d.log, evidence: d.evidence })]
        : [];
      return { beforeDetector: [], afterTick: [limits, ...evidence] };
    },
    writer: links.role.recorder,
    sharedFigures: true,
    originShares: links.role.count,
    cacheStore: links.cacheStore,
    worker: links.role,
    bookName: `clients:${links.role.index}`,
    reloader: links.reloader,
    clusterMetrics: links.clusterMetrics,
  };
}
