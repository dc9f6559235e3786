// The control plane of one process, composed: traffic recorder and access log
// (observers handed to the pipeline), admin listener with the core routes, the
// dashboard and /metrics, plus routes contributed by other modules, and the
// webhook alerts fed by detector events. The app creates it and hands it the
// sources that exist; nothing of the data plane imports this.
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AlertsConfig } from '../config/schema/alerts.js';
import type { MetricSource } from '../core/metric-source.js';
import type { Enforcement, Observer } from '../core/model.js';
import { isLoopbackHost } from '../config/values.js';
import { createAccessLog } from './access-log.js';
import { coreRoutes } from './admin-routes.js';
import { createAdminServer, type AdminServer } from './admin-server.js';
import type { AdminRoute, ControlState, DetectorView, IncidentsView, Reloader, WorkerInfo } from './admin-types.js';
import { alertsMetricSource, createAlerts, type Alerts } from './alerts.js';
import { dashboardRoutes } from './dashboard-routes.js';
import { createMetrics, type MetricsExporter } from './metrics.js';
import { Traffic } from './traffic.js';

interface LogLike {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
  error(o: object, msg: string): void;
}

export interface ControlSettings {
  admin: { listen: { host: string; port: number }; token: string; metricsPublic: boolean; dashboard: boolean };
  alerts: AlertsConfig;
  log: { accessSample: number; refusalsPerSecond: number };
  dataDir: string;
}

export interface ControlOptions {
  settings: ControlSettings;
  log: LogLike;
  /** Where access-log lines go (the app's pino logger, usually a child). */
  accessLog: (line: Record<string, unknown>, msg: string) => void;
  now(): number;
  version: string;
  state: ControlState | null;
  /** The enforcement in force (the configuration's and the shared state's, src/app/graph.ts); absent: the shared state's. */
  enforcement?: () => Enforcement;
  detector?: DetectorView | null;
  incidents?: IncidentsView | null;
  /** Routes contributed by other modules (incidents, reports…). */
  routes?: readonly AdminRoute[];
  /** Metrics contributed by other modules, each declared beside its module's code (src/core/metric-source.ts). */
  sources?: readonly MetricSource[];
  reload?: Reloader | null;
  inFlight(): number;
  /** The cluster worker this control runs in (null: a single process): status says so, metrics carry worker="<slot>". */
  worker?: WorkerInfo | null;
  /** Cluster: the exposition of every worker's samples, gathered by the primary (GET /metrics); ?scope=worker gives this worker's alone. */
  clusterMetrics?: (() => Promise<string>) | null;
}

export interface Control {
  readonly observers: readonly Observer[];
  readonly traffic: Traffic;
  /** Give detector events here (from the detector's onEvent). */
  onDetectorEvent(e: { type: string }): void;
  /** New alert and log settings after a config reload (the admin listener keeps its address and token). */
  reconfigure(s: ControlSettings): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  url(): string;
  /** The admin token in force (generated when the config left it empty). */
  token(): string;
  /** This process's metric samples as prom-client JSON (the cluster primary aggregates them). */
  metricsJson(): Promise<object[]>;
  routes(): string[];
}

export function createControl(o: ControlOptions): Control {
  let settings = o.settings;
  const traffic = new Traffic({ now: o.now, mode: o.state ? () => o.state!.mode() : undefined });
  const logOpts = {
    sample: settings.log.accessSample,
    refusalsPerSecond: settings.log.refusalsPerSecond,
    now: o.now,
    write: o.accessLog,
  };
  const accessLog = createAccessLog(logOpts);
  const dashboardLink = (id: string): string =>
    server.url() ? `${server.url()}/#incident=${encodeURIComponent(id)}` : '';
  let alerts: Alerts = createAlerts(settings.alerts, { log: o.log, link: dashboardLink });
  const { token, generated } = adminToken(settings.admin.token);
  const metrics = createMetrics({
    traffic,
    state: o.state,
    enforcement: o.enforcement,
    detector: o.detector ?? null,
    sources: [...(o.sources ?? []), alertsMetricSource(() => alerts.stats())],
    inFlight: o.inFlight,
    worker: o.worker ?? null,
    now: o.now,
  });
  const server: AdminServer = createAdminServer({
    listen: settings.admin.listen,
    token,
    routes: controlRoutes(o, traffic, metrics, () => server.router.list()),
    now: o.now,
    onError: (err, method, path) => o.log.error({ err, method, path }, 'admin API handler failed'),
  });

  return {
    observers: [traffic.observe, accessLog],
    traffic,
    onDetectorEvent: (e) => alerts.onEvent(e),
    reconfigure(next) {
      const old = alerts;
      alerts = createAlerts(next.alerts, { log: o.log, link: dashboardLink });
      void old.close();
      logOpts.sample = next.log.accessSample;
      logOpts.refusalsPerSecond = next.log.refusalsPerSecond;
      settings = next;
    },
    async start() {
      await server.start();
      if (generated) announceToken(token, settings.dataDir, server.url(), o.log);
    },
    async stop() {
      await server.stop();
      await alerts.close();
    },
    url: () => server.url(),
    token: () => token,
    metricsJson: () => metrics.json(),
    routes: () => server.router.list(),
  };
}

/** admin.token, else RAMPART_ADMIN_TOKEN (how a cluster primary gives all workers one token), else one per run. */
function adminToken(configured: string): { token: string; generated: boolean } {
  const envToken = process.env.RAMPART_ADMIN_TOKEN ?? '';
  const token = configured || envToken || randomBytes(24).toString('base64url');
  return { token, generated: !configured && !envToken };
}

/** Every admin route of this process: the core ones, /metrics, the dashboard, and the other modules'. */
function controlRoutes(
  o: ControlOptions,
  traffic: Traffic,
  metrics: MetricsExporter,
  listRoutes: () => string[],
): AdminRoute[] {
  const admin = o.settings.admin;
  const metricsRoute: AdminRoute = {
    method: 'GET',
    path: '/metrics',
    // Loopback scrapers need no token; off loopback only with metrics_public.
    auth: !(admin.metricsPublic || isLoopbackHost(admin.listen.host)),
    handler: async (req) => ({
      body: o.clusterMetrics && req.query.get('scope') !== 'worker' ? await o.clusterMetrics() : await metrics.scrape(),
      type: metrics.contentType,
    }),
  };
  return [
    ...coreRoutes({
      traffic,
      state: o.state,
      enforcement: o.enforcement,
      detector: o.detector ?? null,
      incidents: o.incidents ?? null,
      reload: o.reload ?? null,
      version: o.version,
      startedAt: o.now(),
      now: o.now,
      inFlight: o.inFlight,
      listRoutes,
      audit: (action, detail) => o.log.info({ audit: action, ...detail }, `admin: ${action}`),
      worker: o.worker ?? null,
    }),
    metricsRoute,
    ...(admin.dashboard ? dashboardRoutes() : []),
    ...(o.routes ?? []),
  ];
}

/** A generated token is logged once and written to data_dir/admin.token (0600) for the CLI. */
function announceToken(token: string, dataDir: string, url: string, log: LogLike): void {
  let file = '';
  if (existsSync(dataDir)) {
    try {
      file = join(dataDir, 'admin.token');
      writeFileSync(file, `${token}\n`, { mode: 0o600 });
    } catch {
      file = '';
    }
  }
  log.warn(
    { admin: url, tokenFile: file || undefined, token },
    'admin.token is not set: generated one for this run (set admin.token to keep it across restarts)',
  );
}
