import type { Server as HttpServer } from 'node:http';
import { createCoarseClock, TICK_PHASE_MS, type Clock } from '../core/clock.js';
import { StartupError } from '../core/errors.js';
import type { Observer, Req, Res } from '../core/model.js';
import type { Config, HostPort } from '../config/schema.js';
import { followBans, type ConnectionGuard } from '../guard/connections.js';
import {
  type createAdaptiveDeadlines,
  createHttpListener,
  createTlsListener,
  type AnyServer,
} from '../proxy/listeners.js';
import type { ListenerHooks } from '../proxy/listeners.js';
import type { PolicyStats } from '../policy/stage.js';
import { createStateFromConfig, createTrafficCounts, type SharedState } from '../state/index.js';
import type { ChallengeStats } from '../challenge/metrics.js';
import type { CacheStats } from '../cache/stage.js';
import type { AdmissionStats } from '../proxy/admission.js';
import type { Detector } from '../detector/detector.js';
import type { Geo } from '../identity/geo.js';
import { ClientBook } from '../identity/client-book.js';
import type { Evidence } from '../control/incidents.js';
import type { IncidentIds } from '../control/incidents-ids.js';
import type { Persistence } from './persist.js';
import { buildGraph, type Graph, type GraphDeps } from './graph.js';
import { createLogger, type Logger } from './logger.js';
import type { Edge } from './edge.js';
import type { Control } from '../control/control.js';
import { controlSettings } from './control-wiring.js';
import { Ticker } from './ticker.js';
import {
  type AppCore,
  controlOf,
  deadlinesOf,
  edgeOf,
  evidencePartsOf,
  graphDepsOf,
  guardOf,
  incidentIdsOf,
  persistenceOf,
} from './app-parts.js';
import { checkOrigin, listen, noteDeadlines, sameAddress } from './listen.js';
import { standalone, type Topology, type TopologyDeps } from './topology.js';
import { warmUp } from './warm-up.js';

export type { DetectorLink } from './topology.js';

import type { App, AppOptions } from './app-types.js';

export type { App, AppOptions };

export function createApp(initial: Config, opts: AppOptions = {}): App {
  return new ShieldApp(initial, opts);
}

class ShieldApp implements App, AppCore {
  readonly log: Logger;
  readonly state: SharedState;
  readonly detector: Detector | null;
  readonly evidence: Evidence | null;
  readonly geo: Geo | null;
  readonly control: Control;
  readonly topology: Topology;
  readonly clock: Clock;
  readonly observers: Observer[];
  readonly ownsState: boolean;
  readonly configFile: string | undefined;
  private readonly ticker: Ticker;
  /** A cluster worker ticks on the wall clock (TICK_PHASE_MS) for the primary's detector; a process with its own detector keeps a free-running tick. */
  private readonly tickPhase: number | undefined;
  private readonly unlinkDetector: () => void;
  private readonly ids: IncidentIds;
  readonly edge: Edge;
  private readonly persist: Persistence;
  readonly guard: ConnectionGuard;
  private readonly graphDeps: GraphDeps;
  private readonly deadlines: ReturnType<typeof createAdaptiveDeadlines>;
  private readonly unfollowBans: () => void;
  private readonly ownsClock: boolean;
  graph: Graph;
  private inflight = 0;
  http: HttpServer | null = null;
  tls: AnyServer | null = null;

  constructor(initial: Config, opts: AppOptions) {
    this.ownsState = opts.state === undefined;
    this.configFile = opts.configFile;
    this.ownsClock = opts.clock === undefined;
    this.topology = opts.topology ?? standalone(initial);
    this.log = opts.log ?? createLogger(initial.log.level);
    this.clock = opts.clock ?? createCoarseClock(10);
    this.observers = [() => this.inflight--, ...(opts.observers ?? [])];
    this.state = opts.state ?? createStateFromConfig(initial.state, { now: this.clock.now, log: this.log });
    this.ticker = new Ticker(this.log);
    const onListenerError = (err: unknown) => this.log.error({ err }, 'detector event listener failed');
    const deps: TopologyDeps = {
      config: initial,
      state: this.state,
      log: this.log,
      now: this.clock.now,
      onListenerError,
    };
    const placed = this.topology.detector(deps);
    this.detector = placed.detector;
    this.unlinkDetector = placed.unlink;
    if (this.detector) this.observers.push(this.detector.observe);
    ({ geo: this.geo, evidence: this.evidence } = evidencePartsOf(this, initial));
    const traffic = createTrafficCounts(this.state); // per-second figures summed over workers/nodes by the state
    this.observers.push(traffic.observe);
    this.control = controlOf(this, initial);
    this.observers.push(...this.control.observers);
    this.ids = incidentIdsOf(this, initial);
    this.edge = edgeOf(this, initial);
    const book = new ClientBook(initial.identity.clients);
    this.graphDeps = graphDepsOf(this, book);
    this.persist = persistenceOf(this, initial, placed.learnsHere, book);
    this.tickPhase = placed.learnsHere ? undefined : TICK_PHASE_MS;
    this.graph = buildGraph(initial, this.graphDeps);
    this.guard = guardOf(this, initial);
    // A new ban closes the connections its address already holds (slowloris sockets, keep-alives).
    this.unfollowBans = followBans(this.guard, this.state);
    this.deadlines = deadlinesOf(this, initial);
    this.registerTick(deps, traffic);
  }

  /** The tick, in order: each part sees what the earlier ones did this second. */
  private registerTick(deps: TopologyDeps, traffic: { tick(now: number): void }): void {
    const { detector, evidence, ticker } = this;
    const exchanges = this.topology.exchanges({ ...deps, detector, evidence, policy: () => this.graph.policy });
    // Slow POSTs reach the detector like slowloris closes.
    ticker.add('body-watch', { tick: (now) => this.graph.bodyWatch.sweep(now, detector?.noteSlowConnection) });
    for (const p of exchanges.beforeDetector) ticker.add('exchange (before the detector)', p);
    if (detector) ticker.add('detector', detector);
    ticker.add('incident-ids', this.ids);
    ticker.add('deadlines', this.deadlines);
    ticker.add('edge', this.edge);
    if (evidence) ticker.add('evidence', evidence); // after the detector: this second's events are in
    ticker.add('traffic', traffic);
    for (const p of exchanges.afterTick) ticker.add('exchange', p);
    ticker.add('persistence', this.persist);
  }

  private hooks(): ListenerHooks {
    return {
      handle: (req: Req, res: Res) => {
        this.inflight++;
        this.graph.pipeline.handle(req, res);
      },
      upgrade: (req: Req, res: Res, head: Buffer) => {
        this.inflight++;
        this.graph.pipeline.handle(req, res, head);
      },
      guard: this.guard,
      h2: this.edge.h2,
      onParseError: () => {},
    };
  }

  async start(): Promise<void> {
    const { state, log, control } = this;
    await state.start();
    await this.persist.restore(); // before listening: bans, keys and baselines of the last run are in force from the first request
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
      if (this.ownsState) await state.close();
      throw e;
    }
    await this.warmUp();
    await this.openListeners();
    this.ticker.start(this.clock, 1000, this.tickPhase);
    checkOrigin(this.graph.config.origin, log);
  }

  /** Rehearses the request path on a private copy before listening (src/app/warm-up.ts); a failure only costs the warmth. */
  private async warmUp(): Promise<void> {
    const c = this.graph.config;
    if (c.limits.warmUp === 0) return;
    try {
      const log = this.log.child({ part: 'warm-up' }, { level: 'error' });
      const r = await warmUp(c, { requests: c.limits.warmUp, geo: this.geo, log });
      this.log.info({ requests: r.sent, answered: r.answered, ms: r.ms }, 'request path warmed up before listening');
    } catch (err) {
      this.log.warn({ err }, 'warm-up failed: listening cold');
    }
  }

  /** A listener that cannot open closes what start opened so far (else the process would hang on it). */
  private async openListeners(): Promise<void> {
    const c = this.graph.config;
    const hooks = this.hooks();
    const unwind = async (e: unknown): Promise<never> => {
      for (const srv of [this.http, this.tls]) srv?.close(() => {});
      await this.control.stop();
      if (this.ownsState) await this.state.close();
      throw e;
    };
    this.http = createHttpListener(hooks, c.limits);
    if (this.detector) noteDeadlines(this.http, this.detector);
    await listen(this.http, c.listen, c.limits.listenBacklog).catch(unwind);
    if (c.tls.cert && c.tls.listen) {
      this.tls = createTlsListener(hooks, c.limits, c.tls, c.http2, c.fingerprints);
      if (this.detector) noteDeadlines(this.tls, this.detector);
      await listen(this.tls, c.tls.listen, c.limits.listenBacklog).catch(unwind);
    }
  }

  async stop(): Promise<void> {
    this.ticker.stop();
    this.unlinkDetector();
    this.unfollowBans();
    await this.control.stop();
    await this.drain();
    await this.graph.close();
    await this.ticker.close(); // the parts in reverse: persistence saves last what the drained requests taught
    if (this.ownsState) await this.state.close();
    if (this.ownsClock) this.clock.stop();
  }

  /** Closes the listeners and waits up to limits.drain_timeout for requests in flight. */
  private async drain(): Promise<void> {
    const servers = [this.http, this.tls].filter((s): s is AnyServer => s !== null);
    const closed = Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    for (const s of servers) (s as HttpServer).closeIdleConnections?.();
    const deadline = Date.now() + this.graph.config.limits.drainTimeout;
    while (this.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    for (const s of servers) (s as HttpServer).closeAllConnections?.();
    await closed;
  }

  async reload(next: Config): Promise<void> {
    const old = this.graph;
    const fresh = buildGraph(next, { ...this.graphDeps, previous: old });
    if (
      !sameAddress(old.config.listen, next.listen) ||
      old.config.tls.cert !== next.tls.cert ||
      old.config.tls.key !== next.tls.key ||
      old.config.limits.listenBacklog !== next.limits.listenBacklog
    ) {
      await fresh.close();
      throw new StartupError(
        'E_RELOAD_LISTEN',
        'listen addresses, limits.listen_backlog and TLS files cannot change on reload',
        'restart Rampart to change listeners',
      );
    }
    this.graph = fresh;
    this.guard.setMaxPerIp(next.limits.maxConnectionsPerIp);
    this.deadlines.setLimits(next.limits);
    this.edge.reload(next);
    this.control.reconfigure(controlSettings(next));
    this.log.info({ origin: next.origin }, 'configuration reloaded');
    await old.close();
  }

  address(kind: 'http' | 'tls' = 'http'): HostPort | null {
    const a = (kind === 'http' ? this.http : this.tls)?.address();
    return a && typeof a === 'object' ? { host: a.address, port: a.port } : null;
  }

  url(kind: 'http' | 'tls' = 'http'): string {
    const a = this.address(kind);
    if (!a) return '';
    const host = a.host.includes(':') ? `[${a.host}]` : a.host;
    return `${kind === 'http' ? 'http' : 'https'}://${host}:${a.port}`;
  }

  get config(): Config {
    return this.graph.config;
  }
  inFlight = (): number => this.inflight;
  challengeStats = (): ChallengeStats | null => this.graph.challenge?.stats() ?? null;
  policyStats = (): PolicyStats => this.graph.policy.stats();
  cacheStats = (): CacheStats | null => this.graph.cache?.stats() ?? null;
  admissionStats = (): AdmissionStats | null => this.graph.admission?.stats() ?? null;
  tickParts = (): string[] => this.ticker.names();
}
