// The mitigations of one view: id → mitigation, with expiry and a cap
// (`maxMitigations`, default 1 000; the oldest is evicted when full).
// Not the matcher: policy compiles mitigations() into its own structure.
import type { Mitigation } from '../core/model.js';
import { StateInputError } from './ban-table.js';

export const DEFAULT_MAX_MITIGATIONS = 1_000;

/**
 * Every field a mitigation's match may carry, in this version. A match with any other field comes from a
 * newer node (a narrowing this one does not know, as `moved` was): applied here without it, it would reach
 * far more clients than it names, so it is refused (skipped when read from the store) instead.
 */
const MATCH_FIELDS: Readonly<Record<keyof Mitigation['match'], true>> = {
  prefixKeys: true,
  fingerprints: true,
  routeClasses: true,
  paths: true,
  unverifiedOnly: true,
  newSince: true,
  cookieless: true,
  sparesPersons: true,
  novelNames: true,
  moved: true,
};

export function checkMitigation(m: Mitigation): void {
  if (!m || typeof m !== 'object' || typeof m.id !== 'string' || m.id.length === 0 || m.id.length > 128) {
    throw new StateInputError(
      `mitigation id must be a non-empty string of at most 128 characters, got ${JSON.stringify(m?.id)}`,
      'e.g. "sig-1700000000-3"',
    );
  }
  if (m.action !== 'limit' && m.action !== 'challenge' && m.action !== 'deny' && m.action !== 'check')
    throw new StateInputError(
      `mitigation ${m.id}: action must be limit, challenge, deny or check`,
      'see Mitigation in src/core/model.ts',
    );
  if (typeof m.until !== 'number' || !Number.isFinite(m.until))
    throw new StateInputError(
      `mitigation ${m.id}: until must be a time in ms since the epoch`,
      'e.g. Date.now() + 600000',
    );
  if (!m.match || typeof m.match !== 'object')
    throw new StateInputError(`mitigation ${m.id}: match is missing`, 'empty lists mean "any"');
  for (const k of Object.keys(m.match))
    if (!Object.hasOwn(MATCH_FIELDS, k))
      throw new StateInputError(
        `mitigation ${m.id}: match field ${JSON.stringify(k)} is not known to this version (a newer node's narrowing?); refused rather than applied more broadly`,
        `known fields: ${Object.keys(MATCH_FIELDS).join(', ')}`,
      );
}

export class MitigationTable {
  private readonly entries = new Map<string, Mitigation>();
  private list: readonly Mitigation[] | null = null;
  private nextExpiry = Infinity;
  evicted = 0;

  constructor(readonly cap = DEFAULT_MAX_MITIGATIONS) {}

  get size(): number {
    return this.entries.size;
  }

  /** Adds or replaces; false when an identical mitigation is already there. */
  put(m: Mitigation): boolean {
    checkMitigation(m);
    const had = this.entries.get(m.id);
    if (had !== undefined && JSON.stringify(had) === JSON.stringify(m)) return false;
    const frozen = Object.isFrozen(m) ? m : Object.freeze({ ...m });
    if (had !== undefined) this.entries.delete(m.id);
    else if (this.entries.size >= this.cap) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) {
        this.entries.delete(oldest.value);
        this.evicted++;
      }
    }
    this.entries.set(m.id, frozen);
    if (m.until < this.nextExpiry) this.nextExpiry = m.until;
    this.list = null;
    return true;
  }

  remove(id: string): boolean {
    if (!this.entries.delete(id)) return false;
    this.list = null;
    return true;
  }

  holdsExactly(list: readonly Mitigation[]): boolean {
    if (list.length !== this.entries.size) return false;
    for (const m of list) {
      const had = this.entries.get(m.id);
      if (!had || JSON.stringify(had) !== JSON.stringify(m)) return false;
    }
    return true;
  }

  get(id: string): Mitigation | undefined {
    return this.entries.get(id);
  }

  sweep(now: number): number {
    if (now < this.nextExpiry) return 0;
    let removed = 0;
    let next = Infinity;
    for (const [id, m] of this.entries) {
      if (m.until <= now) {
        this.entries.delete(id);
        removed++;
      } else if (m.until < next) next = m.until;
    }
    this.nextExpiry = next;
    if (removed) this.list = null;
    return removed;
  }

  all(): readonly Mitigation[] {
    if (this.list === null) this.list = Object.freeze([...this.entries.values()]);
    return this.list;
  }

  clear(): void {
    this.entries.clear();
    this.nextExpiry = Infinity;
    this.list = null;
  }
}
