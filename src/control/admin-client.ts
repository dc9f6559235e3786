// A small client of the admin API over node:http, used by the CLI commands
// (ban, mode, status) and by tests. Turns `{ error: { code, message, hint } }`
// replies and connection failures into AdminClientError with the same fields.
import { request } from 'node:http';
import { RampartError } from '../core/errors.js';

export interface AdminCall {
  token?: string;
  body?: unknown;
  /** Source address to connect from (tests use 127.x.y.z to act as several clients). */
  localAddress?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface AdminResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Parsed JSON when the reply is JSON, else undefined. */
  // biome-ignore lint/suspicious/noExplicitAny: JSON.parse's own type; tests read the endpoints' fields without casts
  json: any;
}

export class AdminClientError extends RampartError {
  readonly status: number;
  constructor(status: number, code: string, message: string, hint: string) {
    super(code, message, 'operator', hint);
    this.status = status;
  }
}

/** One request; resolves with any HTTP status (callers decide), rejects only on network failure. */
export function adminRequest(base: string, method: string, path: string, call: AdminCall = {}): Promise<AdminResponse> {
  const url = new URL(path, base);
  const body = call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body));
  const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  if (body) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(body.length);
  }
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, headers, localAddress: call.localAddress, timeout: call.timeoutMs ?? 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          if (/json/.test(String(res.headers['content-type'] ?? ''))) {
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`no answer from ${url.origin} within ${call.timeoutMs ?? 10_000} ms`)),
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Like adminRequest, but a non-2xx reply or a network failure throws AdminClientError; callers state the reply's shape. */
export async function adminCall(base: string, method: string, path: string, call: AdminCall = {}): Promise<unknown> {
  let r: AdminResponse;
  try {
    r = await adminRequest(base, method, path, call);
  } catch (e) {
    throw new AdminClientError(
      0,
      'E_ADMIN_UNREACHABLE',
      `cannot reach the admin API at ${base}: ${(e as Error).message}`,
      'is Rampart running? give its admin address with --admin URL (default http://127.0.0.1:9090)',
    );
  }
  if (r.status >= 200 && r.status < 300) return r.json;
  const err = r.json?.error;
  if (err && typeof err.code === 'string') throw new AdminClientError(r.status, err.code, err.message, err.hint ?? '');
  throw new AdminClientError(
    r.status,
    'E_ADMIN_HTTP',
    `admin API answered HTTP ${r.status}`,
    `is ${base} a Rampart admin listener?`,
  );
}
