// `rampart report <id|latest>`: renders an incident from the store (read-only
// SQLite; works while the shield runs) as Markdown, HTML or JSON, to stdout or
// -o FILE. Flag checking and output only; the report lives in src/control.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../core/errors.js';
import { loadConfigFile } from '../config/load.js';
import { openIncidentStore } from '../control/incidents-store.js';
import { checkFormat, checkStored, findReport, render } from '../control/report-render.js';
import { parse } from './args.js';

export const help = `Usage: rampart report <incident-id|latest> [--format md|html|json] [-o FILE] [--check]

Writes the evidence report of one incident: verdict with the figures behind
it, timeline chart, vectors, sources and attribution (with its caveat),
mitigations and their effect, impact on real users, data exposure and a draft
statement. HTML is one self-contained file (no network needed to open it).

Options:
      --format F      md (default), html or json
      --check         check the report's figures instead (shares ≤ 100%, every
                      request accounted for, per-key sources ≤ distinct
                      sources, the grade as the rubric gives it, the headline
                      traceable to the stored samples, the statement backed
                      by them); exit 1 and list what fails
  -o, --output FILE   write to FILE instead of standard output
      --data-dir DIR  the shield's data_dir (default: from -c, else ./data)
  -c, --config FILE   read data_dir and evidence.file from this configuration
  -h, --help          show this help`;

export async function run(argv: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parse(
    'report',
    argv,
    {
      format: { type: 'string' },
      check: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
      'data-dir': { type: 'string' },
      config: { type: 'string', short: 'c' },
    },
    true,
  );
  if (values.help) {
    out(help);
    return 0;
  }
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length === 0
        ? 'report: which incident? give an id or latest'
        : `report: one incident at a time, got ${positionals.length}`,
      'e.g. rampart report latest --format html -o incident.html',
    );
  const format = checkFormat(values.format as string | undefined);
  let dataDir = (values['data-dir'] as string | undefined) ?? './data';
  let file = 'incidents.sqlite';
  if (values.config) {
    const c = loadConfigFile(values.config as string);
    if (!values['data-dir']) dataDir = c.dataDir;
    file = c.evidence.file;
  }
  const store = openIncidentStore(join(dataDir, file), { readonly: true });
  try {
    if (values.check) {
      const { model, problems } = checkStored(store, positionals[0]);
      if (problems.length === 0) {
        out(
          `report ${model.id}: every check passed (${model.accounting.received.toLocaleString('en-US')} requests accounted for over ${model.timeline.t.length} stored samples; ${model.verdict})`,
        );
        return 0;
      }
      out(
        `report ${model.id}: ${problems.length} check${problems.length === 1 ? '' : 's'} failed:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      );
      return 1;
    }
    const body = render(findReport(store, positionals[0]), format);
    if (values.output) {
      writeFileSync(values.output as string, body);
      out(`wrote ${values.output}`);
    } else out(body.replace(/\n$/, ''));
  } finally {
    store.close();
  }
  return 0;
}
