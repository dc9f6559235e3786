// Renders the load benchmark as Markdown: per page size (13 B and 1 KB) one
// table for throughput (wrk, keep-alive and Connection: close) and one for
// latency at half load (paced client), every figure with its ratio to the
// direct origin of the same run; then resident memory per process (idle,
// after load, after N distinct sources) against the budget of issue 14.
import type { WrkResult } from './wrk.js';

export interface Row extends WrkResult {
  /** The origin's page: '13 B' or '1 KB'. */
  page: string;
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
  page: string;
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
  memory: ProcessMemory[];
  /** Distinct sources of the memory phase (0: not run). */
  sources: number;
}

/** Resident memory of one process at one phase (MiB). */
export interface ProcessMemory {
  phase: string;
  process: string;
  now: number;
  peak: number;
}

const f = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const ratio = (a: number, b: number) =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) : 'n/a';

export function renderReport(r: Report): string {
  const out: string[] = [];
  out.push(`## Load benchmark, ${r.started}`, '');
  out.push(`commit ${r.commit} · node ${r.node} · ${r.nginx || 'nginx not installed'} · ${r.wrk}`);
  out.push(
    `Median of ${r.rounds} interleaved rounds (every target once per round; req/s range in brackets). wrk -t1 -c${r.connections} -d${r.duration}s pinned to core 0 (taskset); the origin, Rampart (one process: workers 1) and nginx (one worker) pinned to core 1; load average ${r.loadBefore.toFixed(2)} before, ${r.loadAfter.toFixed(2)} after (other processes share the machine).`,
    '',
  );
  const pages = [...new Set(r.rows.map((x) => x.page))];
  for (const page of pages) {
    const rows = r.rows.filter((x) => x.page === page);
    out.push(`### ${page} page`, '');
    out.push(
      '| target | connections | req/s | × direct | p50 ms | × direct | p99 ms | × direct | RSS MiB | × direct | server CPU µs/req | req/s on a free core, × direct | non-2xx | socket errors |',
    );
    out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const row of rows) {
      const base = rows.find((x) => x.target === 'direct origin' && x.mode === row.mode)!;
      out.push(
        `| ${row.target} | ${row.mode} | ${f(row.rps)}${row.spread ? ` [${f(row.spread[0])}–${f(row.spread[1])}]` : ''} | ${ratio(row.rps, base.rps)} | ${f(row.p50, 2)} | ${ratio(row.p50, base.p50)} | ${f(row.p99, 2)} | ${ratio(row.p99, base.p99)} | ${f(row.rssMiB, 1)} | ${ratio(row.rssMiB, base.rssMiB)} | ${f(row.cpuUs, 1)} | ${ratio(base.cpuUs, row.cpuUs)} | ${row.non2xx} | ${row.errors} |`,
      );
    }
    const paced = r.paced.filter((x) => x.page === page);
    const direct = paced.find((x) => x.target === 'direct origin');
    if (direct) {
      out.push(
        '',
        `Latency at half load: a paced client sends ${direct.rate} req/s (half of Rampart's keep-alive maximum above) for each target; latency counted from the scheduled send time.`,
        '',
      );
      const wrkDirect = rows.find((x) => x.target === 'direct origin' && x.mode === 'keep-alive');
      if (wrkDirect && direct.p50 > Math.max(5, 5 * wrkDirect.p50)) {
        out.push(
          `**Unreliable:** the direct origin's paced p50 (${f(direct.p50, 2)} ms) is far above its wrk p50 (${f(wrkDirect.p50, 2)} ms) at full load, so the load generator could not keep its schedule (the machine is busy); the latencies below measure the client, not the servers.`,
          '',
        );
      }
      out.push('| target | req/s achieved | p50 ms | p99 ms | added p99 ms (vs direct) | errors | non-2xx |');
      out.push('|---|---:|---:|---:|---:|---:|---:|');
      for (const p of paced)
        out.push(
          `| ${p.target} | ${f(p.achieved)} | ${f(p.p50, 2)} | ${f(p.p99, 2)} | ${p === direct ? '—' : f(p.p99 - direct.p99, 2)} | ${p.errors} | ${p.non2xx} |`,
        );
    }
    out.push('');
  }
  out.push(
    '"server CPU µs/req" is the CPU time (user + system) the origin and the proxy in front of it spent per request during the run; its inverse ratio estimates the req/s ratio when the servers have a core to themselves, which is what req/s measures on a quiet machine.',
  );
  out.push(
    '',
    'Targets (issues 2 and 14): Rampart ≥ 0.30 × direct req/s with keep-alive for the 1 KB page; added p99 ≤ 2 ms at half load; the aim is Rampart ≥ 0.6 × nginx.',
  );
  for (const page of pages) {
    const at = (t: string) => r.rows.find((x) => x.page === page && x.target === t && x.mode === 'keep-alive');
    const ka = at('rampart');
    const base = at('direct origin');
    const ng = at('nginx');
    const pr = r.paced.find((x) => x.page === page && x.target === 'rampart');
    const pd = r.paced.find((x) => x.page === page && x.target === 'direct origin');
    if (ka && base)
      out.push(
        `Measured, ${page} page, keep-alive: Rampart ${ratio(ka.rps, base.rps)} × direct req/s (CPU-based ${ratio(base.cpuUs, ka.cpuUs)})${ng ? `; nginx ${ratio(ng.rps, base.rps)} × direct (CPU-based ${ratio(base.cpuUs, ng.cpuUs)}); Rampart/nginx ${ratio(ka.rps, ng.rps)} (CPU-based ${ratio(ng.cpuUs, ka.cpuUs)})` : ''}${pr && pd ? `; added p99 ${f(pr.p99 - pd.p99, 2)} ms` : ''}.`,
      );
  }
  if (r.memory.length > 0) {
    out.push('', '### Resident memory per process', '');
    out.push(
      "RSS from /proc (VmRSS; peak: VmHWM). RSS counts the pages of the node binary each process has touched (~40 MiB, shared between processes), so the totals overstate what the machine spends; they are what issue 14's budget is written in.",
      '',
    );
    out.push('| phase | process | RSS MiB | peak MiB |');
    out.push('|---|---|---:|---:|');
    for (const m of r.memory) out.push(`| ${m.phase} | ${m.process} | ${f(m.now, 1)} | ${f(m.peak, 1)} |`);
    const phases = [...new Set(r.memory.map((m) => m.phase))].filter((p) => p.includes('rampart start'));
    for (const p of phases) {
      const ms = r.memory.filter((m) => m.phase === p);
      out.push(
        `| ${p} | **total, ${ms.length} processes** | **${f(
          ms.reduce((a, m) => a + m.now, 0),
          1,
        )}** | |`,
      );
    }
    out.push(
      '',
      'Budget (issue 14): `rampart start` on the defaults ≤ 200 MiB in total idle and ≤ 300 MiB after 1,000,000 distinct sources; a single process ≤ 80 MiB idle.',
    );
  }
  return `${out.join('\n')}\n`;
}
