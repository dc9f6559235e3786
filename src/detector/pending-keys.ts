// One second's sampled key counts (prefix, fingerprint, path, query shape) on
// their way from the open second (window.ts) into the learned baseline
// (baseline.ts): four count-min sketches of fixed size.
import { CountMin } from '../core/count-min.js';

/** Width of the per-key baseline sketches (window's pending copies and the learned ones). */
export const CM_WIDTH = 2048;
export const CM_DEPTH = 4;

/** One second's key counts (prefix, fingerprint, path, query shape) on their way into the baseline. */
export class PendingKeys {
  readonly prefix = new CountMin(CM_WIDTH, CM_DEPTH);
  readonly fp = new CountMin(CM_WIDTH, CM_DEPTH);
  readonly path = new CountMin(CM_WIDTH, CM_DEPTH);
  readonly shape = new CountMin(CM_WIDTH, CM_DEPTH);

  clear(): void {
    this.prefix.clear();
    this.fp.clear();
    this.path.clear();
    this.shape.clear();
  }
}
