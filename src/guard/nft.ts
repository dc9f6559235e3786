// The nftables side of the kernel drop: the table, sets and chain Rampart
// owns (`inet <table>`: sets ban4/ban6 with `flags interval,timeout`, a chain
// on the input hook at priority -10 that drops their sources, with counters),
// the text of atomic `nft -f -` batches, and strict checks of what a client
// asks for (the helper runs as root: it writes only elements it validated,
// never text it was handed). Runs nft as a child process; no npm library
// drives nf_tables (docs/edge.md).
import { spawn } from 'node:child_process';
import { rangeOf } from './firewall-ranges.js';

/** One element: an address or "lo-hi" range (formatRange), and its timeout in ms (0: none). */
export type Element = readonly [string, number];

export const TABLE_RE = /^[a-z][a-z0-9_]{0,31}$/;
const MAX_TIMEOUT_MS = 365 * 86_400_000;

/** The element text if `e` is a well-formed element of the family, else null. */
export function checkElement(e: unknown, v6: boolean): string | null {
  if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string' || typeof e[1] !== 'number') return null;
  const [text, ms] = e as [string, number];
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_TIMEOUT_MS || text.length > 100) return null;
  const dash = text.indexOf('-');
  const a = rangeOf(dash < 0 ? text : text.slice(0, dash));
  const b = dash < 0 ? a : rangeOf(text.slice(dash + 1));
  if (a === null || b === null || a.v6 !== v6 || b.v6 !== v6 || a.lo !== a.hi || b.lo !== b.hi || b.lo < a.lo)
    return null;
  return ms > 0 ? `${text} timeout ${ms}ms` : text;
}

/** Creates what is missing (idempotent: `add` of an existing table, set or chain is no error); the rules are rewritten. */
export function setupScript(table: string): string {
  return [
    `add table inet ${table}`,
    `add set inet ${table} ban4 { type ipv4_addr; flags interval,timeout; }`,
    `add set inet ${table} ban6 { type ipv6_addr; flags interval,timeout; }`,
    `add chain inet ${table} input { type filter hook input priority -10; policy accept; }`,
    `flush chain inet ${table} input`,
    `add rule inet ${table} input ip saddr @ban4 counter drop`,
    `add rule inet ${table} input ip6 saddr @ban6 counter drop`,
  ].join('\n');
}

const CHUNK = 500;

function elementLines(verb: string, table: string, set: string, items: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < items.length; i += CHUNK)
    out.push(`${verb} element inet ${table} ${set} { ${items.slice(i, i + CHUNK).join(', ')} }`);
  return out;
}

/** The whole set replaced in one transaction. */
export function syncScript(table: string, v4: readonly string[], v6: readonly string[]): string {
  return [
    `flush set inet ${table} ban4`,
    `flush set inet ${table} ban6`,
    ...elementLines('add', table, 'ban4', v4),
    ...elementLines('add', table, 'ban6', v6),
  ].join('\n');
}

/**
 * Removals, then additions, in one transaction. Each element is first added
 * without a timeout (a no-op when present), so the delete never fails on an
 * element the kernel already expired; an addition is delete-then-add, so a
 * re-ban refreshes the element's timeout.
 */
export function deltaScript(
  table: string,
  del: { v4: readonly string[]; v6: readonly string[] },
  add: { v4: readonly string[]; v6: readonly string[] },
): string {
  const bare = (xs: readonly string[]) => xs.map((x) => x.replace(/ timeout \d+ms$/, ''));
  const lines: string[] = [];
  for (const [set, d, a] of [
    ['ban4', del.v4, add.v4],
    ['ban6', del.v6, add.v6],
  ] as const) {
    // Removals first: a new range may overlap an old one that goes (the kernel refuses overlaps).
    lines.push(...elementLines('add', table, set, bare(d)), ...elementLines('delete', table, set, bare(d)));
    lines.push(
      ...elementLines('add', table, set, bare(a)),
      ...elementLines('delete', table, set, bare(a)),
      ...elementLines('add', table, set, a),
    );
  }
  return lines.join('\n');
}

/** Runs `nft -f -` with `script`; resolves with nft's error text ('' on success). */
export function runNft(
  script: string,
  nft = 'nft',
  args: readonly string[] = ['-f', '-'],
): Promise<{ ok: boolean; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(nft, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (err += d.length + err.length < 4096 ? d : ''));
    p.on('error', (e) => resolve({ ok: false, out, err: e.message }));
    p.on('close', (code) => resolve({ ok: code === 0, out, err: err.trim() }));
    p.stdin.on('error', () => {});
    p.stdin.end(script);
  });
}
