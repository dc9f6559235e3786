// The bans of one view: canonical id → ban, the lookup index, expiry and a cap.
// Cap: `maxBans` entries (default 100 000, roughly 30 MB at ~300 bytes a ban);
// when full, the oldest automatic ban (else the oldest ban) is evicted, so the
// table never grows with the number of attacking addresses.
import type { Ban } from '../core/model.js';
import { RampartError } from '../core/errors.js';
import { BanIndex, parseBanTarget, type BanTarget } from './ban-index.js';

export const DEFAULT_MAX_BANS = 100_000;
/** How far from the oldest entry eviction looks for an automatic ban. */
const EVICT_SCAN = 64;

export class StateInputError extends RampartError {
  constructor(message: string, hint: string) {
    super('E_STATE_INPUT', message, 'operator', hint);
  }
}

/** Checks a ban's fields; returns its parsed target or throws a StateInputError. */
export function checkBan(ban: Ban): BanTarget {
  const t = ban && typeof ban === 'object' ? parseBanTarget(ban.target) : null;
  if (!t)
    throw new StateInputError(
      `not an IP address or CIDR range: ${JSON.stringify(ban?.target)}`,
      'ban e.g. 203.0.113.7, 203.0.113.0/24 or 2001:db8::/48',
    );
  if (typeof ban.until !== 'number' || !Number.isFinite(ban.until))
    throw new StateInputError(
      `ban of ${ban.target}: until must be a time in ms since the epoch`,
      'e.g. Date.now() + 3600000 for one hour',
    );
  if (typeof ban.rule !== 'string' || !/^ban\/[a-z0-9._:-]+$/.test(ban.rule))
    throw new StateInputError(
      `ban of ${ban.target}: rule must be ban/<name>, got ${JSON.stringify(ban.rule)}`,
      'e.g. ban/manual or ban/auto-flood',
    );
  return t;
}

function sameBan(a: Ban, b: Ban): boolean {
  return (
    a.target === b.target &&
    a.until === b.until &&
    a.rule === b.rule &&
    a.createdAt === b.createdAt &&
    a.reason === b.reason &&
    a.source === b.source
  );
}

interface Entry {
  readonly t: BanTarget;
  readonly ban: Ban;
}

export class BanTable {
  private readonly entries = new Map<string, Entry>();
  private readonly index = new BanIndex();
  private list: readonly Ban[] | null = null;
  /** Earliest `until` among the entries (Infinity when empty): sweeps are skipped before it. */
  private nextExpiry = Infinity;
  evicted = 0;

  constructor(readonly cap = DEFAULT_MAX_BANS) {}

  get size(): number {
    return this.entries.size;
  }

  /** Adds or replaces a ban; false when the same ban is already there (a replayed sync message). */
  add(ban: Ban): boolean {
    const t = checkBan(ban);
    const had = this.entries.get(t.id);
    if (had !== undefined && sameBan(had.ban, ban)) return false;
    const frozen = Object.isFrozen(ban) ? ban : Object.freeze({ ...ban });
    if (had !== undefined) this.entries.delete(t.id);
    else if (this.entries.size >= this.cap) this.evictOne();
    this.entries.set(t.id, { t, ban: frozen });
    this.index.set(t, frozen);
    if (frozen.until < this.nextExpiry) this.nextExpiry = frozen.until;
    this.list = null;
    return true;
  }

  remove(target: string): boolean {
    const t = parseBanTarget(target);
    const e = t ? this.entries.get(t.id) : undefined;
    if (!e) return false;
    this.drop(e);
    return true;
  }

  /** True when the table holds exactly these bans (a reconcile that would change nothing). */
  holdsExactly(list: readonly Ban[]): boolean {
    if (list.length !== this.entries.size) return false;
    for (const b of list) {
      const t = parseBanTarget(b.target);
      const e = t ? this.entries.get(t.id) : undefined;
      if (!e || !sameBan(e.ban, b)) return false;
    }
    return true;
  }

  /** The ban in force for `ip` at `now`, or null. Expired entries are ignored here and swept later. */
  find(ip: string, now: number): Ban | null {
    if (this.entries.size === 0) return null;
    const b = this.index.find(ip);
    return b !== null && b.until > now ? b : null;
  }

  /** Removes expired bans; returns how many went. O(n) but skipped until the earliest expiry. */
  sweep(now: number): number {
    if (now < this.nextExpiry) return 0;
    let removed = 0;
    let next = Infinity;
    for (const e of this.entries.values()) {
      if (e.ban.until <= now) {
        this.drop(e);
        removed++;
      } else if (e.ban.until < next) next = e.ban.until;
    }
    this.nextExpiry = next;
    return removed;
  }

  all(): readonly Ban[] {
    if (this.list === null) {
      const out: Ban[] = [];
      for (const e of this.entries.values()) out.push(e.ban);
      this.list = Object.freeze(out);
    }
    return this.list;
  }

  clear(): void {
    this.entries.clear();
    this.index.clear();
    this.nextExpiry = Infinity;
    this.list = null;
  }

  private drop(e: Entry): void {
    this.entries.delete(e.t.id);
    this.index.delete(e.t);
    this.list = null;
  }

  private evictOne(): void {
    let first: Entry | null = null;
    let n = 0;
    for (const e of this.entries.values()) {
      if (first === null) first = e;
      if (e.ban.source === 'auto') {
        first = e;
        break;
      }
      if (++n >= EVICT_SCAN) break;
    }
    if (first) {
      this.drop(first);
      this.evicted++;
    }
  }
}
