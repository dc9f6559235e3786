// The core admin endpoints: status, live series and top lists, bans, mode
// override, config reload. Other modules (incidents, reports) contribute their
// own routes beside these; see admin-types.ts. Every bad input is an ApiError.
import type { Enforcement, Mode } from '../core/model.js';
import { ConfigError, RampartError } from '../core/errors.js';
import { ApiError, badRequest } from './admin-errors.js';
import type {
  AdminReply,
  AdminRequest,
  AdminRoute,
  ControlState,
  DetectorView,
  IncidentsView,
  Reloader,
  WorkerInfo,
} from './admin-types.js';
import { checkBanTarget, parseBan } from './ban-input.js';
import type { Traffic } from './traffic.js';

export interface CoreRouteDeps {
  traffic: Traffic;
  state: ControlState | null;
  /** The enforcement in force; absent: the shared state's. */
  enforcement?: () => Enforcement;
  detector: DetectorView | null;
  incidents: IncidentsView | null;
  reload: Reloader | null;
  version: string;
  startedAt: number;
  now(): number;
  inFlight(): number;
  /** `METHOD /path` of every route served (the dashboard looks for optional ones, e.g. incidents). */
  listRoutes(): string[];
  /** Audit trail of operator actions. */
  audit(action: string, detail: Record<string, unknown>): void;
  /** The cluster worker answering, null in a single process. */
  worker?: WorkerInfo | null;
}

const MODE_INPUT: Record<string, Mode | null> = {
  normal: 'normal',
  under_attack: 'under_attack',
  'under-attack': 'under_attack',
  auto: null,
};
const ENFORCEMENT_INPUT: Record<string, Enforcement> = { observe: 'observe', enforce: 'enforce' };

function needState(s: ControlState | null): ControlState {
  if (!s)
    throw new ApiError(
      503,
      'E_NO_STATE',
      'shared state is not available in this build',
      'bans and mode need src/state wired into the app',
    );
  return s;
}

function stateHealth(s: ControlState, now: number): Record<string, unknown> {
  const h = s.health();
  return {
    ...h,
    outbox: h.outbox ?? 0,
    lastSyncAgeSeconds: h.lastSyncAt > 0 ? Math.max(0, Math.round((now - h.lastSyncAt) / 100) / 10) : null,
  };
}

export function coreRoutes(d: CoreRouteDeps): AdminRoute[] {
  return [
    { method: 'GET', path: '/api/status', handler: () => ({ json: status(d) }) },
    { method: 'GET', path: '/api/series', handler: (req) => ({ json: d.traffic.series(seriesSeconds(req)) }) },
    { method: 'GET', path: '/api/top', handler: () => ({ json: d.traffic.top() }) },
    { method: 'GET', path: '/api/routes', handler: () => ({ json: { routes: d.listRoutes() } }) },
    { method: 'GET', path: '/api/bans', handler: () => listBans(d) },
    { method: 'POST', path: '/api/bans', handler: (req) => addBan(d, req) },
    { method: 'DELETE', path: '/api/bans/:target', handler: (req) => removeBan(d, req) },
    { method: 'POST', path: '/api/mode', handler: (req) => setMode(d, req) },
    { method: 'POST', path: '/api/reload', handler: (req) => reloadConfig(d, req) },
  ];
}

function enforcementOf(d: CoreRouteDeps): Enforcement {
  return d.enforcement?.() ?? d.state?.enforcement() ?? 'enforce';
}

/** GET /api/status: what the dashboard header and `rampart status` show. */
function status(d: CoreRouteDeps): Record<string, unknown> {
  const snap = d.detector?.snapshot() ?? null;
  return {
    version: d.version,
    uptimeSeconds: Math.floor((d.now() - d.startedAt) / 1000),
    mode: d.state?.mode() ?? 'normal',
    modeOverride: d.state?.modeOverride?.() ?? null,
    enforcement: enforcementOf(d),
    // Cluster mode: `rates` and in-flight are this worker's own; the detector (series, top lists, incident), bans and mode are the cluster's.
    worker: d.worker
      ? {
          index: d.worker.index,
          count: d.worker.count,
          pid: d.worker.pid,
          scope:
            "rates and in-flight are this worker's own; detector, bans, mode and incidents are the whole cluster's",
        }
      : null,
    classification: snap?.incident?.vectors?.map((v) => v.vector) ?? null,
    rates: rates(d.traffic),
    inFlight: d.inFlight(),
    bans: d.state?.bans().length ?? 0,
    activeIncident:
      d.incidents?.active() ??
      (snap?.incident
        ? { id: snap.incident.id, startedAt: snap.incident.startedAt, level: snap.incident.level }
        : null),
    detector: snap,
    state: d.state ? stateHealth(d.state, d.now()) : null,
  };
}

/** Request and refusal rates over the last 10 seconds; refusals are everything but allow and cache answers. */
function rates(traffic: Traffic): Record<string, number> {
  const last = traffic.series(10);
  const sum = last.total.reduce((a, b) => a + b, 0);
  const refused = Object.entries(last.byVerdict)
    .filter(([k]) => k !== 'default/allow' && !k.startsWith('cache/'))
    .reduce((a, [, v]) => a + v.reduce((x, y) => x + y, 0), 0);
  return {
    rps: sum / last.total.length,
    refusedPerSecond: refused / last.total.length,
    lastSecond: last.total[last.total.length - 1] ?? 0,
    sources: last.sources[last.sources.length - 1] ?? 0,
  };
}

/** GET /api/series?seconds=N: N from 1 to 299, default 120. */
function seriesSeconds(req: AdminRequest): number {
  const raw = req.query.get('seconds');
  const n = raw === null ? 120 : Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 299)
    throw badRequest(
      'E_SERIES_SECONDS',
      `seconds must be an integer from 1 to 299, got ${JSON.stringify(raw)}`,
      'e.g. /api/series?seconds=120',
    );
  return n;
}

function listBans(d: CoreRouteDeps): AdminReply {
  const now = d.now();
  return {
    json: {
      bans: needState(d.state)
        .bans()
        .filter((b) => b.until > now),
    },
  };
}

function addBan(d: CoreRouteDeps, req: AdminRequest): AdminReply {
  const s = needState(d.state);
  const ban = parseBan(req.body, d.now());
  s.addBan(ban);
  d.audit('ban.add', { target: ban.target, until: ban.until, reason: ban.reason, by: req.ip });
  return { status: 201, json: { ban } };
}

function removeBan(d: CoreRouteDeps, req: AdminRequest): AdminReply {
  const s = needState(d.state);
  // CIDRs travel URL-encoded (203.0.113.0%2F24) since '/' separates path segments.
  const target = checkBanTarget(req.params.target);
  if (!s.removeBan(target))
    throw new ApiError(
      404,
      'E_BAN_NOT_FOUND',
      `no ban on ${target}`,
      "list bans with GET /api/bans ('rampart ban ls')",
    );
  d.audit('ban.remove', { target, by: req.ip });
  return { json: { removed: target } };
}

function setMode(d: CoreRouteDeps, req: AdminRequest): AdminReply {
  const s = needState(d.state);
  const b = modeBody(req.body);
  if (typeof b.mode === 'string') s.overrideMode(MODE_INPUT[b.mode]);
  if (typeof b.enforcement === 'string') s.setEnforcement(ENFORCEMENT_INPUT[b.enforcement]);
  d.audit('mode', { mode: b.mode ?? null, enforcement: b.enforcement ?? null, by: req.ip });
  return {
    json: {
      mode: s.mode(),
      enforcement: enforcementOf(d),
      override: typeof b.mode === 'string' ? MODE_INPUT[b.mode] : undefined,
    },
  };
}

/** POST /api/mode's body: `mode` and/or `enforcement`, each one of the known words. */
function modeBody(body: unknown): Record<string, unknown> {
  const b = body as Record<string, unknown> | null;
  if (!b || typeof b !== 'object' || Array.isArray(b) || (b.mode === undefined && b.enforcement === undefined)) {
    throw badRequest(
      'E_MODE_BODY',
      'send {"mode": …} and/or {"enforcement": …}',
      'mode: under_attack | normal | auto (clear the override); enforcement: observe | enforce',
    );
  }
  if (b.mode !== undefined && !(typeof b.mode === 'string' && b.mode in MODE_INPUT))
    throw badRequest('E_MODE', `unknown mode ${JSON.stringify(b.mode)}`, 'mode is one of under_attack, normal, auto');
  if (b.enforcement !== undefined && !(typeof b.enforcement === 'string' && b.enforcement in ENFORCEMENT_INPUT))
    throw badRequest(
      'E_ENFORCEMENT',
      `unknown enforcement ${JSON.stringify(b.enforcement)}`,
      'enforcement is observe or enforce',
    );
  return b;
}

async function reloadConfig(d: CoreRouteDeps, req: AdminRequest): Promise<AdminReply> {
  if (!d.reload)
    throw new ApiError(
      409,
      'E_NO_CONFIG_FILE',
      'this process was started without a configuration file',
      "start with 'rampart start -c FILE' to reload from it",
    );
  try {
    const r = await d.reload();
    d.audit('reload', { file: r.file, by: req.ip });
    return { json: { reloaded: true, file: r.file } };
  } catch (e) {
    if (e instanceof ConfigError)
      throw new ApiError(
        422,
        'E_CONFIG',
        'the configuration file is invalid; the running configuration is unchanged',
        e.issues[0]?.hint ?? '',
        { issues: e.issues },
      );
    if (e instanceof RampartError)
      throw new ApiError(409, e.code, `${e.message}; the running configuration is unchanged`, e.hint);
    throw e;
  }
}
