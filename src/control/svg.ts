// A timeline chart as a standalone SVG string, rendered in Node (no browser,
// no library): request rate, requests forwarded to the origin and refused, per
// second, with markers where mitigations started. Pure; O(samples) output,
// bucketed to at most 600 points so the file stays small for long incidents.

export interface Series {
  name: string;
  color: string;
  values: readonly number[];
}

export interface ChartInput {
  title: string;
  /** ms since the epoch, one per value. */
  t: readonly number[];
  series: readonly Series[];
  markers: readonly { t: number; label: string }[];
  width?: number;
  height?: number;
}

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Rounded-up axis maximum: 1, 2, 5 × 10^k. */
export function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

function bucket(values: readonly number[], n: number): number[] {
  if (values.length <= n) return values.slice();
  const out: number[] = [];
  const per = values.length / n;
  for (let i = 0; i < n; i++) {
    let max = 0;
    for (let j = Math.floor(i * per); j < Math.floor((i + 1) * per); j++) max = Math.max(max, values[j]);
    out.push(max);
  }
  return out;
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** The chart's geometry: W×H the picture, L/R/T/B its margins, pw×ph the plot area; n points from t0 to t1; x() and y() scale time and value. */
interface Frame {
  W: number;
  H: number;
  L: number;
  R: number;
  T: number;
  B: number;
  pw: number;
  ph: number;
  n: number;
  t0: number;
  t1: number;
  max: number;
  x(t: number): number;
  y(v: number): number;
}

function frameOf(c: ChartInput): Frame {
  const W = c.width ?? 800;
  const H = c.height ?? 260;
  const L = 56;
  const R = 12;
  const T = 28;
  const B = 44;
  const pw = W - L - R;
  const ph = H - T - B;
  const n = c.t.length;
  const t0 = n ? c.t[0] : 0;
  const t1 = n > 1 ? c.t[n - 1] : t0 + 1000;
  const max = niceMax(Math.max(1, ...c.series.flatMap((s) => s.values)));
  const x = (t: number) => L + ((t - t0) / Math.max(1, t1 - t0)) * pw;
  const y = (v: number) => T + ph - (v / max) * ph;
  return { W, H, L, R, T, B, pw, ph, n, t0, t1, max, x, y };
}

export function timelineSvg(c: ChartInput): string {
  const f = frameOf(c);
  const { W, H, L } = f;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(c.title)}" font-family="system-ui, sans-serif" font-size="11">`,
  );
  parts.push(`<title>${escapeXml(c.title)}</title>`);
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${L}" y="16" font-size="13" font-weight="600" fill="#222">${escapeXml(c.title)}</text>`);
  valueGrid(f, parts);
  timeAxis(f, parts);
  markerLines(f, c.markers, parts);
  seriesPaths(f, c, parts);
  legend(f, c.series, parts);
  parts.push('</svg>');
  return parts.join('');
}

/** Five horizontal grid lines with their values. */
function valueGrid(f: Frame, parts: string[]): void {
  for (let i = 0; i <= 4; i++) {
    const v = (f.max * i) / 4;
    const yy = f.y(v).toFixed(1);
    parts.push(
      `<line x1="${f.L}" x2="${f.W - f.R}" y1="${yy}" y2="${yy}" stroke="#e5e5e5"/><text x="${f.L - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle" fill="#555">${v.toLocaleString('en-US')}</text>`,
    );
  }
}

/** Up to seven clock labels along the bottom, and the axis caption. */
function timeAxis(f: Frame, parts: string[]): void {
  const ticks = Math.min(6, Math.max(1, f.n - 1));
  for (let i = 0; i <= ticks; i++) {
    const t = f.t0 + ((f.t1 - f.t0) * i) / ticks;
    const anchor = i === 0 ? 'start' : i === ticks ? 'end' : 'middle'; // the end labels stay inside the picture
    parts.push(
      `<text x="${f.x(t).toFixed(1)}" y="${f.H - f.B + 16}" text-anchor="${anchor}" fill="#555">${clock(t)}</text>`,
    );
  }
  parts.push(
    `<text x="${f.L + f.pw / 2}" y="${f.H - 8}" text-anchor="middle" fill="#555">time (UTC), requests per second</text>`,
  );
}

/** A dashed vertical line, with its label as a tooltip, per marker inside the time range. */
function markerLines(f: Frame, markers: ChartInput['markers'], parts: string[]): void {
  for (const m of markers) {
    if (m.t < f.t0 || m.t > f.t1) continue;
    const xx = f.x(m.t).toFixed(1);
    parts.push(
      `<line x1="${xx}" x2="${xx}" y1="${f.T}" y2="${f.T + f.ph}" stroke="#b45309" stroke-dasharray="3 3"><title>${escapeXml(m.label)}</title></line>`,
    );
  }
}

/** One path per series, bucketed to at most 600 points (the maximum of each bucket). */
function seriesPaths(f: Frame, c: ChartInput, parts: string[]): void {
  const points = Math.min(600, Math.max(1, f.n));
  const tb = bucket(c.t as number[], points);
  for (const s of c.series) {
    const vb = bucket(s.values, points);
    const d = vb
      .map((v, i) => `${i === 0 ? 'M' : 'L'}${f.x(f.n <= points ? c.t[i] : tb[i]).toFixed(1)},${f.y(v).toFixed(1)}`)
      .join('');
    if (d)
      parts.push(
        `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"><title>${escapeXml(s.name)}</title></path>`,
      );
  }
}

/** The series' names with their colours, right-aligned above the plot. */
function legend(f: Frame, series: readonly Series[], parts: string[]): void {
  let lx = f.L + f.pw;
  for (let i = series.length - 1; i >= 0; i--) {
    const s = series[i];
    lx -= 10 + s.name.length * 6.2 + 14;
    parts.push(
      `<rect x="${lx.toFixed(1)}" y="8" width="10" height="10" fill="${s.color}"/><text x="${(lx + 14).toFixed(1)}" y="17" fill="#222">${escapeXml(s.name)}</text>`,
    );
  }
}
