// The parts the composition root (app.ts) builds, one function each, from the
// app's core fields: evidence, control, incident ids, edge, persistence, the
// connection guard and the adaptive deadlines. Each reads the graph in force
// through the core, so a reload's new stages are what they use.
import type { Server as HttpServer } from 'node:http';
import { join } from 'node:path';
import type { Clock } from '../core/clock.js';
import type { Observer } from '../core/model.js';
import type { Config } from '../config/schema.js';
import { createConnectionGuard, type ConnectionGuard } from '../guard/connections.js';
import { createAdaptiveDeadlines, type AnyServer } from '../proxy/listeners.js';
import { rawRefusal } from '../proxy/refusals.js';
import { proxyVerdicts } from '../proxy/verdicts.js';
import { ACCEPT_VERDICT } from '../policy/stage.js';
import type { MemoryState, SharedState } from '../state/index.js';
import type { Detector } from '../detector/detector.js';
import { createAttribution } from '../detector/attribution.js';
import { createGeo, type Geo } from '../identity/geo.js';
import type { ClientBook } from '../identity/client-book.js';
import { rampartVersion } from '../control/version.js';
import { createEvidence, type Evidence } from '../control/incidents.js';
import { createIncidentIds, type IncidentIds } from '../control/incidents-ids.js';
import { createPersistence, type Persistence } from './persist.js';
import type { Graph, GraphDeps } from './graph.js';
import type { Logger } from './logger.js';
import { createEdge, type Edge } from './edge.js';
import { type Control, createControl } from '../control/control.js';
import { controlSettings, metricSources } from './control-wiring.js';
import type { Topology } from './topology.js';

/** The app's fields the parts are built from (app.ts's ShieldApp; later fields are set once built). */
export interface AppCore {
  readonly log: Logger;
  readonly clock: Clock;
  readonly state: SharedState;
  readonly topology: Topology;
  readonly observers: Observer[];
  readonly ownsState: boolean;
  readonly configFile: string | undefined;
  readonly detector: Detector | null;
  readonly evidence: Evidence | null;
  readonly geo: Geo | null;
  readonly control: Control;
  readonly edge: Edge;
  readonly guard: ConnectionGuard;
  readonly graph: Graph;
  readonly http: HttpServer | null;
  readonly tls: AnyServer | null;
  inFlight(): number;
  reload(next: Config): Promise<void>;
}

/** Geo databases, attribution counters and the incident store (docs/evidence.md), created once per app. */
export function evidencePartsOf(a: AppCore, c: Config): { geo: Geo | null; evidence: Evidence | null } {
  const { state, topology } = a;
  // Sums are global only while the shared store answers (else they hold this node's counts alone).
  const global = topology.sharedFigures
    ? (s: number) => (state.health().connected ? state.globalCounts(s) : null)
    : null;
  return createEvidenceParts(c, a.clock.now, a.log, a.observers, a.detector !== null, {
    challenge: () => a.graph.challenge?.stats() ?? { issued: 0, solved: 0 },
    global,
    write: topology.writer,
  });
}

export function controlOf(a: AppCore, c: Config): Control {
  const { topology } = a;
  const file = a.configFile;
  // The loader (zod, yaml) is imported when a reload asks for it: a cluster worker gets its configuration parsed.
  const reread = file
    ? async () => {
        await a.reload((await import('../config/load.js')).loadConfigFile(file));
        return { file };
      }
    : null;
  return createControl({
    settings: controlSettings(c),
    log: a.log,
    accessLog: (line, msg) => a.log.info(line, msg),
    now: a.clock.now,
    version: rampartVersion(),
    state: a.state,
    enforcement: () => a.graph.enforcement(),
    detector: a.detector,
    incidents: a.evidence,
    routes: a.evidence?.routes ?? [],
    sources: metricSources({ graph: () => a.graph, guard: () => a.guard, edge: () => a.edge }),
    reload: topology.reloader ?? reread,
    inFlight: () => a.inFlight(),
    worker: topology.worker,
    clusterMetrics: topology.clusterMetrics,
  });
}

/**
 * Several nodes (redis): one incident id for an attack seen by all of them, from the shared slot. One node
 * (its cluster workers included) has one detector, whose own ids are the node's — and survive a restart.
 */
export function incidentIdsOf(a: AppCore, c: Config): IncidentIds {
  const ids = createIncidentIds({
    state: c.state.backend === 'redis' ? a.state : null,
    onFallback: (id, why) => a.log.warn({ incident: id, why }, "incident recorded under this node's own id"),
  });
  a.detector?.onEvent(ids.onEvent);
  // Cluster: the recorder slot alerts; every worker would send the same alert under the shared id.
  if (a.topology.writer) ids.subscribe((e) => a.control.onDetectorEvent(e));
  const evidence = a.evidence;
  if (evidence) ids.subscribe((e) => evidence.onEvent(e));
  return ids;
}

/** HTTP/2 abuse counters and the kernel ban set (src/app/edge.ts). */
export function edgeOf(a: AppCore, c: Config): Edge {
  return createEdge(c, {
    now: a.clock.now,
    log: a.log,
    noteH2Abuse: a.detector ? a.detector.noteH2Abuse : null,
    state: a.state,
    config: () => a.graph.config,
    enforcement: () => a.graph.enforcement(),
    firewallWriter: a.topology.writer,
  });
}

export function graphDepsOf(a: AppCore, book: ClientBook): GraphDeps {
  return {
    now: a.clock.now,
    log: a.log,
    observers: a.observers,
    state: a.state,
    geo: a.geo,
    originShares: a.topology.originShares,
    book,
    cacheStore: a.topology.cacheStore,
    novelQuery: a.detector === null ? null : a.detector.novelQuery,
  };
}

/**
 * What this process learned, kept across restarts in data_dir (src/app/persist.ts): the detector where it
 * runs here, the memory backend's view when this process owns it, the client book always.
 */
export function persistenceOf(a: AppCore, c: Config, learnsHere: boolean, book: ClientBook): Persistence {
  const { state, topology } = a;
  const ownsView = topology.kind === 'single' && a.ownsState && 'view' in state;
  return createPersistence({
    dataDir: c.dataDir,
    log: a.log,
    now: a.clock.now,
    detector: learnsHere ? a.detector : null,
    view: ownsView ? (state as MemoryState).view : null,
    book,
    bookName: topology.bookName,
    shared: topology.kind === 'node' ? state : null,
  });
}

export function guardOf(a: AppCore, c: Config): ConnectionGuard {
  // Bans and the deny list refused at accept, before any HTTP parsing (the current graph's policy).
  return connectionGuard(c, (ip) => a.graph.policy.refusesAtAccept(ip), a.clock.now);
}

/** The per-address connection cap and the refusal at accept of what `refuse` says (also the warm-up's own). */
export function connectionGuard(c: Config, refuse: (ip: string) => boolean, now: () => number): ConnectionGuard {
  return createConnectionGuard({
    maxPerIp: c.limits.maxConnectionsPerIp,
    plainRefusal: rawRefusal(proxyVerdicts.connLimit),
    refuse,
    bannedRefusal: rawRefusal(ACCEPT_VERDICT),
    now,
  });
}

/** Shorter header/idle deadlines while the mode is elevated/under_attack or slow heads pile up. */
export function deadlinesOf(a: AppCore, c: Config) {
  const { state, guard, log } = a;
  return createAdaptiveDeadlines(
    () => [a.http, a.tls],
    c.limits,
    {
      mode: () => state.mode(),
      stalledHeads: guard.sweep,
      observe: () => a.graph.enforcement() === 'observe',
    },
    (tight, why) =>
      log.warn(
        { tight, why },
        tight ? 'connection deadlines tightened' : 'connection deadlines back to the configured values',
      ),
  );
}

/** Geo databases, attribution counters and the incident store (docs/evidence.md), created once per app. */
function createEvidenceParts(
  c: Config,
  now: () => number,
  log: Logger,
  observers: Observer[],
  hasDetector: boolean,
  share: {
    challenge: () => { issued: number; solved: number };
    global: ((s: number) => Record<string, number> | null) | null;
    write: boolean;
  },
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
    log,
    ...share,
  });
  observers.push(...evidence.observers);
  return { geo, evidence };
}
