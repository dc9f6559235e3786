// Enumeration as evidence: the identifier walks of one second, per client
// (templates.ts: a source that asked 30 records of a template within 30 s)
// and across clients (crowd-walk.ts: a crowd asking them in sequence), with
// the templates walked and the figures behind the claim. Pure; once a second.
import { CROWD_WINDOW_S, type CrowdFinding } from './crowd-walk.js';
import { templateLabel, type Walker } from './templates.js';

export interface Enumeration {
  reason: string;
  figures: Record<string, number>;
  /** The templates walked, e.g. `/api/donors/{id}`. */
  templates: string[];
  walkers: Walker[];
  /** The templates walked by a crowd (crowd-walk.ts): answered by a challenge on the template, not by bans. */
  crowd: string[];
}

/** The walks of one second as evidence: the templates, how many sources, how many identifiers; and the crowd walks (crowd-walk.ts). */
export function enumerationOf(walkers: readonly Walker[], crowd: readonly CrowdFinding[] = []): Enumeration | null {
  if (walkers.length === 0 && crowd.length === 0) return null;
  const byTemplate = new Map<number, { label: string; sources: number; ids: number; run: number }>();
  for (const w of walkers) {
    const t = byTemplate.get(w.template);
    if (t) {
      t.sources++;
      t.ids += w.ids;
      t.run = Math.max(t.run, w.run);
    } else byTemplate.set(w.template, { label: templateLabel(w.path), sources: 1, ids: w.ids, run: w.run });
  }
  const ts = [...byTemplate.values()].sort((a, b) => b.ids - a.ids);
  const crowds = crowd.map((c) => ({ ...c, label: templateLabel(c.path) })).sort((a, b) => b.fresh - a.fresh);
  const reasons: string[] = [];
  const templates = [...new Set([...ts.map((t) => t.label), ...crowds.map((x) => x.label)])];
  const figures: Record<string, number> = { sources: walkers.length, templates: templates.length };
  const top = ts[0];
  if (top !== undefined) {
    reasons.push(
      `${walkers.length} source(s) walked the identifiers of ${ts.map((t) => t.label).join(', ')}: ${top.ids} distinct identifiers of ${top.label} within 30 s${top.run >= 10 ? `, runs of up to ${top.run} in sequence` : ''} (a person reads a few)`,
    );
    figures.ids = top.ids;
    figures.longestRun = top.run;
  }
  const c = crowds[0];
  if (c !== undefined) {
    reasons.push(
      `the identifiers of ${crowds.map((x) => x.label).join(', ')} are walked in sequence across clients: ${c.fresh} not asked lately within ${CROWD_WINDOW_S} s, ${Math.round((100 * c.near) / c.fresh)}% of them just past ones asked before and with none on their other side (people reading records: at most a quarter)`,
    );
    figures.crowdFresh = c.fresh;
    figures.crowdNear = c.near;
    figures.crowdAsks = c.ids;
  }
  return {
    reason: reasons.join('; '),
    figures,
    templates,
    walkers: walkers.slice(),
    crowd: crowds.map((x) => x.label),
  };
}
