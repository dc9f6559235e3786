// Request-body guard: caps body bytes (413) and enforces a minimum upload
// rate after a grace period (slow POST, "R.U.D.Y."). A Transform between the
// client and the origin, created only for requests that carry a body.
// The sweep names each cut client (its address after trusted-proxy handling)
// so the detector counts slow POSTs as it counts slowloris connections.
// Memory: one small object per in-flight upload; the sweep is O(uploads)/s.
import { Transform, type TransformCallback } from 'node:stream';

export class BodyTooLarge extends Error {
  readonly code = 'E_BODY_TOO_LARGE';
}
export class BodyTooSlow extends Error {
  readonly code = 'E_BODY_TOO_SLOW';
}

export interface BodyLimits {
  maxBytes: number;
  /** Bytes per second a body must average once `graceMs` has passed. */
  minRate: number;
  graceMs: number;
}

export class GuardedBody extends Transform {
  bytes = 0;
  readonly startedAt: number;
  /** The client's address ('' when unknown), reported when the sweep cuts this upload. */
  readonly ip: string;
  private readonly limits: BodyLimits;
  private readonly watch: BodyWatch;

  constructor(limits: BodyLimits, watch: BodyWatch, now: number, ip = '') {
    super();
    this.ip = ip;
    this.limits = limits;
    this.watch = watch;
    this.startedAt = now;
    watch.active.add(this);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limits.maxBytes) {
      cb(new BodyTooLarge(`request body over ${this.limits.maxBytes} bytes`));
      return;
    }
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.watch.active.delete(this);
    cb();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.watch.active.delete(this);
    cb(err);
  }

  /** True when the upload has fallen under the minimum rate. */
  tooSlow(now: number): boolean {
    const elapsed = now - this.startedAt;
    return elapsed > this.limits.graceMs && this.bytes < (this.limits.minRate * elapsed) / 1000;
  }
}

/** The set of uploads in flight, swept once a second. */
export class BodyWatch {
  readonly active = new Set<GuardedBody>();

  /** Fails uploads that are too slow, telling `onSlow` each one's client address; returns how many were cut. */
  sweep(now: number, onSlow?: (ip: string) => void): number {
    let cut = 0;
    for (const body of this.active) {
      if (body.tooSlow(now)) {
        this.active.delete(body);
        body.destroy(new BodyTooSlow('request body arrives under the minimum rate'));
        cut++;
        if (onSlow && body.ip) onSlow(body.ip);
      }
    }
    return cut;
  }
}
