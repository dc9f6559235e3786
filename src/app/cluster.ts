// node:cluster on all cores: a thin primary holds the one shared state (memory
// or redis) and its hub, forks `workers` processes that each run a full app,
// replaces a worker that dies (the others keep their connections), relays
// reloads and drains on stop. No request ever reaches the primary's code.
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { ConfigError, RampartError, StartupError } from '../core/errors.js';
import { deepFreeze } from '../config/camelize.js';
import { siblingEntry } from '../core/entry.js';
import type { Config } from '../config/schema.js';
import { createStateFromConfig, createStateHub, type HubState, type StateHub } from '../state/index.js';
import {
  isAppMessage,
  type ReloadReply,
  type ToPrimaryApp,
  type ToWorkerApp,
  type UsageMessage,
} from '../exchange/messages.js';
import { createLogger, type Logger } from './logger.js';
import { createClusterDetector, type ClusterDetectorStats } from './cluster-detector.js';
import { createNodeBus } from '../exchange/node-bus.js';
import { removeSharedStore, sharedStorePath } from '../cache/shared-store.js';
import { createPersistence } from './persist.js';
import { LIMITS_TOPIC } from '../exchange/limits-peers.js';
import type { Detector } from '../detector/detector.js';

export interface ClusterHandle {
  /** http://host:port the workers share. */
  readonly url: string;
  /** Pids of the live workers. */
  pids(): number[];
  /** Workers forked to replace dead ones since start. */
  restarts(): number;
  /** Per live worker: the newest second it reported traffic counts for (0: none yet). */
  reports(): number[];
  readonly state: HubState;
  /** The cluster's one detector (every worker's traffic); null when detector.enabled is false. */
  readonly detector: Detector | null;
  /** Worker seconds folded into the detector since start (and parts refused as malformed). */
  detectorParts(): ClusterDetectorStats;
  /** Sends a validated configuration to every worker; throws E_RELOAD_LISTEN when listen addresses or TLS files change. */
  reload(config: Config): void;
  stop(): Promise<void>;
}

export function workerCount(c: Config): number {
  return c.workers === 'auto' ? availableParallelism() : c.workers;
}

function withToken(c: Config, token: string): Config {
  return deepFreeze({ ...c, admin: { ...c.admin, token } });
}

/**
 * Every worker runs the admin API on the shared port, so they must agree on its
 * token: an unset token is generated here once (not in each worker), logged and
 * written to data_dir/admin.token (0600) as the single-process app does.
 */
function withSharedToken(c: Config, log: Logger): Config {
  if (c.admin.token) return c;
  const token = randomBytes(24).toString('base64url');
  let file = '';
  if (existsSync(c.dataDir)) {
    try {
      file = join(c.dataDir, 'admin.token');
      writeFileSync(file, `${token}\n`, { mode: 0o600 });
    } catch {
      file = '';
    }
  }
  log.warn(
    { tokenFile: file || undefined, token },
    'admin.token is not set: generated one for this run, shared by all workers (set admin.token to keep it across restarts)',
  );
  return withToken(c, token);
}

const require = createRequire(import.meta.url);

/**
 * V8 flags of every worker. A young generation capped at 2 MB semi-spaces (V8
 * grows it to 16 MB on 64-bit after start-up's burst of allocations and never
 * gives it back) keeps ~10 MB less resident per worker; a proxy's per-request
 * garbage dies young either way (bench/load measures the throughput cost).
 */
export const WORKER_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

/**
 * glibc malloc settings of every worker (ignored by other C libraries): blocks
 * from 128 KiB are mapped and unmapped on their own (glibc otherwise raises
 * that threshold as big blocks are freed and keeps them), free memory at the
 * top of the heap is given back from 128 KiB, and two arenas serve the
 * process's threads instead of one per thread. ~3 MB less resident per worker.
 */
export const WORKER_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
  MALLOC_TRIM_THRESHOLD_: '131072',
};

/** Deaths within this window beyond MAX_DEATHS slow replacements down (a crash loop must not fork-bomb). */
const DEATH_WINDOW = 60_000;
const MAX_DEATHS = 10;

/** node:cluster shares listening sockets per process (port 0 included): one cluster per process. */
let active = false;

export interface ClusterOptions {
  log?: Logger;
  startTimeout?: number;
  /** Re-reads the configuration (file plus flags) for POST /api/reload on any worker; absent: 409 as without a file. */
  load?: (() => Config | Promise<Config>) | null;
  /** The file `load` reads, named in the reload reply. */
  file?: string;
}

/** Listen addresses and TLS files are bound by the primary's shared sockets: a reload cannot change them. */
function checkListeners(a: Config, b: Config): void {
  const same = a.listen.host === b.listen.host && (a.listen.port === b.listen.port || b.listen.port === 0);
  if (
    !same ||
    a.tls.cert !== b.tls.cert ||
    a.tls.key !== b.tls.key ||
    a.admin.listen.host !== b.admin.listen.host ||
    (a.admin.listen.port !== b.admin.listen.port && b.admin.listen.port !== 0)
  ) {
    throw new StartupError(
      'E_RELOAD_LISTEN',
      'listen addresses and TLS files cannot change on reload',
      'restart Rampart to change listeners',
    );
  }
}

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
  const n = workerCount(config);
  let current = withSharedToken(config, log);
  const state = createStateFromConfig(config.state, { now: Date.now, log }) as HubState;
  await state.start();
  const hub: StateHub = createStateHub(state);
  // Several nodes (redis): detector parts and rate-limit usage go to the other nodes (src/exchange/node-bus.ts).
  const bus = config.state.backend === 'redis' ? createNodeBus(state, log) : null;
  // Other nodes' rate-limit usage reaches every worker as a peer message from slot 0.
  bus?.on(LIMITS_TOPIC, (data) => {
    const out = { rampart: 'app', op: 'peer', from: 0, topic: LIMITS_TOPIC, data } satisfies ToWorkerApp;
    for (const [w, x] of live) if (x.ready && w.isConnected()) w.send(out as never);
  });
  // One detector for all workers (created once, like a single process's: reloads keep it and its baselines).
  const cd = config.detector.enabled
    ? createClusterDetector({
        config: config.detector,
        state,
        log,
        bus,
        broadcast(events, snapshot) {
          const msg = { rampart: 'app', op: 'detector', events, snapshot } satisfies ToWorkerApp;
          for (const [w, x] of live) if (x.ready && w.isConnected()) w.send(msg as never);
        },
      })
    : null;
  // Compiled: the workers run dist/app/cluster-worker.js as plain JavaScript (src/ under tsx in tests).
  const worker = siblingEntry(import.meta.url, 'cluster-worker');
  // The primary keeps what the cluster's one detector learned and, with the memory backend, the state
  // (bans, mitigations, mode, keys) across restarts; restored before any worker listens.
  const persist = createPersistence({
    dataDir: config.dataDir,
    log,
    now: Date.now,
    detector: cd?.detector ?? null,
    view: config.state.backend === 'memory' ? state.view : null,
    book: null,
    shared: config.state.backend === 'redis' ? state : null,
  });
  await persist.restore();
  const persistTimer = setInterval(() => persist.tick(Date.now()), 5000);
  persistTimer.unref();
  cluster.setupPrimary({
    exec: worker.file,
    execArgv: [
      ...WORKER_FLAGS,
      ...worker.execArgv.filter((a) => !WORKER_FLAGS.some((f) => a.startsWith(f.split('=')[0]))),
    ],
    args: [],
    serialization: 'advanced',
  });
  // One response store for the machine: every worker opens this file (created by the first one).
  let cacheFile = '';
  try {
    cacheFile = sharedStorePath(config.originProtection.cache.maxBytes, config.dataDir);
  } catch (e) {
    log.warn(
      { err: e instanceof Error ? e.message : String(e) },
      'no place for the shared cache: each worker keeps its own',
    );
  }
  const live = new Map<Worker, { pid: number; ready: boolean; index: number }>();
  const deaths: number[] = [];
  let restarts = 0;
  let stopping = false;
  let url = '';
  let failStart: ((e: Error) => void) | null = null;

  function fork(index: number): void {
    const w = cluster.fork(WORKER_ENV);
    const port = { send: (m: unknown) => void (w.isConnected() && w.send(m as never)) };
    const receive = hub.attach(port);
    live.set(w, { pid: w.process.pid ?? 0, ready: false, index });
    w.on('message', (m: unknown) => {
      if (!isAppMessage(m)) return receive(m);
      const msg = m as ToPrimaryApp;
      // Slot 1 records incidents (one writer per data_dir); its replacement inherits the slot.
      if (msg.op === 'boot')
        w.send({
          rampart: 'app',
          op: 'config',
          config: current,
          role: { index, count: n, recorder: index === 1, cacheFile },
        } satisfies ToWorkerApp as never);
      else if (msg.op === 'reload-request') void reloadFor(msg.id).then((r) => port.send(r));
      else if (msg.op === 'metrics-request') void gatherMetrics(msg.id, port);
      else if (msg.op === 'metrics-part') gathers.get(msg.id)?.(msg.json);
      else if (msg.op === 'peer') relay(w, index, msg);
      else if (msg.op === 'detector-part') cd?.absorb(msg.part, index);
      else if (msg.op === 'ready') {
        live.get(w)!.ready = true;
        url ||= msg.url;
      } else if (msg.op === 'error')
        failStart?.(
          new StartupError(
            'E_WORKER_START',
            `a worker could not start: ${msg.message}`,
            'see the message; the port may be in use',
          ),
        );
    });
    w.once('exit', (code, signal) => {
      hub.detach(port);
      const was = live.get(w);
      live.delete(w);
      if (!stopping && !was?.ready)
        failStart?.(
          new StartupError(
            'E_WORKER_START',
            `a worker exited during start (code ${code}, signal ${signal})`,
            'run with workers: 1 to see the error in-process',
          ),
        );
      if (stopping || !was?.ready) return;
      restarts++;
      const t = Date.now();
      deaths.push(t);
      while (deaths.length > 0 && deaths[0] < t - DEATH_WINDOW) deaths.shift();
      const delay = deaths.length > MAX_DEATHS ? 5000 : 0;
      log.warn({ pid: was.pid, code, signal, replacingInMs: delay }, 'worker died; starting a replacement');
      setTimeout(() => !stopping && fork(was.index), delay).unref();
    });
  }

  /** A worker's peer message (src/exchange/peers.ts) to the other live workers, or to the recorder slot. */
  function relay(from: Worker, index: number, msg: Extract<ToPrimaryApp, { op: 'peer' }>): void {
    const out = { rampart: 'app', op: 'peer', from: index, topic: msg.topic, data: msg.data } satisfies ToWorkerApp;
    // A worker's rate-limit usage also goes to the other nodes' workers (their primaries relay it).
    if (msg.topic === LIMITS_TOPIC && msg.to === 'others') bus?.send(LIMITS_TOPIC, msg.data as UsageMessage); // relayed unchecked: every receiver checks it
    for (const [w, x] of live) {
      if (w === from || !x.ready || !w.isConnected()) continue;
      if (msg.to === 'recorder' && x.index !== 1) continue;
      w.send(out as never);
    }
  }

  async function stop(): Promise<void> {
    if (stopping) return;
    stopping = true;
    const exits = [...live.keys()].map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once('exit', () => r()))));
    for (const w of live.keys())
      if (w.isConnected()) w.send({ rampart: 'app', op: 'stop' } satisfies ToWorkerApp as never);
    const kill = setTimeout(() => {
      for (const w of live.keys()) w.process.kill('SIGKILL');
    }, current.limits.drainTimeout + 5000);
    await Promise.all(exits);
    clearTimeout(kill);
    clearInterval(persistTimer);
    cd?.stop();
    persist.close();
    bus?.close();
    hub.stop();
    if (cacheFile !== '') removeSharedStore(cacheFile);
    await state.close();
    active = false;
  }

  const gathers = new Map<number, (json: object[]) => void>();
  let gatherSeq = 0;

  /** GET /metrics on a worker: every ready worker's samples (labelled worker="<slot>") in one exposition; a silent worker is left out after 2 s. */
  async function gatherMetrics(id: number, to: { send(m: unknown): void }): Promise<void> {
    const cid = ++gatherSeq;
    const targets = [...live].filter(([w, x]) => x.ready && w.isConnected()).map(([w]) => w);
    const parts: object[][] = [];
    await new Promise<void>((done) => {
      const timer = setTimeout(done, 2000);
      gathers.set(cid, (json) => {
        parts.push(json);
        if (parts.length >= targets.length) clearTimeout(timer), done();
      });
      for (const w of targets)
        w.send({ rampart: 'app', op: 'metrics-collect', id: cid } satisfies ToWorkerApp as never);
    });
    gathers.delete(cid);
    try {
      // prom-client is loaded at the first GET /metrics: a primary nobody scrapes never pays for it.
      const { AggregatorRegistry } = require('prom-client') as typeof import('prom-client');
      const text = await AggregatorRegistry.aggregate(parts as never).metrics();
      to.send({ rampart: 'app', op: 'metrics', id, text } satisfies ToWorkerApp);
    } catch (e) {
      to.send({
        rampart: 'app',
        op: 'metrics',
        id,
        error: e instanceof Error ? e.message : String(e),
      } satisfies ToWorkerApp);
    }
  }

  /** POST /api/reload on a worker: the primary re-reads the file and sends it to every worker. */
  async function reloadFor(id: number): Promise<ReloadReply> {
    const reply: ReloadReply = { rampart: 'app', op: 'reloaded', id };
    if (!opts.load)
      return {
        ...reply,
        error: {
          code: 'E_NO_CONFIG_FILE',
          message: 'this process was started without a configuration file',
          hint: "start with 'rampart start -c FILE' to reload from it",
        },
      };
    try {
      reload(await opts.load());
      log.info({ file: opts.file }, 'configuration sent to the workers (admin API)');
      return { ...reply, file: opts.file ?? '' };
    } catch (e) {
      const r = e instanceof RampartError ? e : new StartupError('E_RELOAD', String(e));
      return {
        ...reply,
        error: {
          code: r.code,
          message: r.message,
          hint: r.hint,
          issues: r instanceof ConfigError ? [...r.issues] : undefined,
        },
      };
    }
  }

  function reload(next: Config): void {
    checkListeners(current, next);
    current = next.admin.token ? next : withToken(next, current.admin.token);
    for (const w of live.keys())
      if (w.isConnected()) w.send({ rampart: 'app', op: 'reload', config: current } satisfies ToWorkerApp as never);
  }

  for (let i = 1; i <= n; i++) fork(i);
  try {
    await new Promise<void>((resolve, reject) => {
      failStart = reject;
      const timer = setTimeout(
        () =>
          reject(
            new StartupError(
              'E_CLUSTER_START',
              `workers not ready within ${(opts.startTimeout ?? 30_000) / 1000} s`,
              'run with workers: 1 to see the error in-process',
            ),
          ),
        opts.startTimeout ?? 30_000,
      );
      const check = setInterval(() => {
        if ([...live.values()].filter((x) => x.ready).length >= n) {
          clearInterval(check);
          clearTimeout(timer);
          resolve();
        }
      }, 20);
      failStart = (e) => (clearInterval(check), clearTimeout(timer), reject(e));
    });
  } catch (e) {
    await stop();
    throw e;
  }
  failStart = null;
  log.info({ workers: n, url, state: state.health().backend }, 'cluster started');
  return {
    url,
    pids: () => [...live.values()].map((x) => x.pid),
    restarts: () => restarts,
    reports: () => hub.reports(),
    state,
    detector: cd?.detector ?? null,
    detectorParts: () => cd?.stats() ?? { parts: 0, refused: 0, bySlot: {} },
    reload,
    stop,
  };
}
