// Identifier walks on any route, without configuration: a path is reduced to
// its template by replacing identifier-like segments — numbers, hex strings
// of 8+ characters with a digit, UUIDs — with `{id}` (`/api/donors/{id}`,
// `/r/{id}/pdf`), and each client's distinct identifiers per template are
// counted over a 30 s window (a 128-bit linear-counting bitmap). A person
// reads a few records of a template a minute; a client that asked for 30
// different ones within 30 s, in at least two different seconds (a page
// that loads 20 items at once is one second), is walking them. Candidates
// are kept for the tick (at most 256 a second), with the client's address
// and an example path. The same identifiers across all clients go to the
// crowd watch (crowd-walk.ts), for walks spread over thousands of sources.
// Memory: fixed table of `slots` × 36 bytes (4,096 slots ≈ 144 KiB).
// Per request: one pass over the path and one slot probe; no allocation
// unless the path has an identifier and the client crosses the threshold.
import { FNV_OFFSET, fnv1a, fnvStep, mix32, popcount } from '../core/hash.js';
import { CrowdWalks } from './crowd-walk.js';

export const WALK_WINDOW_S = 30;
/** Distinct identifiers of one template from one client within the window that make a walk. */
export const WALK_IDS = 30;
const BITS = 128;
const MAX_CANDIDATES = 256;

/** One client walking one template's identifiers (reported once per window). */
export interface Walker {
  ip: string;
  clientKey: number;
  template: number;
  /** An example path (the one that crossed the threshold). */
  path: string;
  ids: number;
  /** Longest run of identifiers one apart (sequential walk), when numeric. */
  run: number;
}

const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);

/**
 * Scans `path`: the template hash (identifier segments replaced) in
 * `out.template`, the identifiers' hash in `out.id`, the last identifier's
 * value in `out.num` (a decimal one's, or a hex one's or UUID's last 12 hex
 * digits; -1 when none). Returns false when the path has no identifier
 * segment.
 */
export function scanTemplate(path: string, out: { template: number; id: number; num: number }): boolean {
  let t = FNV_OFFSET;
  let id = FNV_OFFSET;
  let found = false;
  let num = -1;
  let i = 0;
  const n = path.length;
  while (i < n) {
    // One segment [i, j).
    let j = i;
    let digits = 0;
    let hex = 0;
    let dashes = 0;
    while (j < n && path.charCodeAt(j) !== 47) {
      const c = path.charCodeAt(j);
      if (c >= 48 && c <= 57) digits++;
      if (isHex(c)) hex++;
      else if (c === 45) dashes++;
      j++;
    }
    const len = j - i;
    const numeric = len > 0 && digits === len && len <= 15;
    const uuid =
      len === 36 && dashes === 4 && hex === 32 && path.charCodeAt(i + 8) === 45 && path.charCodeAt(i + 13) === 45;
    const hexId = len >= 8 && hex === len && digits > 0;
    if (numeric || uuid || hexId) {
      found = true;
      t = fnvStep(t, 0x7b); // '{' stands for the identifier
      id = fnvStep(fnv1a(path, id, i, j), 47);
      num = numeric ? Number(path.slice(i, j)) : hexTail(path, j);
    } else t = fnv1a(path, t, i, j);
    if (j < n) t = fnvStep(t, 47);
    i = j + 1;
  }
  out.template = t >>> 0;
  out.id = mix32(id >>> 0);
  out.num = num;
  return found;
}

/** The value of the last 12 hex digits before `end` (a hex identifier's or a UUID's low 48 bits). */
function hexTail(path: string, end: number): number {
  let v = 0;
  let scale = 1;
  for (let k = end - 1; k >= 0 && end - k <= 12; k--) {
    const c = path.charCodeAt(k) | 0x20; // lower case; digits unchanged
    if (c === 0x2d) break; // a UUID's last group is 12 digits
    v += (c <= 57 ? c - 48 : c - 87) * scale;
    scale *= 16;
  }
  return v;
}

/** `/api/donors/123` → `/api/donors/{id}` (for reports; not on the request path). */
export function templateLabel(path: string): string {
  return path
    .split('/')
    .map((seg) =>
      /^\d{1,15}$/.test(seg) ||
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(seg) ||
      (/^[0-9a-f]{8,}$/i.test(seg) && /\d/.test(seg))
        ? '{id}'
        : seg,
    )
    .join('/');
}

/** The path prefix before a template's first identifier: `/api/donors/{id}` → `/api/donors/`. */
export function templatePrefix(label: string): string {
  const i = label.indexOf('{id}');
  return i < 0 ? label : label.slice(0, i);
}

export class IdWalks {
  private readonly keys: Uint32Array;
  private readonly client: Uint32Array;
  private readonly template: Uint32Array;
  /** Second the slot's window started (0: empty). */
  private readonly since: Uint32Array;
  /** Distinct seconds with requests in the window (saturates), and the last such second. */
  private readonly seconds: Uint16Array;
  private readonly lastSecond: Uint32Array;
  private readonly lastNum: Float64Array;
  private readonly run: Uint16Array;
  private readonly best: Uint16Array;
  /** Reported in this window already. */
  private readonly reported: Uint8Array;
  private readonly bits: Uint32Array;
  private readonly mask: number;
  private readonly scan = { template: 0, id: 0, num: -1 };
  /** Walks crossing the threshold since the last drain (bounded). */
  candidates: Walker[] = [];
  /** The same identifiers across all clients (crowd-walk.ts): walks spread over many sources. */
  readonly crowd = new CrowdWalks();

  constructor(slots = 4096) {
    let n = 256;
    while (n < slots) n <<= 1;
    this.keys = new Uint32Array(n);
    this.client = new Uint32Array(n);
    this.template = new Uint32Array(n);
    this.since = new Uint32Array(n);
    this.seconds = new Uint16Array(n);
    this.lastSecond = new Uint32Array(n);
    this.lastNum = new Float64Array(n).fill(-2);
    this.run = new Uint16Array(n);
    this.best = new Uint16Array(n);
    this.reported = new Uint8Array(n);
    this.bits = new Uint32Array(n * (BITS / 32));
    this.mask = n - 2;
  }

  /** One request; `nowS` in seconds since the epoch. */
  observe(clientKey: number, ip: string, path: string, nowS: number): void {
    const sc = this.scan;
    if (!scanTemplate(path, sc)) return;
    if (sc.num >= 0) this.crowd.observe(sc.template, sc.num, clientKey, path, nowS);
    const key = (mix32(clientKey ^ 0x9e3779b9) ^ sc.template) >>> 0;
    const a = mix32(key) & this.mask;
    let i =
      this.keys[a] === key && this.since[a] !== 0
        ? a
        : this.keys[a + 1] === key && this.since[a + 1] !== 0
          ? a + 1
          : -1;
    if (i < 0 || nowS - this.since[i] >= WALK_WINDOW_S) {
      if (i < 0) i = this.since[a] === 0 || this.since[a] <= this.since[a + 1] ? a : a + 1; // the older window gives way
      this.keys[i] = key;
      this.client[i] = clientKey >>> 0;
      this.template[i] = sc.template;
      this.since[i] = nowS;
      this.seconds[i] = 0;
      this.lastSecond[i] = 0;
      this.lastNum[i] = -2;
      this.run[i] = this.best[i] = 0;
      this.reported[i] = 0;
      this.bits.fill(0, i * 4, i * 4 + 4);
    }
    if (this.lastSecond[i] !== nowS) {
      this.lastSecond[i] = nowS;
      if (this.seconds[i] < 65535) this.seconds[i]++;
    }
    if (sc.num >= 0) {
      this.run[i] = Math.abs(sc.num - this.lastNum[i]) === 1 && this.run[i] < 65535 ? this.run[i] + 1 : 0;
      if (this.run[i] > this.best[i]) this.best[i] = this.run[i];
      this.lastNum[i] = sc.num;
    }
    const b = sc.id & (BITS - 1);
    this.bits[i * 4 + (b >>> 5)] |= 1 << (b & 31);
    if (this.reported[i] === 0 && this.seconds[i] >= 2) {
      const ids = this.distinct(i);
      if (ids >= WALK_IDS && this.candidates.length < MAX_CANDIDATES) {
        this.reported[i] = 1;
        this.candidates.push({
          ip,
          clientKey: clientKey >>> 0,
          template: sc.template,
          path,
          ids,
          run: this.best[i] + (this.best[i] > 0 ? 1 : 0),
        });
      }
    }
  }

  /** Distinct identifiers in slot i's window (linear counting over 128 bits; saturates near 500). */
  private distinct(i: number): number {
    let zeros = 0;
    for (let w = 0; w < 4; w++) zeros += 32 - popcount(this.bits[i * 4 + w]);
    if (zeros === 0) return Math.round(BITS * Math.log(BITS));
    return Math.round(-BITS * Math.log(zeros / BITS));
  }

  /** The walks reported since the last call (the detector's tick). */
  drain(): Walker[] {
    const c = this.candidates;
    this.candidates = [];
    return c;
  }
}
