// Reads the small body of a verify POST (form or JSON, ≤ 4 KiB) with its own
// deadline, since this endpoint answers before the proxy's body guard would
// run. Only on /.rampart/challenge/verify: a timer per verify, not per request.

const MAX_BYTES = 4096;
const DEADLINE_MS = 10_000;

/** The body as text, or null when it is too large, too slow or the client went away. */
export function readSmallBody(req: NodeJS.ReadableStream & { readableEnded?: boolean }): Promise<string | null> {
  if (req.readableEnded) return Promise.resolve('');
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const done = (v: string | null) => {
      clearTimeout(timer);
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('error', onError);
      if (v === null) req.resume(); // drain and discard whatever is left
      resolve(v);
    };
    const onData = (c: Buffer) => {
      bytes += c.length;
      if (bytes > MAX_BYTES) return done(null);
      chunks.push(c);
    };
    const onEnd = () => done(Buffer.concat(chunks).toString('utf8'));
    const onError = () => done(null);
    const timer = setTimeout(() => done(null), DEADLINE_MS);
    timer.unref();
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

export interface VerifyFields {
  challenge: string;
  solution: string;
  return: string;
  via: string;
}

/** Form (application/x-www-form-urlencoded) or JSON fields; missing ones are ''. */
export function parseFields(body: string, contentType: string | undefined): VerifyFields {
  let get: (k: string) => unknown;
  if (contentType?.includes('json')) {
    let obj: unknown;
    try {
      obj = JSON.parse(body);
    } catch {
      obj = null;
    }
    get = (k) => (obj !== null && typeof obj === 'object' ? (obj as Record<string, unknown>)[k] : undefined);
  } else {
    const form = new URLSearchParams(body);
    get = (k) => form.get(k);
  }
  const str = (k: string) => {
    const v = get(k);
    return typeof v === 'string' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : '';
  };
  return { challenge: str('challenge'), solution: str('solution'), return: str('return'), via: str('via') };
}
