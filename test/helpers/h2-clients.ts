// Legitimate HTTP/2 clients for the abuse tests and drills: `sessions`
// node:http2 sessions, each from its own loopback address, sending one GET
// after another until `until`; records every outcome and latency. Plus the
// attacker child process (h2-attacker.ts) and a percentile helper.
import { connect as h2connect, type ClientHttp2Session } from 'node:http2';
import { connect as tlsConnect } from 'node:tls';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { H2AbuseOptions, H2AbuseResult } from '../../src/drill/h2-abuse.js';

export interface LegitResult {
  sent: number;
  ok: number;
  failed: number;
  latencies: number[];
  /** Failed requests by status (0: no response). */
  statuses: Record<string, number>;
}

/** `countFrom`: only requests started at or after this time (ms since the epoch) are counted (a drill's warm-up is not). */
export async function runLegitH2(
  port: number,
  addresses: readonly string[],
  until: number,
  path = '/',
  thinkMs = 20,
  countFrom = 0,
): Promise<LegitResult> {
  const r: LegitResult = { sent: 0, ok: 0, failed: 0, latencies: [], statuses: {} };
  const one = async (ip: string) => {
    let session: ClientHttp2Session | null = null;
    while (Date.now() < until) {
      if (session === null || session.destroyed || session.closed) {
        session = h2connect(`https://localhost:${port}`, {
          createConnection: () =>
            tlsConnect({
              host: '127.0.0.1',
              port,
              localAddress: ip,
              servername: 'localhost',
              ALPNProtocols: ['h2'],
              rejectUnauthorized: false,
            } as unknown as Parameters<typeof tlsConnect>[0]),
        });
        session.on('error', () => {});
      }
      const t0 = Date.now();
      const counted = t0 >= countFrom;
      if (counted) r.sent++;
      const status = await new Promise<number>((resolve) => {
        const req = session!.request({ ':path': path });
        let st = 0;
        req.setTimeout(5000, () => req.close());
        req.on('response', (h) => (st = Number(h[':status'])));
        req.on('error', () => resolve(0));
        req.on('close', () => resolve(st));
        req.resume();
        req.end();
      });
      if (!counted) {
        // warm-up
      } else if (status === 200) {
        r.ok++;
        r.latencies.push(Date.now() - t0);
      } else {
        r.failed++;
        r.statuses[status] = (r.statuses[status] ?? 0) + 1;
      }
      await new Promise((res) => setTimeout(res, thinkMs));
    }
    session?.close();
  };
  await Promise.all(addresses.map(one));
  return r;
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

const ATTACKER = fileURLToPath(new URL('./h2-attacker.ts', import.meta.url));

/** Runs the attacker in its own process (never the shield's event loop); resolves with its result. */
export function spawnH2Attacker(o: H2AbuseOptions): Promise<H2AbuseResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', ATTACKER, JSON.stringify(o)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.on('error', reject);
    p.on('exit', (code) => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? ''));
      } catch {
        reject(new Error(`attacker exited ${code} without a result: ${out}`));
      }
    });
  });
}
