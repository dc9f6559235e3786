// The base of every SharedState backend: the synchronous reads, served
// straight from the backend's LocalView (the hot path never waits on a store),
// and change subscriptions. Not a backend by itself: memory.ts, redis.ts and
// worker-state.ts extend it with their writes and their way of sharing them.
// Each read is one call into the view: no allocation beyond what the view returns.
import type { Ban, Enforcement, Mitigation, Mode } from '../core/model.js';
import type { LocalView } from './local-view.js';

export class ViewBackedState {
  readonly view: LocalView;

  constructor(view: LocalView) {
    this.view = view;
  }

  mode(): Mode {
    return this.view.mode();
  }

  enforcement(): Enforcement {
    return this.view.enforcement();
  }

  isBanned(ip: string, now: number): Ban | null {
    return this.view.isBanned(ip, now);
  }

  bans(): readonly Ban[] {
    return this.view.bans();
  }

  mitigations(): readonly Mitigation[] {
    return this.view.mitigations();
  }

  keys(): readonly Buffer[] {
    return this.view.keys();
  }

  version(): number {
    return this.view.version();
  }

  modeOverride(): Mode | null {
    return this.view.overriddenMode();
  }

  globalCounts(second: number): Record<string, number> | null {
    return this.view.counters.get(second);
  }

  onChange(fn: () => void): () => void {
    return this.view.onChange(fn);
  }
}

/**
 * A state that talks to no other node (the memory backend of one process, or
 * a cluster worker whose primary runs the node's exchanges): no node messages,
 * and nothing shared to seed learned state from (one process keeps it in
 * data_dir; a worker's primary keeps it).
 */
export class NodeLocalState extends ViewBackedState {
  sendToNodes(): void {}
  onNodeMessage(): () => void {
    return () => {};
  }
  putLearned(): void {}
  async getLearned(): Promise<null> {
    return null;
  }
}
