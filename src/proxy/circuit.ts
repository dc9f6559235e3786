// The circuit breaker towards the origin: closed → open after `failures`
// consecutive failures or a failure share over a sliding window; open serves
// stale copies or the branded page (`origin/circuit-open`) without asking the
// origin; after `openFor` it lets `probes` requests through (half-open): all
// succeed → closed, one fails → open again for twice as long (≤ maxOpenFor).
// O(1) per request; the window is a fixed ring of per-second buckets.

export type CircuitState = 'closed' | 'open' | 'half_open';
/** pass: forward normally; probe: forward as a half-open probe; open: do not forward. */
export type CircuitDecision = 'pass' | 'probe' | 'open';
export type Outcome = 'ok' | 'fail' | 'none';

export interface CircuitOptions {
  failures: number;
  failureRatio: number;
  minRequests: number;
  windowMs: number;
  openFor: number;
  maxOpenFor: number;
  probes: number;
}

export interface CircuitSnapshot {
  state: CircuitState;
  reason: string;
  since: number;
  openUntil: number;
  opened: number;
  consecutiveFailures: number;
}

export class Circuit {
  private readonly o: CircuitOptions;
  state: CircuitState = 'closed';
  reason = '';
  since = 0;
  private openUntil = 0;
  private openFor: number;
  private consecutive = 0;
  private probesOut = 0;
  private probeOks = 0;
  opened = 0;
  private readonly seconds: Float64Array;
  private readonly total: Uint32Array;
  private readonly failed: Uint32Array;

  constructor(o: CircuitOptions) {
    this.o = o;
    this.openFor = o.openFor;
    const n = Math.max(1, Math.ceil(o.windowMs / 1000));
    this.seconds = new Float64Array(n).fill(-1);
    this.total = new Uint32Array(n);
    this.failed = new Uint32Array(n);
  }

  allow(now: number): CircuitDecision {
    if (this.state === 'closed') return 'pass';
    if (this.state === 'open') {
      if (now < this.openUntil) return 'open';
      this.state = 'half_open';
      this.since = now;
      this.probesOut = 0;
      this.probeOks = 0;
    }
    if (this.probesOut + this.probeOks < this.o.probes) {
      this.probesOut++;
      return 'probe';
    }
    return 'open';
  }

  record(now: number, outcome: Outcome, probe: boolean): void {
    if (probe) {
      this.recordProbe(now, outcome);
      return;
    }
    if (outcome === 'none') return;
    if (this.state === 'half_open') {
      if (outcome === 'fail') this.trip(now, 'origin failure while half-open', true);
      return;
    }
    if (this.state === 'closed') this.recordClosed(now, outcome);
  }

  /** A half-open probe came back: one failure re-opens for longer, `probes` successes close. */
  private recordProbe(now: number, outcome: Outcome): void {
    this.probesOut--;
    if (this.state !== 'half_open') return;
    if (outcome === 'fail') {
      const seconds = Math.round(Math.min(this.openFor * 2, this.o.maxOpenFor) / 1000);
      this.trip(now, `half-open probe failed; open for ${seconds}s`, true);
      return;
    }
    if (outcome === 'ok' && ++this.probeOks >= this.o.probes) this.close(now);
  }

  /** An outcome while closed: trips on a run of failures or on the failure ratio over the window. */
  private recordClosed(now: number, outcome: 'ok' | 'fail'): void {
    const i = this.bucket(now);
    this.total[i]++;
    if (outcome === 'ok') {
      this.consecutive = 0;
      return;
    }
    this.failed[i]++;
    if (++this.consecutive >= this.o.failures) {
      this.trip(now, `${this.consecutive} consecutive origin failures`, false);
      return;
    }
    let t = 0;
    let f = 0;
    const oldest = Math.floor(now / 1000) - this.seconds.length;
    for (let j = 0; j < this.seconds.length; j++) {
      if (this.seconds[j] > oldest) {
        t += this.total[j];
        f += this.failed[j];
      }
    }
    if (t >= this.o.minRequests && f / t >= this.o.failureRatio)
      this.trip(now, `${f} of ${t} origin requests failed in ${Math.round(this.o.windowMs / 1000)}s`, false);
  }

  snapshot(): CircuitSnapshot {
    return {
      state: this.state,
      reason: this.reason,
      since: this.since,
      openUntil: this.state === 'open' ? this.openUntil : 0,
      opened: this.opened,
      consecutiveFailures: this.consecutive,
    };
  }

  private bucket(now: number): number {
    const sec = Math.floor(now / 1000);
    const i = sec % this.seconds.length;
    if (this.seconds[i] !== sec) {
      this.seconds[i] = sec;
      this.total[i] = 0;
      this.failed[i] = 0;
    }
    return i;
  }

  private trip(now: number, reason: string, again: boolean): void {
    if (again) this.openFor = Math.min(this.openFor * 2, this.o.maxOpenFor);
    this.state = 'open';
    this.reason = reason;
    this.since = now;
    this.openUntil = now + this.openFor;
    this.opened++;
    this.consecutive = 0;
  }

  private close(now: number): void {
    this.state = 'closed';
    this.reason = 'half-open probes succeeded';
    this.since = now;
    this.openFor = this.o.openFor;
    this.consecutive = 0;
    this.seconds.fill(-1);
  }
}
