// What a browser does with Rampart's interstitial (src/challenge/page.ts):
// read the form's seed, difficulty, token and return path, find a counter c
// with SHA-256(seed + c) having `bits` leading zero bits, and post it to
// /.rampart/challenge/verify. The search runs in one worker thread (node:crypto)
// so simulated users keep their timing while one of them "thinks"; solves queue.
import { Worker } from 'node:worker_threads';

export interface ChallengeForm {
  token: string;
  seed: string;
  bits: number;
  ret: string;
  action: string;
}

const attr = (html: string, re: RegExp) => re.exec(html)?.[1] ?? '';

/** The interstitial's form, or null when `html` is not one. */
export function parseChallenge(html: string): ChallengeForm | null {
  if (!html.includes('id="rampart-challenge"')) return null;
  const form: ChallengeForm = {
    token: attr(html, /name="challenge" value="([^"]+)"/),
    seed: attr(html, /data-seed="([^"]+)"/),
    bits: Number(attr(html, /data-bits="(\d+)"/)),
    ret: unescapeHtml(attr(html, /name="return" value="([^"]*)"/)),
    action: attr(html, /<form id="rampart-challenge"[^>]*action="([^"]+)"/) || '/.rampart/challenge/verify',
  };
  return form.token && form.seed && form.bits > 0 && form.bits <= 32 ? form : null;
}

function unescapeHtml(s: string): string {
  return s.replace(
    /&(amp|lt|gt|quot|#39);/g,
    (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e] ?? '',
  );
}

// The worker: plain JS (no TypeScript loader inside workers), bounded search.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const crypto = require('node:crypto');
const sha = typeof crypto.hash === 'function' ? (s) => crypto.hash('sha256', s, 'buffer') : (s) => crypto.createHash('sha256').update(s).digest();
function lz(d) { let n = 0; for (let i = 0; i < d.length; i++) { const b = d[i]; if (b === 0) { n += 8; continue; } return n + Math.clz32(b) - 24; } return n; }
parentPort.on('message', (m) => {
  const limit = Math.min(2 ** 31, 64 * 2 ** m.bits);
  let c = 0;
  for (; c < limit; c++) if (lz(sha(m.seed + c)) >= m.bits) break;
  parentPort.postMessage({ id: m.id, counter: c < limit ? c : -1 });
});`;

export interface Solver {
  /** Resolves with the counter, or -1 when no solution was found within 64× the expected work. */
  solve(seed: string, bits: number): Promise<number>;
  /** Total solves and total solve time (ms) so far. */
  stats(): { solves: number; ms: number };
  close(): Promise<void>;
}

export function createSolver(): Solver {
  let worker: Worker | null = null;
  let next = 0;
  let solves = 0;
  let ms = 0;
  const waiting = new Map<number, { resolve: (c: number) => void; t0: number }>();
  function start(): Worker {
    const w = new Worker(WORKER_SOURCE, { eval: true });
    w.unref();
    w.on('message', (m: { id: number; counter: number }) => {
      const p = waiting.get(m.id);
      if (!p) return;
      waiting.delete(m.id);
      solves++;
      ms += performance.now() - p.t0;
      p.resolve(m.counter);
    });
    w.on('error', () => {
      for (const p of waiting.values()) p.resolve(-1);
      waiting.clear();
      worker = null;
    });
    return w;
  }
  return {
    solve(seed, bits) {
      worker ??= start();
      const id = next++;
      return new Promise((resolve) => {
        waiting.set(id, { resolve, t0: performance.now() });
        worker!.postMessage({ id, seed, bits });
      });
    },
    stats: () => ({ solves, ms }),
    async close() {
      for (const p of waiting.values()) p.resolve(-1);
      waiting.clear();
      const w = worker;
      worker = null;
      if (w) await w.terminate();
    },
  };
}
