// The drill's ground truth beside the shield's report of the same attack: the
// vector the scenario is, the sources it sent from, the shares by country or
// network it placed them in (--countries, --asns), and whether people were
// hurt (their served share before and during, as the drill measured it).
// Fetches the report over the admin API like any client (never imports the
// shield's code) and lists every figure with the difference; not the scoring
// of the defence (scorecard.ts).
import type { ScenarioName } from './scenarios.js';

/** The vector each scenario is (docs/detector.md); the newsletter is people, no attack. */
export const EXPECTED_VECTOR: Record<ScenarioName, string | null> = {
  'single-source': 'single_source_flood',
  botnet: 'distributed_flood',
  'cache-busting': 'cache_busting',
  login: 'login_stuffing',
  enumeration: 'enumeration',
  slowloris: 'slow_connections',
  pulse: 'pulse_wave',
  'low-and-slow': 'low_and_slow',
  newsletter: null,
};

export interface Truth {
  scenario: ScenarioName;
  /** Distinct addresses the drill sent from (attack and people). */
  sources: number;
  /** Per country or ASN the drill placed its addresses in: the share of its requests and of its addresses (%). */
  groups: { key: string; requestShare: number; sourceShare: number }[] | null;
  /** People's requests answered (the drill's own reading), before and during the attack (%). */
  servedBeforePct: number | null;
  servedDuringPct: number | null;
}

/** The fields of the report's JSON (GET /api/incidents/:id/report?format=json) compared here. */
export interface ReportJson {
  id: string;
  status: string;
  verdict: string;
  vectors: { vector: string }[];
  totals: { distinctSources: number; requests: number };
  accounting?: {
    received: number;
    forwarded: number;
    cache: number;
    challenged: number;
    refused: number;
    shed: number;
    unaccounted: number;
  };
  attribution: {
    sources: number;
    countries: { key: string; requestShare: number; sourceShare: number }[];
    asns: { key: string; requestShare: number; sourceShare: number }[];
  } | null;
  classification: { scale: string; criteria: { name: string; level: number; text: string }[] } | null;
}

export interface Difference {
  figure: string;
  drill: string;
  report: string;
  ok: boolean;
}

const pts = (x: number) => `${x > 0 ? '+' : ''}${x.toFixed(1)} points`;

/** Every compared figure; `ok` false where the report departs from the truth beyond its tolerance. */
export function compareReport(t: Truth, r: ReportJson): Difference[] {
  const out: Difference[] = [];
  const want = EXPECTED_VECTOR[t.scenario];
  const got = r.vectors.map((v) => v.vector);
  out.push({
    figure: 'vector',
    drill: want ?? 'none (people, no attack)',
    report: got.join(', ') || 'none',
    ok: want === null ? got.length === 0 : got.includes(want),
  });
  const src = r.attribution?.sources ?? r.totals.distinctSources;
  const dev = t.sources > 0 ? (src - t.sources) / t.sources : 0;
  out.push({
    figure: 'distinct sources',
    drill: t.sources.toLocaleString('en-US'),
    report: `${src.toLocaleString('en-US')} (${dev >= 0 ? '+' : ''}${(dev * 100).toFixed(1)}%)`,
    ok: Math.abs(dev) <= 0.05,
  });
  if (t.groups && r.attribution) out.push(...shareDifferences(t.groups, r.attribution));
  const impact = impactDifference(t, r);
  if (impact) out.push(impact);
  if (r.accounting) out.push(accountingDifference(r.accounting));
  return out;
}

type Share = { key: string; requestShare: number; sourceShare: number };

/** Each group's share of requests and of sources, then both sums (≤ 100%). */
function shareDifferences(groups: readonly Share[], attribution: NonNullable<ReportJson['attribution']>): Difference[] {
  const out: Difference[] = [];
  const rows = [...attribution.countries, ...attribution.asns];
  let reqSum = 0;
  let srcSum = 0;
  for (const g of groups) {
    const row = rows.find((x) => x.key === g.key);
    const rq = row?.requestShare ?? 0;
    const rs = row?.sourceShare ?? 0;
    out.push({
      figure: `${g.key} share of requests`,
      drill: `${g.requestShare.toFixed(1)}%`,
      report: `${rq}% (${pts(rq - g.requestShare)})`,
      ok: Math.abs(rq - g.requestShare) <= 2,
    });
    out.push({
      figure: `${g.key} share of sources`,
      drill: `${g.sourceShare.toFixed(1)}%`,
      report: `${rs}% (${pts(rs - g.sourceShare)})`,
      ok: Math.abs(rs - g.sourceShare) <= 2,
    });
    reqSum += rq;
    srcSum += rs;
  }
  out.push({ figure: 'source shares, summed', drill: '≤ 100%', report: `${srcSum.toFixed(1)}%`, ok: srcSum <= 100.5 });
  out.push({ figure: 'request shares, summed', drill: '≤ 100%', report: `${reqSum.toFixed(1)}%`, ok: reqSum <= 100.5 });
  return out;
}

/** People hurt (≥ 1 point fewer served) against the report's "impact on users" level; null without both. */
function impactDifference(t: Truth, r: ReportJson): Difference | null {
  const imp = r.classification?.criteria.find((c) => c.name === 'impact on users');
  if (t.servedBeforePct === null || t.servedDuringPct === null || !imp) return null;
  const lost = t.servedBeforePct - t.servedDuringPct;
  const hurt = lost >= 1;
  return {
    figure: 'impact on people',
    drill: hurt
      ? `${lost.toFixed(1)} points fewer served (${t.servedDuringPct}% against ${t.servedBeforePct}% before)`
      : `no user impact (${t.servedDuringPct}% served against ${t.servedBeforePct}% before)`,
    report: `level ${imp.level}: ${imp.text}`,
    ok: hurt ? imp.level >= 2 : imp.level === 1,
  };
}

function accountingDifference(a: NonNullable<ReportJson['accounting']>): Difference {
  const parts = [a.forwarded, a.cache, a.challenged, a.refused, a.shed];
  const sum = a.forwarded + a.cache + a.challenged + a.refused + a.shed;
  const unaccounted = a.unaccounted ? ` (+ ${a.unaccounted.toLocaleString('en-US')} unaccounted)` : '';
  return {
    figure: 'requests accounted for',
    drill: 'received = forwarded + cache + challenged + refused + shed',
    report: `${a.received.toLocaleString('en-US')} = ${parts.map((x) => x.toLocaleString('en-US')).join(' + ')}${unaccounted}`,
    ok: sum === a.received,
  };
}

export function formatDifferences(id: string, verdict: string, d: readonly Difference[]): string {
  const w = Math.max(...d.map((x) => x.figure.length));
  const lines = d.map((x) => `  ${x.ok ? '✓' : '✗'} ${x.figure.padEnd(w)}  drill: ${x.drill}; report: ${x.report}`);
  const bad = d.filter((x) => !x.ok).length;
  return [
    `report ${id} against the drill's ground truth (${bad === 0 ? 'no differences beyond tolerance' : `${bad} difference${bad === 1 ? '' : 's'}`}):`,
    `  verdict: ${verdict}`,
    ...lines,
  ].join('\n');
}

/**
 * The report of the incident the drill caused, once closed (or at `waitMs`,
 * as it stands): the latest incident started after `since`. null when none.
 */
export async function fetchReport(
  admin: string,
  token: string,
  since: number,
  waitMs = 60_000,
): Promise<ReportJson | null> {
  const get = async (path: string) => {
    const res = await fetch(new URL(path, admin), { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return res.json() as Promise<unknown>;
  };
  const until = Date.now() + waitMs;
  for (;;) {
    const list = (
      (await get('/api/incidents?limit=20')) as { incidents: { id: string; startedAt: number; status: string }[] }
    ).incidents;
    const inc = list.filter((x) => x.startedAt >= since).sort((a, b) => b.startedAt - a.startedAt)[0];
    // Closed, and a few seconds for the other workers' late parts (docs/evidence.md).
    if (inc && (inc.status === 'closed' || Date.now() >= until)) {
      if (inc.status === 'closed')
        await new Promise((r) => setTimeout(r, Math.min(12_000, Math.max(0, until - Date.now()))));
      return (await get(`/api/incidents/${encodeURIComponent(inc.id)}/report?format=json`)) as ReportJson;
    }
    if (Date.now() >= until) return null;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** The drill's ground truth from its scorecard and the address plan it used (a GeoPlan gives the groups). */
export function truthOf(
  card: {
    scenario: string;
    users: number;
    attack: { sources: number; sent: number };
    legit: { during: { requests: number; servedPct: number | null }; before: { servedPct: number | null } };
  },
  plan: { groupOf?(i: number): string } | undefined,
): Truth {
  const people = card.users;
  let groups: Truth['groups'] = null;
  if (plan?.groupOf) {
    // Attack source i is address 1,000,000 + i, person i is address i (run.ts); requests spread evenly over each side's addresses.
    const attack = new Map<string, number>();
    const legit = new Map<string, number>();
    for (let i = 0; i < card.attack.sources; i++)
      attack.set(plan.groupOf(1_000_000 + i), (attack.get(plan.groupOf(1_000_000 + i)) ?? 0) + 1);
    for (let i = 0; i < people; i++) legit.set(plan.groupOf(i), (legit.get(plan.groupOf(i)) ?? 0) + 1);
    const keys = [...new Set([...attack.keys(), ...legit.keys()])];
    const aReq = card.attack.sent;
    const lReq = card.legit.during.requests;
    const all = card.attack.sources + people;
    groups = keys.map((key) => {
      const a = attack.get(key) ?? 0;
      const l = legit.get(key) ?? 0;
      const req =
        (card.attack.sources > 0 ? (aReq * a) / card.attack.sources : 0) + (people > 0 ? (lReq * l) / people : 0);
      return {
        key,
        requestShare: aReq + lReq > 0 ? (100 * req) / (aReq + lReq) : 0,
        sourceShare: all > 0 ? (100 * (a + l)) / all : 0,
      };
    });
  }
  return {
    scenario: card.scenario as ScenarioName,
    sources: card.attack.sources + people,
    groups,
    servedBeforePct: card.legit.before.servedPct,
    servedDuringPct: card.legit.during.servedPct,
  };
}
