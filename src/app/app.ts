// The composition root: createApp(config) wires listeners, the data-plane
// graph and the one-second tick; reload() builds a new graph and swaps it in
// (a bad config never gets here: it is refused by the loader); stop() drains.
import { connect } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { createCoarseClock, type Clock } from '../core/clock.js';
import { StartupError } from '../core/errors.js';
import type { Observer, Req, Res } from '../core/model.js';
import type { Config, HostPort } from '../config/schema.js';
import { createConnectionGuard, followBans } from '../guard/connections.js';
import {
  createAdaptiveDeadlines,
  createHttpListener,
  createTlsListener,
  type AnyServer,
  type ListenerHooks,
} from '../proxy/listeners.js';
import { rawRefusal } from '../proxy/refusals.js';
import { proxyVerdicts } from '../proxy/verdicts.js';
import { normalizeIp } from '../core/ip.js';
import { ACCEPT_VERDICT, type PolicyStats } from '../policy/stage.js';
import { createStateFromConfig, createTrafficCounts, type MemoryState, type SharedState } from '../state/index.js';
import { createPersistence } from './persist.js';
import { buildGraph, type Graph } from './graph.js';
import type { ChallengeStats } from '../challenge/metrics.js';
import type { CacheStats } from '../cache/stage.js';
import type { Store } from '../cache/store.js';
import type { AdmissionStats } from '../proxy/admission.js';
import { createLogger, type Logger } from './logger.js';
import { createDetector, type Detector } from '../detector/detector.js';
import { createRemoteDetector } from '../detector/remote.js';
import type { DetectorEvent, DetectorSnapshot } from '../detector/events.js';
import type { WindowPart } from '../detector/window-part.js';
import { createControl, type Control, type ControlSettings } from '../control/control.js';
import { rampartVersion } from '../control/version.js';
import { join } from 'node:path';
import { createGeo, type Geo } from '../identity/geo.js';
import { ClientBook } from '../identity/client-book.js';
import { createAttribution } from '../detector/attribution.js';
import { createEvidence, type Evidence } from '../control/incidents.js';
import { createIncidentIds } from '../control/incidents-ids.js';
import type { Peers } from './peers.js';
import { createLimitPeers, type PeerSync } from './limits-peers.js';
import { createEvidencePeers } from './evidence-peers.js';
import { createNodeParts } from './node-parts.js';
import { createNodeBus, nodePeers } from './node-bus.js';
import { createEdge } from './edge.js';

export interface AppOptions {
  log?: Logger;
  clock?: Clock;
  /** Extra observers (tests, metrics); run after every response. */
  observers?: Observer[];
  /** A state made by the caller (cluster worker, tests); the caller then closes it. Default: from config.state. */
  state?: SharedState;
  /** The YAML file the config came from: POST /api/reload re-reads it. */
  configFile?: string;
  /** Processes sharing the origin (cluster workers): each admits 1/n of origin_protection's limit. Default 1. */
  originShares?: number;
  /** Set in a cluster worker: opens the machine's shared response store (src/cache/shared-store.ts). Default: this process's memory. */
  cacheStore?: ((maxBytes: number) => Store) | null;
  /** Set in a cluster worker: its slot, the worker count, its pid, and whether it writes the incident store. */
  worker?: { index: number; count: number; pid: number; recorder: boolean };
  /** POST /api/reload handler (a cluster worker asks its primary); default: re-read configFile. */
  reloader?: () => Promise<{ file: string }>;
  /** GET /metrics of the whole cluster (a worker asks its primary, which gathers every worker's samples). */
  clusterMetrics?: () => Promise<string>;
  /** Set in a cluster worker: messages to the other workers, relayed by the primary (src/app/peers.ts). */
  peers?: Peers | null;
  /** Set in a cluster worker: the detector runs in the primary; this process sends its seconds and gets events back. */
  detectorLink?: DetectorLink | null;
}

export interface DetectorLink {
  send(part: WindowPart): void;
  /** Subscribes to the primary's detector output; returns the unsubscribe function. */
  listen(deliver: (events: DetectorEvent[], snapshot: DetectorSnapshot) => void): () => void;
}

export interface App {
  start(): Promise<void>;
  stop(): Promise<void>;
  reload(config: Config): Promise<void>;
  address(kind?: 'http' | 'tls'): HostPort | null;
  url(kind?: 'http' | 'tls'): string;
  readonly config: Config;
  readonly log: Logger;
  /** Bans, mitigations, mode, keys and counters shared by this process's graphs (and by nodes, with redis). */
  readonly state: SharedState;
  inFlight(): number;
  /** Challenge counters of the current graph (reset by a reload); null when the challenge is disabled. */
  challengeStats(): ChallengeStats | null;
  /** The detector (snapshot(), onEvent(), noteSlowConnection()); null when detector.enabled is false. Created once: reloads keep it and its baselines. */
  readonly detector: Detector | null;
  /** Policy counters of the current graph (reset by a reload): refused / would-refuse per rule, tracked keys. */
  policyStats(): PolicyStats;
  /** Origin protection counters of the current graph (reset by a reload); null when disabled. */
  cacheStats(): CacheStats | null;
  admissionStats(): AdmissionStats | null;
  /** The control plane: admin API, dashboard, metrics, alerts (src/control). */
  readonly control: Control;
  /** Incident store, recorder and report routes (src/control/incidents.ts); null when evidence or the detector is off. */
  readonly evidence: Evidence | null;
  /** Country/ASN databases (src/identity/geo.ts); null when geo.enabled is false. */
  readonly geo: Geo | null;
}

export function createApp(initial: Config, opts: AppOptions = {}): App {
  const log = opts.log ?? createLogger(initial.log.level);
  const clock = opts.clock ?? createCoarseClock(10);
  let inflight = 0;
  const observers: Observer[] = [() => inflight--, ...(opts.observers ?? [])];
  const state = opts.state ?? createState(initial, clock.now, log);
  const onListenerError = (err: unknown) => log.error({ err }, 'detector event listener failed');
  let unlinkDetector = () => {};
  let detector: Detector | null = null;
  if (initial.detector.enabled && opts.detectorLink) {
    // Cluster worker: the primary runs the one detector over every worker's seconds.
    const remote = createRemoteDetector({ send: opts.detectorLink.send, onListenerError });
    unlinkDetector = opts.detectorLink.listen(remote.deliver);
    detector = remote;
  } else if (initial.detector.enabled) detector = createDetector(initial.detector, { state, onListenerError });
  if (detector) observers.push(detector.observe);
  // Several nodes on Redis (a single-process node; a cluster's primary does this for its workers): the
  // detector also scores the other nodes' seconds, the rate limits are charged the other nodes' usage.
  const bus = !opts.worker && initial.state.backend === 'redis' ? createNodeBus(state, log) : null;
  const nodeParts = detector && bus ? createNodeParts({ detector, bus, log }) : null;
  // Shared state (cluster workers, redis nodes): one incident id and global headline figures; one writer per data_dir.
  const shared = opts.worker !== undefined || initial.state.backend === 'redis';
  // Sums are global only while the shared store answers (else they hold this node's counts alone).
  const share = {
    global: shared ? (s: number) => (state.health().connected ? state.globalCounts(s) : null) : null,
    write: opts.worker?.recorder ?? true,
  };
  const { geo, evidence } = createEvidenceParts(
    initial,
    clock.now,
    log,
    observers,
    detector !== null,
    () => graph.challenge?.stats() ?? { issued: 0, solved: 0 },
    share,
  );
  const traffic = createTrafficCounts(state); // per-second figures summed over workers/nodes by the state
  observers.push(traffic.observe);
  const control = createControl({
    settings: controlSettings(initial),
    log,
    accessLog: (line, msg) => log.info(line, msg),
    now: clock.now,
    version: rampartVersion(),
    state,
    detector,
    incidents: evidence,
    routes: evidence?.routes ?? [],
    sources: [
      {
        name: 'challenge',
        counters: [
          'issued',
          'solved',
          'solvedNoJs',
          'failed',
          'replayed',
          'expired',
          'passesAccepted',
          'passesRejected',
        ],
        labels: { byRouteClass: 'route_class', solvedVia: 'via' },
        read: () => graph.challenge?.stats() ?? null,
      },
      {
        name: 'cache',
        counters: [
          'hits',
          'misses',
          'staleServed',
          'coalesced',
          'bypassed',
          'stored',
          'uncacheable',
          'passed',
          'evictions',
        ],
        read: () => graph.cache?.stats() ?? null,
      },
      {
        name: 'admission',
        counters: ['admitted', 'abandoned', 'staleInsteadOfShed', 'circuitRefused', 'circuitOpened', 'shed', 'expired'],
        read: () => graph.admission?.stats() ?? null,
      },
      {
        name: 'policy',
        counters: ['refused', 'wouldRefuse', 'challenged', 'allowListed', 'evictions'],
        read: () => graph.policy.stats(),
      },
      { name: 'guard', counters: ['accepted', 'refused', 'banned', 'closedOnBan'], read: () => guard.stats() },
      { name: 'firewall', counters: ['syncs', 'deltas', 'failures'], read: () => edge.firewall?.stats() ?? null },
      {
        name: 'h2',
        counters: [
          'sessions',
          'streams',
          'prematureResets',
          'protocolErrors',
          'controlFrames',
          'glitches',
          'abusiveSessions',
          'recycledSessions',
        ],
        read: () => edge.h2?.stats() ?? null,
      },
    ],
    // The loader (zod, yaml) is imported when a reload asks for it: a cluster worker gets its configuration parsed.
    reload:
      opts.reloader ??
      (opts.configFile
        ? async () => (
            await reload((await import('../config/load.js')).loadConfigFile(opts.configFile!)),
            { file: opts.configFile! }
          )
        : null),
    inFlight: () => inflight,
    worker: opts.worker ?? null,
    clusterMetrics: opts.clusterMetrics ?? null,
  });
  observers.push(...control.observers);
  // Several nodes (redis): one incident id for an attack seen by all of them, from the shared slot. One node
  // (its cluster workers included) has one detector, whose own ids are the node's — and survive a restart.
  const ids = createIncidentIds({
    state: initial.state.backend === 'redis' ? state : null,
    onFallback: (id, why) => log.warn({ incident: id, why }, "incident recorded under this node's own id"),
  });
  detector?.onEvent(ids.onEvent);
  // Cluster: worker slot 1 alerts (as it records); every worker would send the same alert under the shared id.
  if (opts.worker?.recorder ?? true) ids.subscribe((e) => control.onDetectorEvent(e));
  if (evidence) ids.subscribe((e) => evidence.onEvent(e));
  const book = new ClientBook(initial.identity.clients);
  // HTTP/2 abuse counters (and the kernel ban set): src/app/edge.ts.
  const edge = createEdge(initial, {
    now: clock.now,
    log,
    noteH2Abuse: detector ? detector.noteH2Abuse : null,
    state,
    config: () => graph.config,
    firewallWriter: opts.worker?.recorder ?? true,
  });
  const deps = {
    now: clock.now,
    log,
    observers,
    state,
    geo,
    originShares: opts.originShares,
    book,
    cacheStore: opts.cacheStore ?? null,
  };
  // What this process learned, kept across restarts in data_dir (src/app/persist.ts): the detector where it
  // runs here, the memory backend's view when this process owns it, the client book always.
  const persist = createPersistence({
    dataDir: initial.dataDir,
    log,
    now: clock.now,
    detector: detector !== null && !opts.detectorLink ? detector : null,
    view:
      !opts.worker && !opts.state && 'view' in state && initial.state.backend === 'memory'
        ? (state as MemoryState).view
        : null,
    book,
    bookName: opts.worker ? `clients:${opts.worker.index}` : 'clients',
    shared: !opts.worker && initial.state.backend === 'redis' ? state : null,
  });
  let graph: Graph = buildGraph(initial, deps);
  const guard = createConnectionGuard({
    maxPerIp: initial.limits.maxConnectionsPerIp,
    plainRefusal: rawRefusal(proxyVerdicts.connLimit),
    // Bans and the deny list refused at accept, before any HTTP parsing (the current graph's policy).
    refuse: (ip) => graph.policy.refusesAtAccept(ip),
    bannedRefusal: rawRefusal(ACCEPT_VERDICT),
    now: clock.now,
  });
  // Cluster workers: rate-limit usage shared with the other workers, evidence parts sent to the recorder.
  const peerSyncs: PeerSync[] = [];
  if (opts.peers) {
    peerSyncs.push(createLimitPeers({ peers: opts.peers, now: clock.now, log, policy: () => graph.policy }));
    if (evidence) peerSyncs.push(createEvidencePeers({ peers: opts.peers, now: clock.now, log, evidence }));
  } else if (bus)
    peerSyncs.push(createLimitPeers({ peers: nodePeers(bus), now: clock.now, log, policy: () => graph.policy }));
  // A new ban closes the connections its address already holds (slowloris sockets, keep-alives).
  const unfollowBans = followBans(guard, state);
  const hooks: ListenerHooks = {
    handle(req: Req, res: Res) {
      inflight++;
      graph.pipeline.handle(req, res);
    },
    upgrade(req: Req, res: Res, head: Buffer) {
      inflight++;
      graph.pipeline.handle(req, res, head);
    },
    guard,
    h2: edge.h2,
    onParseError: () => {},
  };
  let http: HttpServer | null = null;
  let tls: AnyServer | null = null;
  let tick: NodeJS.Timeout | null = null;
  // Shorter header/idle deadlines while the mode is elevated/under_attack or slow heads pile up.
  const deadlines = createAdaptiveDeadlines(
    () => [http, tls],
    initial.limits,
    { mode: () => state.mode(), stalledHeads: guard.sweep, observe: () => state.enforcement() === 'observe' },
    (tight, why) =>
      log.warn(
        { tight, why },
        tight ? 'connection deadlines tightened' : 'connection deadlines back to the configured values',
      ),
  );

  async function start(): Promise<void> {
    const c = graph.config;
    await state.start();
    await persist.restore(); // before listening: bans, keys and baselines of the last run are in force from the first request
    const sh = state.health();
    if (!sh.connected)
      log.warn(
        { backend: sh.backend, error: sh.error },
        "shared state not reachable at start: defending on this node's own view until it is",
      );
    // The admin listener first: if its port is taken nothing else is left open (the process can exit).
    try {
      await control.start();
    } catch (e) {
      if (!opts.state) await state.close();
      throw e;
    }
    // A listener that cannot open closes what start opened so far (else the process would hang on it).
    const unwind = async (e: unknown): Promise<never> => {
      for (const srv of [http, tls]) srv?.close(() => {});
      await control.stop();
      if (!opts.state) await state.close();
      throw e;
    };
    http = createHttpListener(hooks, c.limits);
    if (detector) noteDeadlines(http, detector);
    await listen(http, c.listen).catch(unwind);
    if (c.tls.cert && c.tls.listen) {
      tls = createTlsListener(hooks, c.limits, c.tls, c.http2, c.fingerprints);
      if (detector) noteDeadlines(tls, detector);
      await listen(tls, c.tls.listen).catch(unwind);
    }
    tick = setInterval(() => {
      const now = clock.now(); // one clock read per tick, shared by every ticking module
      graph.bodyWatch.sweep(now, detector?.noteSlowConnection); // slow POSTs reach the detector like slowloris closes
      nodeParts?.beforeTick();
      detector?.tick(now);
      ids.tick(now);
      deadlines.tick(now);
      edge.tick(now);
      evidence?.tick(now); // after the detector: this second's events are in; one store transaction
      traffic.tick(now);
      for (let i = 0; i < peerSyncs.length; i++) peerSyncs[i].tick(now);
      persist.tick(now);
    }, 1000);
    tick.unref();
    checkOrigin(c.origin, log);
  }

  async function stop(): Promise<void> {
    if (tick) clearInterval(tick);
    for (const p of peerSyncs) p.close();
    unlinkDetector();
    nodeParts?.close();
    bus?.close();
    unfollowBans();
    await edge.close();
    await control.stop();
    const servers = [http, tls].filter((s): s is AnyServer => s !== null);
    const closed = Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    for (const s of servers) (s as HttpServer).closeIdleConnections?.();
    const deadline = Date.now() + graph.config.limits.drainTimeout;
    while (inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    for (const s of servers) (s as HttpServer).closeAllConnections?.();
    await closed;
    await graph.close();
    persist.close();
    evidence?.close();
    if (!opts.state) await state.close();
    if (!opts.clock) clock.stop();
  }

  async function reload(next: Config): Promise<void> {
    const old = graph;
    const fresh = buildGraph(next, { ...deps, previous: old });
    if (
      !sameAddress(old.config.listen, next.listen) ||
      old.config.tls.cert !== next.tls.cert ||
      old.config.tls.key !== next.tls.key
    ) {
      await fresh.close();
      throw new StartupError(
        'E_RELOAD_LISTEN',
        'listen addresses and TLS files cannot change on reload',
        'restart Rampart to change listeners',
      );
    }
    graph = fresh;
    guard.setMaxPerIp(next.limits.maxConnectionsPerIp);
    deadlines.setLimits(next.limits);
    edge.reload(next);
    control.reconfigure(controlSettings(next));
    log.info({ origin: next.origin }, 'configuration reloaded');
    await old.close();
  }

  function address(kind: 'http' | 'tls' = 'http'): HostPort | null {
    const s = kind === 'http' ? http : tls;
    const a = s?.address();
    return a && typeof a === 'object' ? { host: a.address, port: a.port } : null;
  }

  return {
    start,
    stop,
    reload,
    address,
    url(kind = 'http') {
      const a = address(kind);
      if (!a) return '';
      const host = a.host.includes(':') ? `[${a.host}]` : a.host;
      return `${kind === 'http' ? 'http' : 'https'}://${host}:${a.port}`;
    },
    get config() {
      return graph.config;
    },
    log,
    state,
    detector,
    inFlight: () => inflight,
    challengeStats: () => graph.challenge?.stats() ?? null,
    policyStats: () => graph.policy.stats(),
    cacheStats: () => graph.cache?.stats() ?? null,
    admissionStats: () => graph.admission?.stats() ?? null,
    control,
    evidence,
    geo,
  };
}

/** Geo databases, attribution counters and the incident store (docs/evidence.md), created once per app. */
function createEvidenceParts(
  c: Config,
  now: () => number,
  log: Logger,
  observers: Observer[],
  hasDetector: boolean,
  challenge: () => { issued: number; solved: number },
  share: { global: ((s: number) => Record<string, number> | null) | null; write: boolean },
): { geo: Geo | null; evidence: Evidence | null } {
  const geo = c.geo.enabled
    ? createGeo({
        countryDb: c.geo.countryDb,
        asnDb: c.geo.asnDb,
        cacheSize: c.geo.cacheSize,
        cacheDir: join(c.dataDir, 'geo'),
      })
    : null;
  if (!c.evidence.enabled || !hasDetector) return { geo, evidence: null };
  const attribution = createAttribution();
  observers.push(attribution.observe);
  const info = geo?.info();
  const evidence = createEvidence({
    config: c.evidence,
    dataDir: c.dataDir,
    now,
    attribution,
    licences: info?.licences ?? [],
    asnNamesFile: info?.asnNamesFile || undefined,
    challenge,
    log,
    ...share,
  });
  observers.push(...evidence.observers);
  return { geo, evidence };
}

function controlSettings(c: Config): ControlSettings {
  return { admin: c.admin, alerts: c.alerts, log: c.log, dataDir: c.dataDir };
}

/** The state of one process, from `state:` (created once; reloads keep it). */
function createState(c: Config, now: () => number, log: Logger): SharedState {
  return createStateFromConfig(c.state, { now, log });
}

/** Connections closed by the header deadline (slowloris) go to the detector with their address. */
function noteDeadlines(server: AnyServer, detector: Detector): void {
  (server as HttpServer).on('clientError', (err: NodeJS.ErrnoException, socket: { remoteAddress?: string }) => {
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') detector.noteSlowConnection(normalizeIp(socket.remoteAddress ?? ''));
  });
}

function sameAddress(a: HostPort, b: HostPort): boolean {
  return a.host === b.host && (a.port === b.port || b.port === 0);
}

function listen(server: AnyServer, at: HostPort): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE')
        reject(
          new StartupError(
            'E_PORT_IN_USE',
            `cannot listen on ${at.host}:${at.port}: the port is in use`,
            'stop the other program or choose another port with --listen',
          ),
        );
      else if (err.code === 'EACCES')
        reject(
          new StartupError(
            'E_PORT_DENIED',
            `cannot listen on ${at.host}:${at.port}: permission denied`,
            'ports below 1024 need privileges; use e.g. 8080',
          ),
        );
      else
        reject(
          new StartupError('E_LISTEN', `cannot listen on ${at.host}:${at.port}: ${err.message}`, '', { cause: err }),
        );
    };
    server.once('error', onError);
    server.listen(at.port, at.host, () => {
      server.off('error', onError);
      server.on('error', () => {}); // later accept errors (EMFILE…) must not crash the process
      resolve();
    });
  });
}

/** Warns (does not fail) when the origin cannot be reached at start: requests get 502 until it appears. */
function checkOrigin(origin: string, log: Logger): void {
  const u = new URL(origin);
  const port = Number(u.port) || (u.protocol === 'https:' ? 443 : 80);
  const s = connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port });
  s.setTimeout(3000, () => s.destroy(new Error('timeout')));
  s.once('connect', () => s.destroy());
  s.once('error', (err) =>
    log.warn({ origin, err: err.message }, 'origin unreachable at start; serving 502 until it answers'),
  );
}
