// node:cluster on all cores: a thin primary holds the one shared state (memory
// or redis) and its hub, forks `workers` processes that each run a full app,
// replaces a worker that dies (the others keep their connections), relays
// reloads and drains on stop. No request ever reaches the primary's code.
// docs/topology.md draws the processes and what crosses between them.
import cluster, { type Worker } from 'node:cluster';
import { StartupError } from '../core/errors.js';
import { siblingEntry } from '../core/entry.js';
import type { Config } from '../config/schema.js';
import { createStateFromConfig, createStateHub, type HubState, type StateHub } from '../state/index.js';
import { removeSharedStore } from '../cache/shared-store.js';
import {
  isAppMessage,
  type ReloadReply,
  type ToPrimaryApp,
  TOPICS,
  type ToWorkerApp,
  type UsageMessage,
} from '../exchange/messages.js';
import { createNodeBus, type NodeBus } from '../exchange/node-bus.js';
import { createLogger, type Logger } from './logger.js';
import { type ClusterDetector, createClusterDetector } from './cluster-detector.js';
import {
  checkListeners,
  reloadReply,
  shareAccept,
  sharedCacheFile,
  WORKER_ENV,
  WORKER_FLAGS,
  withSharedToken,
  withToken,
  workerCount,
} from './cluster-config.js';
import { MetricsGather } from './cluster-metrics.js';
import type { ClusterHandle, ClusterOptions } from './cluster-types.js';
import { createPersistence, type Persistence } from './persist.js';

export type { ClusterHandle, ClusterOptions } from './cluster-types.js';

/** Deaths within this window beyond MAX_DEATHS slow replacements down (a crash loop must not fork-bomb). */
const DEATH_WINDOW = 60_000;
const MAX_DEATHS = 10;

/** node:cluster shares listening sockets per process (port 0 included): one cluster per process. */
let active = false;

export async function startCluster(config: Config, opts: ClusterOptions = {}): Promise<ClusterHandle> {
  if (!cluster.isPrimary) throw new StartupError('E_CLUSTER', 'startCluster must run in the primary process');
  if (active)
    throw new StartupError(
      'E_CLUSTER',
      'a cluster is already running in this process',
      'node:cluster shares listeners per process: run one cluster per process',
    );
  active = true;
  const log = opts.log ?? createLogger(config.log.level);
  const state = createStateFromConfig(config.state, { now: Date.now, log }) as HubState;
  try {
    await state.start();
  } catch (e) {
    active = false;
    throw e;
  }
  const primary = new ClusterPrimary(config, opts, log, state);
  try {
    await primary.begin();
  } catch (e) {
    await primary.stop();
    throw e;
  }
  return primary.handle();
}

/** A live worker: its pid, whether it said `ready`, and its slot (1…n; a replacement keeps it). */
type Live = { pid: number; ready: boolean; index: number };

class ClusterPrimary {
  private readonly n: number;
  private current: Config;
  private readonly hub: StateHub;
  /** Several nodes (redis): detector parts and rate-limit usage go to the other nodes (src/exchange/node-bus.ts). */
  private readonly bus: NodeBus | null;
  private readonly cd: ClusterDetector | null;
  private readonly persist: Persistence;
  private persistTimer: NodeJS.Timeout | null = null;
  private readonly live = new Map<Worker, Live>();
  private readonly deaths: number[] = [];
  private readonly metrics = new MetricsGather(() => this.readyWorkers());
  private restarts = 0;
  private stopping = false;
  private url = '';
  private cacheFile = '';
  private failStart: ((e: Error) => void) | null = null;

  /** `state` has started: the hub, the node bus and the detector attach to a live store. */
  constructor(
    config: Config,
    private readonly opts: ClusterOptions,
    private readonly log: Logger,
    private readonly state: HubState,
  ) {
    this.n = workerCount(config);
    this.current = withSharedToken(config, this.log);
    this.hub = createStateHub(this.state);
    this.bus = config.state.backend === 'redis' ? createNodeBus(this.state, this.log) : null;
    // Other nodes' rate-limit usage reaches every worker as a peer message from slot 0.
    this.bus?.on(TOPICS.limits, (data) =>
      this.broadcast({ rampart: 'app', op: 'peer', from: 0, topic: TOPICS.limits, data }),
    );
    // One detector for all workers (created once, like a single process's: reloads keep it and its baselines).
    this.cd = config.detector.enabled
      ? createClusterDetector({
          config: config.detector,
          state: this.state,
          log: this.log,
          bus: this.bus,
          broadcast: (events, snapshot) => this.broadcast({ rampart: 'app', op: 'detector', events, snapshot }),
        })
      : null;
    // The primary keeps what the cluster's one detector learned and, with the memory backend, the state
    // (bans, mitigations, mode, keys) across restarts; restored before any worker listens.
    this.persist = createPersistence({
      dataDir: config.dataDir,
      log: this.log,
      now: Date.now,
      detector: this.cd?.detector ?? null,
      view: config.state.backend === 'memory' ? this.state.view : null,
      book: null,
      shared: config.state.backend === 'redis' ? this.state : null,
    });
  }

  async begin(): Promise<void> {
    await this.persist.restore();
    this.persistTimer = setInterval(() => this.persist.tick(Date.now()), 5000);
    this.persistTimer.unref();
    // Compiled: the workers run dist/app/cluster-worker.js as plain JavaScript (src/ under tsx in tests).
    const worker = siblingEntry(import.meta.url, 'cluster-worker');
    shareAccept(cluster);
    cluster.setupPrimary({
      exec: worker.file,
      execArgv: [
        ...WORKER_FLAGS,
        ...worker.execArgv.filter((a) => !WORKER_FLAGS.some((f) => a.startsWith(f.split('=')[0]))),
      ],
      args: [],
      serialization: 'advanced',
    });
    this.cacheFile = sharedCacheFile(this.current, this.log);
    for (let i = 1; i <= this.n; i++) this.fork(i);
    await this.allReady();
    this.failStart = null;
    this.log.info({ workers: this.n, url: this.url, state: this.state.health().backend }, 'cluster started');
  }

  handle(): ClusterHandle {
    return {
      url: this.url,
      pids: () => [...this.live.values()].map((x) => x.pid),
      restarts: () => this.restarts,
      reports: () => this.hub.reports(),
      state: this.state,
      detector: this.cd?.detector ?? null,
      detectorParts: () => this.cd?.stats() ?? { parts: 0, refused: 0, bySlot: {} },
      reload: (next) => this.reload(next),
      stop: () => this.stop(),
    };
  }

  private readyWorkers(): Worker[] {
    return [...this.live].filter(([w, x]) => x.ready && w.isConnected()).map(([w]) => w);
  }

  private broadcast(msg: ToWorkerApp): void {
    for (const w of this.readyWorkers()) w.send(msg as never);
  }

  private fork(index: number): void {
    const w = cluster.fork(WORKER_ENV);
    const port = { send: (m: unknown) => void (w.isConnected() && w.send(m as never)) };
    const receive = this.hub.attach(port);
    this.live.set(w, { pid: w.process.pid ?? 0, ready: false, index });
    w.on('message', (m: unknown) => {
      if (!isAppMessage(m)) receive(m);
      else this.onAppMessage(w, index, port, m as ToPrimaryApp);
    });
    w.once('exit', (code, signal) => {
      this.hub.detach(port);
      this.onExit(w, code, signal);
    });
    // A message sent to a worker that was just killed fails with EPIPE on its channel: without a listener
    // that error would end the primary. The worker's exit (onExit) replaces it.
    w.on('error', (err: Error) => this.log.warn({ pid: w.process.pid, err: err.message }, 'worker channel error'));
  }

  private onAppMessage(w: Worker, index: number, port: { send(m: unknown): void }, msg: ToPrimaryApp): void {
    if (msg.op === 'boot') {
      // Slot 1 records incidents (one writer per data_dir); its replacement inherits the slot.
      const role = { index, count: this.n, recorder: index === 1, cacheFile: this.cacheFile };
      w.send({ rampart: 'app', op: 'config', config: this.current, role } satisfies ToWorkerApp as never);
    } else if (msg.op === 'reload-request') void this.reloadFor(msg.id).then((r) => port.send(r));
    else if (msg.op === 'metrics-request') void this.metrics.answer(msg.id, port);
    else if (msg.op === 'metrics-part') this.metrics.receive(msg.id, msg.json);
    else if (msg.op === 'peer') this.relay(w, index, msg);
    else if (msg.op === 'detector-part') this.cd?.absorb(msg.part, index);
    else if (msg.op === 'ready') {
      this.live.get(w)!.ready = true;
      this.url ||= msg.url;
    } else if (msg.op === 'error') {
      const why = `a worker could not start: ${msg.message}`;
      this.failStart?.(new StartupError('E_WORKER_START', why, 'see the message; the port may be in use'));
    }
  }

  /** A worker that dies after `ready` is replaced in its slot; one that dies during start fails the start. */
  private onExit(w: Worker, code: number | null, signal: string | null): void {
    const was = this.live.get(w);
    this.live.delete(w);
    if (!this.stopping && !was?.ready) {
      const why = `a worker exited during start (code ${code}, signal ${signal})`;
      this.failStart?.(new StartupError('E_WORKER_START', why, 'run with workers: 1 to see the error in-process'));
    }
    if (this.stopping || !was?.ready) return;
    this.restarts++;
    const t = Date.now();
    const deaths = this.deaths;
    deaths.push(t);
    while (deaths.length > 0 && deaths[0] < t - DEATH_WINDOW) deaths.shift();
    const delay = deaths.length > MAX_DEATHS ? 5000 : 0;
    this.log.warn({ pid: was.pid, code, signal, replacingInMs: delay }, 'worker died; starting a replacement');
    setTimeout(() => !this.stopping && this.fork(was.index), delay).unref();
  }

  /** A worker's peer message (src/exchange/peers.ts) to the other live workers, or to the recorder slot. */
  private relay(from: Worker, index: number, msg: Extract<ToPrimaryApp, { op: 'peer' }>): void {
    const out = { rampart: 'app', op: 'peer', from: index, topic: msg.topic, data: msg.data } satisfies ToWorkerApp;
    // A worker's rate-limit usage also goes to the other nodes' workers (their primaries relay it unchecked:
    // every receiver checks it).
    if (msg.topic === TOPICS.limits && msg.to === 'others') this.bus?.send(TOPICS.limits, msg.data as UsageMessage);
    for (const [w, x] of this.live) {
      if (w === from || !x.ready || !w.isConnected()) continue;
      if (msg.to === 'recorder' && x.index !== 1) continue;
      w.send(out as never);
    }
  }

  /** Resolves when every worker said `ready`; rejects on a worker's start error or after startTimeout. */
  private allReady(): Promise<void> {
    const limit = this.opts.startTimeout ?? 30_000;
    return new Promise<void>((resolve, reject) => {
      const finish = (e: Error | null) => {
        clearInterval(check);
        clearTimeout(timer);
        if (e) reject(e);
        else resolve();
      };
      const why = `workers not ready within ${limit / 1000} s`;
      const hint = 'run with workers: 1 to see the error in-process';
      const timer = setTimeout(() => finish(new StartupError('E_CLUSTER_START', why, hint)), limit);
      const check = setInterval(() => {
        if ([...this.live.values()].filter((x) => x.ready).length >= this.n) finish(null);
      }, 20);
      this.failStart = finish;
    });
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const workers = [...this.live.keys()];
    const exits = workers.map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once('exit', () => r()))));
    for (const w of workers) if (w.isConnected()) w.send({ rampart: 'app', op: 'stop' } satisfies ToWorkerApp as never);
    const kill = setTimeout(() => {
      for (const w of this.live.keys()) w.process.kill('SIGKILL');
    }, this.current.limits.drainTimeout + 5000);
    await Promise.all(exits);
    clearTimeout(kill);
    if (this.persistTimer) clearInterval(this.persistTimer);
    this.cd?.stop();
    this.persist.close();
    this.bus?.close();
    this.hub.stop();
    if (this.cacheFile !== '') removeSharedStore(this.cacheFile);
    await this.state.close();
    active = false;
  }

  /** POST /api/reload on a worker: the primary re-reads the file and sends it to every worker. */
  private reloadFor(id: number): Promise<ReloadReply> {
    return reloadReply(id, this.opts, (next) => this.reload(next), this.log);
  }

  private reload(next: Config): void {
    checkListeners(this.current, next);
    this.current = next.admin.token ? next : withToken(next, this.current.admin.token);
    for (const w of this.live.keys())
      if (w.isConnected())
        w.send({ rampart: 'app', op: 'reload', config: this.current } satisfies ToWorkerApp as never);
  }
}
