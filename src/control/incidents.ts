// The evidence engine of one process: the incident store (SQLite under
// data_dir), the recorder fed by detector events and flushed once per tick,
// the data-exposure watch (an observer), and the admin routes
// GET /api/incidents, /api/incidents/:id, /api/incidents/:id/report?format=.
// The app creates it when evidence.enabled; nothing of the data plane imports it.
import { join } from 'node:path';
import { readFileSync, existsSync } from 'node:fs';
import type { Observer } from '../core/model.js';
import type { EvidenceConfig } from '../config/schema/evidence.js';
import type { DetectorEvent } from '../detector/events.js';
import { ApiError } from './admin-errors.js';
import type { AdminRoute } from './admin-types.js';
import { createExposure, type Exposure } from './exposure.js';
import { createRecorder, type AttributionView, type Recorder } from './incidents-recorder.js';
import { createEvidenceParts } from './evidence-parts.js';
import type { EvidencePart } from './evidence-merge.js';
import { openIncidentStore, type IncidentStore } from './incidents-store.js';
import { checkFormat, CONTENT_TYPES, findReport, render, ReportError } from './report-render.js';

export interface EvidenceOptions {
  config: EvidenceConfig;
  dataDir: string;
  now(): number;
  attribution: AttributionView | null;
  /** Licence lines of the geo data in force (credited in every report). */
  licences: string[];
  /** ASN → organisation names file (from the compiled ASN table), optional. */
  asnNamesFile?: string;
  challenge(): { issued: number; solved: number };
  log: { error(o: object, msg: string): void; info(o: object, msg: string): void };
  /** Global per-second counts (state.globalCounts) when state is shared across workers or nodes; absent: one process. */
  global?: ((second: number) => Record<string, number> | null) | null;
  /** false: another worker writes this data_dir's incident store; this one keeps its records in memory only. */
  write?: boolean;
}

export interface Evidence {
  readonly store: IncidentStore;
  readonly observers: readonly Observer[];
  readonly routes: readonly AdminRoute[];
  onEvent(e: DetectorEvent): void;
  tick(now: number): void;
  active(): { id: string; startedAt: number; verdict: string } | null;
  /** Cluster worker that does not write: its part of the open incident's evidence, for the recorder (null: none). */
  part(now: number): EvidencePart | null;
  /** Cluster recorder: another worker's part (from its slot), merged into the record; ignored where this process does not write. */
  absorb(slot: number, part: EvidencePart, now: number): void;
  close(): void;
}

export function createEvidence(o: EvidenceOptions): Evidence {
  const c = o.config;
  const store = openIncidentStore(join(o.dataDir, c.file));
  const writer = o.write !== false;
  const pruned = writer ? store.prune(o.now(), c.retention, c.fullResolution) : { deleted: 0, downsampled: 0 };
  if (pruned.deleted || pruned.downsampled) o.log.info(pruned, 'incident store: retention applied');
  const exposure: Exposure = createExposure({
    clients: c.exposureClients,
    enumerationIds: c.enumerationIds,
    now: o.now,
  });
  const parts = writer ? createEvidenceParts() : null;
  const recorder: Recorder = createRecorder({
    peers: parts,
    store,
    attribution: o.attribution,
    exposure,
    resumeWindowMs: c.resumeWindow,
    licences: o.licences,
    challenge: o.challenge,
    asnName: asnNames(o.asnNamesFile),
    onError: (err) => o.log.error({ err }, 'incident store write failed'),
    global: o.global ?? null,
    write: writer,
  });
  let lastPrune = o.now();
  return {
    store,
    observers: [exposure.observe],
    routes: incidentRoutes(store),
    onEvent: (e) => recorder.onEvent(e),
    tick(now) {
      recorder.tick(now);
      if (writer && now - lastPrune > 3600_000) {
        lastPrune = now;
        store.prune(now, c.retention, c.fullResolution);
      }
    },
    active() {
      const r = recorder.active();
      return r ? { id: r.id, startedAt: r.startedAt, verdict: r.classification?.verdict ?? '' } : null;
    },
    part: (now) => recorder.part(now),
    absorb: (slot, part, now) => parts?.put(slot, part, now),
    close() {
      recorder.flush(o.now(), true);
      store.close();
    },
  };
}

/** ASN → organisation name, from the names file read on first use ('' when unknown or without a file). */
function asnNames(file: string | undefined): (asn: number) => string {
  let names: Record<string, string> | null = null;
  return (asn) => {
    if (names === null)
      names = file && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
    return names[asn] ?? '';
  };
}

/** GET /api/incidents, /api/incidents/:id (the JSON report), /api/incidents/:id/report?format=. */
function incidentRoutes(store: IncidentStore): AdminRoute[] {
  const report = (id: string, format: string | null) => {
    try {
      const f = checkFormat(format);
      return { body: render(findReport(store, id), f), type: CONTENT_TYPES[f] };
    } catch (err) {
      if (err instanceof ReportError) throw new ApiError(err.status, err.code, err.message, err.hint);
      throw err;
    }
  };
  return [
    {
      method: 'GET',
      path: '/api/incidents',
      handler: (req) => ({
        json: { incidents: store.list(Math.min(500, Math.max(1, Number(req.query.get('limit')) || 100))) },
      }),
    },
    {
      method: 'GET',
      path: '/api/incidents/:id',
      handler: (req) => {
        const r = report(req.params.id, 'json');
        return { body: r.body, type: r.type };
      },
    },
    {
      method: 'GET',
      path: '/api/incidents/:id/report',
      handler: (req) => report(req.params.id, req.query.get('format')),
    },
  ];
}
