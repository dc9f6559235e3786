// The policy's side of rate limits shared between workers and nodes: which of
// the current policy's token tables a tick's usage is recorded from and other
// processes' usage is debited into. The transport (src/exchange/limits-peers.ts)
// sees only this class, never the bucket tables. A reload may build new tables
// or turn limits off, so the tap follows the current policy before each use.
// Memory: one recorder per table (5 × ≈ 36 KB at 1024 keys).
import type { TokenBuckets } from '../core/token-bucket.js';
import type { Policy } from './decide.js';
import { KEY_TYPES, type KeyType } from './limits.js';
import { applyUsage, createUsageRecorder, isUsageList, type UsageList, type UsageRecorder } from './limits-usage.js';
import type { PolicyStage } from './stage.js';

/** The shared tables: the four limit key types, and `mitigation`, the per-client buckets of the detector's limit mitigations. */
export type TableName = KeyType | 'mitigation';
export const TABLES: readonly TableName[] = [...KEY_TYPES, 'mitigation'];

export class LimitUsageTap {
  private readonly recorders = {} as Record<TableName, UsageRecorder>;
  private readonly watched = {} as Record<KeyType, TokenBuckets | null>;
  private policy: Policy | null = null;

  constructor(
    private readonly currentStage: () => PolicyStage,
    capacity = 1024,
  ) {
    for (const t of TABLES) this.recorders[t] = createUsageRecorder(capacity);
    for (const t of KEY_TYPES) this.watched[t] = null;
    this.follow();
  }

  /**
   * Watches the current policy's tables. The mitigation table is null until a
   * limit mitigation is first used, so the policy is handed its recorder (a
   * reload keeps the table when its size is unchanged: unwatch the old policy first).
   */
  follow(): void {
    const current = this.currentStage().policy;
    const limits = current.tables.limits;
    for (const t of KEY_TYPES) {
      const table = limits?.[t] ?? null;
      if (table === this.watched[t]) continue;
      this.watched[t]?.watch(null);
      table?.watch(this.recorders[t]);
      this.watched[t] = table;
    }
    if (current === this.policy) return;
    this.policy?.tables.watchMitigations(null);
    current.tables.watchMitigations(this.recorders.mitigation);
    this.policy = current;
  }

  /** Debits another process's list (unchecked data) into this process's table, when both exist. */
  debit(name: TableName, list: unknown, now: number): void {
    // No mitigation table here yet (none used in this process): its buckets start full, as the bound counts.
    const table = name === 'mitigation' ? (this.policy?.tables.mitigations() ?? null) : this.watched[name];
    if (table !== null && isUsageList(list)) applyUsage(table, list, now);
  }

  /** This tick's usage of one table (null when none), clearing it. */
  drain(name: TableName): UsageList | null {
    return this.recorders[name].drain();
  }

  /** Takes not recorded since start because the recorders were full. */
  dropped(): number {
    let n = 0;
    for (const t of TABLES) n += this.recorders[t].dropped();
    return n;
  }

  close(): void {
    for (const t of KEY_TYPES) {
      this.watched[t]?.watch(null);
      this.watched[t] = null;
    }
    this.policy?.tables.watchMitigations(null);
    this.policy = null;
  }
}
