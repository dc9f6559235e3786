// What a drill observed, as it happens: legit outcomes and latencies (HDR
// histograms, before and during the attack), and the attack's per-second
// series (sent, reached the origin by client-side reading, refusals by rule).
// Bounded: series have one slot per second of the drill, rule maps one key
// per verdict rule name (a handful), histograms a fixed ~30 KB each.
import { build, type Histogram } from 'hdr-histogram-js';

export type Phase = 'before' | 'during';

/** How a legit request ended, from the user's side. */
export type LegitOutcome = 'served' | 'refused' | 'failed';

export interface LegitTally {
  requests: number;
  served: number;
  /** Refused by the shield: a verdict other than allow/cache, or a challenge the user could not pass. */
  refused: number;
  /** Origin errors, timeouts, resets: not the shield's decision. */
  failed: number;
  /** Requests answered with the interstitial (then solved, or not). */
  challenged: number;
  /** Refusals by verdict rule (or status when the target sends none). */
  byRule: Record<string, number>;
}

export interface AttackSeries {
  /** Requests (or connections, for slowloris) sent in each second since attack start. */
  sent: number[];
  /** Of those, how many got an answer that came from the origin (client-side reading). */
  reachedByClient: number[];
  /** Requests the origin counted in each second (from its stats), when known. */
  reachedByOrigin: number[];
  /** Scheduled but not sent because the drill's own in-flight cap was reached. */
  skipped: number;
  errors: number;
  byRule: Record<string, number>;
}

const newTally = (): LegitTally => ({ requests: 0, served: 0, refused: 0, failed: 0, challenged: 0, byRule: {} });
const hist = (): Histogram =>
  build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000, numberOfSignificantValueDigits: 3 });

export class Recorder {
  readonly legit: Record<Phase, LegitTally> = { before: newTally(), during: newTally() };
  readonly latency: Record<Phase, Histogram> = { before: hist(), during: hist() };
  readonly attack: AttackSeries;
  /** Sessions completed by legit users, and sessions that hit a refusal. */
  sessions = { completed: 0, broken: 0 };
  attackStart = 0;
  /** Slowloris: connections opened, most open at once, and how many the target closed. */
  slowOpened = 0;
  slowPeak = 0;
  slowClosedByTarget = 0;

  constructor(readonly seconds: number) {
    const zeros = () => new Array<number>(seconds).fill(0);
    this.attack = {
      sent: zeros(),
      reachedByClient: zeros(),
      reachedByOrigin: zeros(),
      skipped: 0,
      errors: 0,
      byRule: {},
    };
  }

  /** Seconds since attack start (negative during warm-up), clamped to the series. */
  second(now: number): number {
    return Math.min(this.seconds - 1, Math.floor((now - this.attackStart) / 1000));
  }

  phase(now: number): Phase {
    return now < this.attackStart ? 'before' : 'during';
  }

  legitResult(now: number, outcome: LegitOutcome, ms: number, rule: string, challenged: boolean): void {
    const p = this.phase(now);
    const t = this.legit[p];
    t.requests++;
    t[outcome]++;
    if (challenged) t.challenged++;
    if (outcome !== 'served') t.byRule[rule] = (t.byRule[rule] ?? 0) + 1;
    if (outcome === 'served') this.latency[p].recordValue(Math.max(1, Math.round(ms)));
  }

  attackSent(now: number): void {
    const s = this.second(now);
    if (s >= 0) this.attack.sent[s]++;
  }

  /** `reached`: the answer came from the origin; `rule` names a refusal. */
  attackResult(sentAt: number, reached: boolean, rule: string, error: boolean): void {
    const s = this.second(sentAt);
    if (s < 0) return;
    if (reached) this.attack.reachedByClient[s]++;
    else this.attack.byRule[rule] = (this.attack.byRule[rule] ?? 0) + 1;
    if (error) this.attack.errors++;
  }
}

/**
 * True when a response to an attack request came from the origin rather than
 * the proxy. Rampart names its decision in `rampart-verdict`; a forwarded
 * answer carries an allow rule, a refusal or its own answer (challenge page,
 * cache hit) another. Other proxies send no verdict: their refusals are
 * 429/503/403. A client-side reading only: the origin's counters are the truth.
 */
export function cameFromOrigin(status: number, verdict: string, error: string): boolean {
  if (error !== '') return false;
  if (verdict === 'default/allow') return true;
  if (verdict !== '') return status < 400 && !/^(challenge|cache)\//.test(verdict);
  return status !== 429 && status !== 503 && status !== 403 && status !== 0;
}
