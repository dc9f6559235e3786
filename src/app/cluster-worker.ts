// Entry of a cluster worker process: waits for its configuration from the
// primary, runs a full app (listeners shared through node:cluster) on a
// worker state fed by the primary, reloads and drains when told, and exits
// when the primary goes away. No logic of its own beyond that.
import { deepFreeze } from '../config/camelize.js';
import { ConfigError, RampartError } from '../core/errors.js';
import type { Config } from '../config/schema.js';
import { createWorkerState } from '../state/index.js';
import { createApp, type App } from './app.js';
import { clusterWorker } from './topology.js';
import {
  isAppMessage,
  type ReloadReply,
  type ToPrimaryApp,
  type ToWorkerApp,
  type WorkerRole,
} from '../exchange/messages.js';
import type { DetectorEvent, DetectorSnapshot } from '../detector/events.js';
import type { WindowPart } from '../detector/window-part.js';
import { createLogger, type Logger } from './logger.js';
import { createSharedStores } from '../cache/shared-store.js';
import type { Store } from '../cache/store.js';
import { createWorkerPeers } from '../exchange/peers.js';

let app: App | null = null;
let stopping = false;
let reloadSeq = 0;
const reloads = new Map<number, (r: ReloadReply) => void>();
const metricsWaits = new Map<number, { resolve(t: string): void; reject(e: Error): void }>();

/** GET /metrics on this worker: the primary gathers every worker's samples (each labelled worker="<slot>"). */
function askPrimaryForMetrics(): Promise<string> {
  const id = ++reloadSeq;
  return new Promise((resolve, reject) => {
    metricsWaits.set(id, { resolve, reject });
    send({ rampart: 'app', op: 'metrics-request', id });
  });
}

const send = (m: unknown) => {
  if (process.connected) process.send!(m);
};

/** POST /api/reload on this worker: the primary re-reads the file and reloads every worker (this one included). */
function askPrimaryToReload(): Promise<{ file: string }> {
  const id = ++reloadSeq;
  return new Promise((resolve, reject) => {
    reloads.set(id, (r) => {
      if (!r.error) return resolve({ file: r.file ?? '' });
      const e = r.error;
      reject(
        e.issues
          ? new ConfigError(e.issues as ConstructorParameters<typeof ConfigError>[0])
          : new RampartError(e.code, e.message, 'config', e.hint),
      );
    });
    send({ rampart: 'app', op: 'reload-request', id });
  });
}

/** The machine's one response store (this worker's own memory when there is none, or it cannot be opened). */
function sharedCache(file: string, log: Logger): ((maxBytes: number) => Store) | null {
  if (file === '') return null;
  return createSharedStores(file, (e) =>
    log.warn(
      { err: e instanceof Error ? e.message : String(e), file },
      'the shared cache cannot be opened: this worker keeps its own',
    ),
  );
}

async function start(config: Config, role: WorkerRole): Promise<void> {
  const log = createLogger(config.log.level).child({ worker: process.pid });
  const state = createWorkerState({
    port: { send },
    listen(fn) {
      process.on('message', fn);
      return () => process.off('message', fn);
    },
    maxBans: config.state.maxBans,
    maxMitigations: config.state.maxMitigations,
  });
  const peers = createWorkerPeers(role, send, (fn) => {
    process.on('message', fn);
    return () => process.off('message', fn);
  });
  const detectorLink = {
    send: (part: WindowPart) => send({ rampart: 'app', op: 'detector-part', part } satisfies ToPrimaryApp),
    listen(deliver: (events: DetectorEvent[], snapshot: DetectorSnapshot) => void) {
      const fn = (raw: unknown) => {
        if (isAppMessage(raw) && raw.op === 'detector')
          deliver(
            (raw as Extract<ToWorkerApp, { op: 'detector' }>).events,
            (raw as Extract<ToWorkerApp, { op: 'detector' }>).snapshot,
          );
      };
      process.on('message', fn);
      return () => void process.off('message', fn);
    },
  };
  // createApp can throw too (an incident store that cannot be opened): reported like a failed start, never an unhandled rejection.
  try {
    app = createApp(config, {
      log,
      state,
      topology: clusterWorker({
        peers,
        detectorLink,
        role: { ...role, pid: process.pid },
        cacheStore: sharedCache(role.cacheFile, log),
        reloader: askPrimaryToReload,
        clusterMetrics: askPrimaryForMetrics,
      }),
    });
    await app.start();
    send({ rampart: 'app', op: 'ready', url: app.url(), pid: process.pid });
  } catch (e) {
    // Exit once the message is out: exiting at once could reach the primary before it (an error without its reason).
    const msg = {
      rampart: 'app',
      op: 'error',
      message: e instanceof Error ? e.message : String(e),
      pid: process.pid,
    } satisfies ToPrimaryApp;
    if (process.connected) process.send!(msg, () => process.exit(1));
    else process.exit(1);
  }
}

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    await app?.stop();
  } finally {
    process.exit(code);
  }
}

process.on('message', (raw: unknown) => {
  if (!isAppMessage(raw)) return;
  const m = raw as ToWorkerApp;
  if (m.op === 'config' && !app) void start(deepFreeze(m.config), m.role);
  else if (m.op === 'metrics-collect' && app) {
    app.control.metricsJson().then(
      (json) => send({ rampart: 'app', op: 'metrics-part', id: m.id, json }),
      () => send({ rampart: 'app', op: 'metrics-part', id: m.id, json: [] }),
    );
  } else if (m.op === 'metrics') {
    const w = metricsWaits.get(m.id);
    metricsWaits.delete(m.id);
    if (m.text !== undefined) w?.resolve(m.text);
    else w?.reject(new Error(m.error ?? 'no metrics from the cluster primary'));
  } else if (m.op === 'reloaded') {
    reloads.get(m.id)?.(m);
    reloads.delete(m.id);
  } else if (m.op === 'reload' && app)
    app.reload(deepFreeze(m.config)).catch((e: unknown) => app?.log.error({ err: e }, 'reload refused'));
  else if (m.op === 'stop') void stop(0);
});
send({ rampart: 'app', op: 'boot' });
// Orphaned by a dead primary: drain and leave rather than serve without shared state.
process.on('disconnect', () => void stop(0));
process.on('SIGINT', () => {}); // the primary decides when workers stop (Ctrl-C reaches the whole group)
process.on('SIGTERM', () => void stop(0));
