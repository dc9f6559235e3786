// The passive HTTP/2 fingerprint of a client ("Akamai" format, Shuster &
// Segal, Black Hat EU 2017): its first SETTINGS (ids and values, in the order
// sent), its connection WINDOW_UPDATE increment, the PRIORITY frames before
// its first request, and that request's pseudo-header order —
// "1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p" for Chromium. Fed the
// session's first inbound bytes (the preface on); done at the first HEADERS
// frame or after 16 KiB. HPACK is read only as far as the pseudo-headers,
// which are static-table names. Once per session, never per request.
const PREFACE_LEN = 24;
const LIMIT = 16 * 1024;
/** Static-table indexes (RFC 7541 appendix A) of the pseudo-headers → their letter. */
const PSEUDO: Record<number, string> = { 1: 'a', 2: 'm', 3: 'm', 4: 'p', 5: 'p', 6: 's', 7: 's' };

export class H2FingerprintReader {
  private buf: Buffer = Buffer.alloc(0);
  private seen = 0;
  private settings: string | null = null;
  private windowUpdate = '';
  private readonly priority: string[] = [];
  private pseudo = '';
  done = false;

  /** Feeds inbound bytes; returns true once the fingerprint is complete (or given up on). */
  push(chunk: Buffer): boolean {
    if (this.done) return true;
    this.seen += chunk.length;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let i = this.seen - this.buf.length < PREFACE_LEN ? PREFACE_LEN - (this.seen - this.buf.length) : 0;
    if (this.buf.length < i) return this.giveUpIfLong();
    while (i + 9 <= this.buf.length) {
      const len = this.buf.readUIntBE(i, 3);
      if (i + 9 + len > this.buf.length) break;
      this.frame(
        this.buf[i + 3],
        this.buf[i + 4],
        this.buf.readUInt32BE(i + 5) & 0x7fffffff,
        this.buf.subarray(i + 9, i + 9 + len),
      );
      i += 9 + len;
      if (this.done) {
        this.buf = Buffer.alloc(0);
        return true;
      }
    }
    // Keep only what is not parsed yet (the preface counts as parsed once it is all in).
    this.buf = this.buf.subarray(Math.min(i, this.buf.length));
    return this.giveUpIfLong();
  }

  private giveUpIfLong(): boolean {
    if (this.seen > LIMIT) {
      this.done = true;
      this.buf = Buffer.alloc(0);
    }
    return this.done;
  }

  private frame(type: number, flags: number, stream: number, p: Buffer): void {
    if (type === 4 && (flags & 1) === 0 && this.settings === null) {
      const parts: string[] = [];
      for (let j = 0; j + 6 <= p.length; j += 6) parts.push(`${p.readUInt16BE(j)}:${p.readUInt32BE(j + 2)}`);
      this.settings = parts.join(';');
    } else if (type === 8 && stream === 0 && this.windowUpdate === '' && p.length >= 4) {
      this.windowUpdate = String(p.readUInt32BE(0) & 0x7fffffff);
    } else if (type === 2 && p.length >= 5 && this.priority.length < 16) {
      const dep = p.readUInt32BE(0);
      this.priority.push(`${stream}:${dep >>> 31}:${dep & 0x7fffffff}:${p[4] + 1}`);
    } else if (type === 1) {
      let off = 0;
      let end = p.length;
      if (flags & 0x8) end -= p[off++] ?? 0; // PADDED
      if (flags & 0x20) off += 5; // PRIORITY fields
      this.pseudo = pseudoOrder(p.subarray(off, Math.max(off, end)));
      this.done = true;
    }
  }

  /** The fingerprint text ('' until done or when nothing was read). */
  text(): string {
    if (this.settings === null && this.pseudo === '') return '';
    return `${this.settings ?? ''}|${this.windowUpdate || '00'}|${this.priority.length > 0 ? this.priority.join(',') : '0'}|${this.pseudo}`;
  }
}

/** HPACK integer with an n-bit prefix at p[i]; returns [value, next index] or null. */
function int(p: Buffer, i: number, bits: number): [number, number] | null {
  const max = (1 << bits) - 1;
  let v = p[i] & max;
  i++;
  if (v < max) return [v, i];
  let m = 0;
  while (i < p.length) {
    const b = p[i++];
    v += (b & 0x7f) * 2 ** m;
    m += 7;
    if ((b & 0x80) === 0) return [v, i];
    if (m > 28) return null;
  }
  return null;
}

/** The letters of the pseudo-headers at the start of a header block, in order ("m,a,s,p"). */
export function pseudoOrder(p: Buffer): string {
  const out: string[] = [];
  let i = 0;
  while (i < p.length && out.length < 8) {
    const b = p[i];
    let r: [number, number] | null;
    let literal = false;
    if (b & 0x80) r = int(p, i, 7);
    else if (b & 0x40) {
      r = int(p, i, 6);
      literal = true;
    } else if (b & 0x20) {
      r = int(p, i, 5); // dynamic table size update
      if (r === null) break;
      i = r[1];
      continue;
    } else {
      r = int(p, i, 4);
      literal = true;
    }
    if (r === null) break;
    const letter = PSEUDO[r[0]];
    if (letter === undefined) break; // a regular header (or a name we cannot read): the pseudo-headers are over
    out.push(letter);
    i = r[1];
    if (literal) {
      const len = i < p.length ? int(p, i, 7) : null;
      if (len === null) break;
      i = len[1] + len[0];
    }
  }
  return out.join(',');
}
