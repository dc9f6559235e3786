// One simulated client's HTTP connection(s): an undici Pool bound to its own
// loopback source address, with a fixed header list (its "browser" or "bot"
// profile). Every request has header and body deadlines, so nothing a drill
// sends can hang; a failure is a Reply with `error` set, never a throw.
import { Pool } from 'undici';
import type { Target } from './target.js';

export interface Reply {
  status: number;
  /** The shield's `rampart-verdict` header, '' when absent (other proxies). */
  verdict: string;
  /** Response text when asked for (`read`), else ''. */
  body: string;
  setCookie: string[];
  location: string;
  /** Milliseconds from send to the end of the body. */
  ms: number;
  /** '' on success, else a short error code (timeout, reset, refused…). */
  error: string;
}

export interface SendOptions {
  method?: string;
  path: string;
  /** Flat [name, value, …] list, sent in this order after Host. */
  headers: string[];
  body?: string;
  /** Read the body as text (for pages the client parses); otherwise it is discarded. */
  read?: boolean;
}

export interface Source {
  readonly address: string;
  send(o: SendOptions): Promise<Reply>;
  inFlight(): number;
  /** Closes the connections; `graceful` lets requests in flight finish first (else they are aborted). */
  close(graceful?: boolean): Promise<void>;
}

export interface SourceOptions {
  connections?: number;
  /** Deadline for the response head and for each body gap (default 5 s). */
  timeoutMs?: number;
}

export function createSource(target: Target, localAddress: string, opts: SourceOptions = {}): Source {
  const timeout = opts.timeoutMs ?? 5000;
  const pool = new Pool(target.origin, {
    connections: opts.connections ?? 1,
    localAddress,
    headersTimeout: timeout,
    bodyTimeout: timeout,
    connectTimeout: timeout,
    keepAliveTimeout: 4000,
    pipelining: 1,
  });
  let inflight = 0;
  let closed: 'no' | 'closing' | 'destroyed' = 'no';
  return {
    address: localAddress,
    inFlight: () => inflight,
    async send(o) {
      const t0 = performance.now();
      inflight++;
      try {
        const res = await pool.request({
          origin: target.origin,
          path: o.path,
          method: (o.method ?? 'GET') as 'GET',
          headers: o.headers,
          body: o.body,
        });
        let body = '';
        if (o.read) body = await res.body.text();
        else await res.body.dump();
        const h = res.headers;
        const sc = h['set-cookie'];
        return {
          status: res.statusCode,
          verdict: typeof h['rampart-verdict'] === 'string' ? h['rampart-verdict'] : '',
          body,
          setCookie: sc === undefined ? [] : Array.isArray(sc) ? sc : [sc],
          location: typeof h.location === 'string' ? h.location : '',
          ms: performance.now() - t0,
          error: '',
        };
      } catch (e) {
        return failedReply(errorCode(e), performance.now() - t0);
      } finally {
        inflight--;
      }
    },
    async close(graceful = false) {
      if (closed === 'destroyed' || (graceful && closed === 'closing')) return;
      closed = graceful ? 'closing' : 'destroyed';
      await (graceful ? pool.close() : pool.destroy()).catch(() => {});
    },
  };
}

function failedReply(error: string, ms: number): Reply {
  return { status: 0, verdict: '', body: '', setCookie: [], location: '', ms, error };
}

function errorCode(e: unknown): string {
  const err = e as { code?: string; name?: string };
  return err.code ?? err.name ?? 'error';
}
