// Renders the load benchmark as Markdown: one table for throughput (wrk,
// keep-alive and Connection: close) and one for latency at half load (paced
// client), every figure with its ratio to the direct origin of the same run.
import type { WrkResult } from './wrk.js';

export interface Row extends WrkResult {
  target: string;
  mode: 'keep-alive' | 'close';
  /** Resident memory of the server process right after its run (MiB). */
  rssMiB: number;
  /** CPU time of the servers on the path (origin + proxy) per request, µs. */
  cpuUs: number;
  /** Lowest and highest req/s over the rounds. */
  spread?: [number, number];
}

export interface PacedRow {
  target: string;
  rate: number;
  achieved: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export interface Report {
  started: string;
  node: string;
  nginx: string;
  wrk: string;
  commit: string;
  loadBefore: number;
  loadAfter: number;
  duration: number;
  rounds: number;
  connections: number;
  rows: Row[];
  paced: PacedRow[];
}

const f = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : 'n/a');

export function renderReport(r: Report): string {
  const out: string[] = [];
  out.push(`## Load benchmark, ${r.started}`, '');
  out.push(`commit ${r.commit} · node ${r.node} · ${r.nginx || 'nginx not installed'} · ${r.wrk}`);
  out.push(`Median of ${r.rounds} interleaved rounds (every target once per round; req/s range in brackets). wrk -t1 -c${r.connections} -d${r.duration}s pinned to core 0 (taskset); servers pinned to core 1; load average ${r.loadBefore.toFixed(2)} before, ${r.loadAfter.toFixed(2)} after (other processes share the machine).`, '');
  out.push('| target | connections | req/s | × direct | p50 ms | × direct | p99 ms | × direct | RSS MiB | × direct | server CPU µs/req | req/s on a free core, × direct | non-2xx | socket errors |');
  out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of r.rows) {
    const base = r.rows.find((x) => x.target === 'direct origin' && x.mode === row.mode)!;
    out.push(`| ${row.target} | ${row.mode} | ${f(row.rps)}${row.spread ? ` [${f(row.spread[0])}–${f(row.spread[1])}]` : ''} | ${ratio(row.rps, base.rps)} | ${f(row.p50, 2)} | ${ratio(row.p50, base.p50)} | ${f(row.p99, 2)} | ${ratio(row.p99, base.p99)} | ${f(row.rssMiB, 1)} | ${ratio(row.rssMiB, base.rssMiB)} | ${f(row.cpuUs, 1)} | ${ratio(base.cpuUs, row.cpuUs)} | ${row.non2xx} | ${row.errors} |`);
  }
  const direct = r.paced.find((x) => x.target === 'direct origin');
  if (direct) {
    out.push('', `Latency at half load: a paced client sends ${direct.rate} req/s (half of Rampart's keep-alive maximum above) for each target; latency counted from the scheduled send time.`, '');
    const wrkDirect = r.rows.find((x) => x.target === 'direct origin' && x.mode === 'keep-alive');
    if (wrkDirect && direct.p50 > Math.max(5, 5 * wrkDirect.p50)) {
      out.push(`**Unreliable:** the direct origin's paced p50 (${f(direct.p50, 2)} ms) is far above its wrk p50 (${f(wrkDirect.p50, 2)} ms) at full load, so the load generator could not keep its schedule (the machine is busy); the latencies below measure the client, not the servers.`, '');
    }
    out.push('| target | req/s achieved | p50 ms | p99 ms | added p99 ms (vs direct) | errors | non-2xx |');
    out.push('|---|---:|---:|---:|---:|---:|---:|');
    for (const p of r.paced) out.push(`| ${p.target} | ${f(p.achieved)} | ${f(p.p50, 2)} | ${f(p.p99, 2)} | ${p === direct ? '—' : f(p.p99 - direct.p99, 2)} | ${p.errors} | ${p.non2xx} |`);
  }
  const ka = r.rows.find((x) => x.target === 'rampart' && x.mode === 'keep-alive');
  const kaBase = r.rows.find((x) => x.target === 'direct origin' && x.mode === 'keep-alive');
  const pr = r.paced.find((x) => x.target === 'rampart');
  out.push('', '"server CPU µs/req" is the CPU time (user + system) the origin and the proxy in front of it spent per request during the run; its inverse ratio estimates the req/s ratio when the servers have a core to themselves, which is what req/s measures on a quiet machine.');
  out.push('', 'Targets (issue 2): Rampart ≥ 0.30 × direct req/s with keep-alive; added p99 ≤ 2 ms at half load.');
  if (ka && kaBase) out.push(`Measured: ${ratio(ka.rps, kaBase.rps)} × direct req/s (CPU-based estimate ${ratio(kaBase.cpuUs, ka.cpuUs)})${pr && direct ? `; added p99 ${f(pr.p99 - direct.p99, 2)} ms` : ''}.`);
  return out.join('\n') + '\n';
}
