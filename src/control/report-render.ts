// Picks the renderer for a format and finds an incident by id or `latest` in
// a store: the one place the CLI and the admin routes share, so both refuse
// bad ids and formats with the same words.
import { RampartError } from '../core/errors.js';
import type { IncidentStore } from './incidents-store.js';
import type { IncidentRecord, Sample } from './incidents-types.js';
import { checkReport } from './report-check.js';
import { buildReport, REPORT_FORMATS, renderJson, type ReportFormat } from './report.js';
import type { ReportModel } from './report-model.js';
import { renderHtml } from './report-html.js';
import { renderMarkdown } from './report-md.js';

export class ReportError extends RampartError {
  readonly status: number;
  constructor(status: number, code: string, message: string, hint: string) {
    super(code, message, 'operator', hint);
    this.status = status;
  }
}

export function checkFormat(f: string | undefined | null): ReportFormat {
  const v = (f ?? 'md').toLowerCase();
  if ((REPORT_FORMATS as readonly string[]).includes(v)) return v as ReportFormat;
  throw new ReportError(
    400,
    'E_REPORT_FORMAT',
    `unknown report format ${JSON.stringify(f)}`,
    `use one of: ${REPORT_FORMATS.join(', ')}`,
  );
}

const ID_RE = /^[A-Za-z0-9._:-]{1,80}$/;

export function findReport(store: IncidentStore, idOrLatest: string): ReportModel {
  const { rec, samples } = findIncident(store, idOrLatest);
  return buildReport(rec, samples);
}

/** The report of an incident and the problems its checks find (none: it adds up). For `rampart report --check`. */
export function checkStored(store: IncidentStore, idOrLatest: string): { model: ReportModel; problems: string[] } {
  const { rec, samples } = findIncident(store, idOrLatest);
  const model = buildReport(rec, samples, Date.now(), { check: false });
  return { model, problems: checkReport(rec, samples, model) };
}

function findIncident(store: IncidentStore, idOrLatest: string): { rec: IncidentRecord; samples: Sample[] } {
  let id = idOrLatest;
  if (id === 'latest') {
    const l = store.latestId();
    if (l === null)
      throw new ReportError(
        404,
        'E_NO_INCIDENTS',
        'no incident has been recorded yet',
        'incidents are recorded when the detector sees an attack; `rampart drill` can rehearse one',
      );
    id = l;
  } else if (!ID_RE.test(id)) {
    throw new ReportError(
      400,
      'E_INCIDENT_ID',
      `not an incident id: ${JSON.stringify(id.slice(0, 100))}`,
      "ids look like inc-20260101T120000z-1; use 'latest' or list them with GET /api/incidents",
    );
  }
  const rec = store.get(id);
  if (rec === null)
    throw new ReportError(
      404,
      'E_NO_INCIDENT',
      `no incident ${JSON.stringify(id)} in ${store.file}`,
      "list them with GET /api/incidents, or use 'latest'",
    );
  return { rec, samples: store.samples(id) };
}

export const CONTENT_TYPES: Record<ReportFormat, string> = {
  md: 'text/markdown; charset=utf-8',
  html: 'text/html; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

export function render(m: ReportModel, f: ReportFormat): string {
  return f === 'json' ? renderJson(m) : f === 'html' ? renderHtml(m) : renderMarkdown(m);
}
