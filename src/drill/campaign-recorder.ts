// What one campaign attack observed: the attack's per-second series (the
// base Recorder, so the slowloris sender works unchanged), legit outcomes for
// people without JavaScript and for Chromium apart, in three windows — before
// the attack, during it, and while the shield was down (not listening yet, or
// restarting) — with latencies, and which people were checked, challenged or
// limited. Bounded: one slot per attack second, one set entry per person.
import { build, type Histogram } from 'hdr-histogram-js';
import { Recorder } from './recorder.js';
import type { NavOutcome } from './nojs-client.js';

export type ClientKind = 'nojs' | 'chromium';
export type LegitWindow = 'before' | 'during' | 'down';

export interface Tally {
  requests: number;
  served: number;
  challenged: number;
  limited: number;
  failed: number;
  /** Served or not, went through a followed shield redirect (`challenge/…`: a no-JS check). */
  checked: number;
  /** Served after passing the proof-of-work interstitial (Chromium users). */
  solved: number;
  /** Answers other than served, by verdict rule (or status, or error). */
  byRule: Record<string, number>;
}

export interface People {
  seen: Set<number>;
  checked: Set<number>;
  challenged: Set<number>;
  limited: Set<number>;
}

const tally = (): Tally => ({
  requests: 0,
  served: 0,
  challenged: 0,
  limited: 0,
  failed: 0,
  checked: 0,
  solved: 0,
  byRule: {},
});
const hist = (): Histogram =>
  build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000, numberOfSignificantValueDigits: 3 });
const people = (): People => ({ seen: new Set(), checked: new Set(), challenged: new Set(), limited: new Set() });
const windows = (): Record<LegitWindow, Tally> => ({ before: tally(), during: tally(), down: tally() });

/** One slow served legit request: who, sent when (seconds since the attack started), how long, through a check. */
export interface SlowRequest {
  kind: ClientKind;
  atS: number;
  ms: number;
  checked: boolean;
}
export const SLOWEST = 5;

export class CampaignRecorder extends Recorder {
  readonly tallies: Record<ClientKind, Record<LegitWindow, Tally>> = { nojs: windows(), chromium: windows() };
  /** Served legit latencies during the attack, ms. */
  readonly duringMs: Record<ClientKind, Histogram> = { nojs: hist(), chromium: hist() };
  readonly people: Record<ClientKind, People> = { nojs: people(), chromium: people() };
  /** Shield down intervals [from, to) in ms since the epoch; `to` is Infinity while still down. */
  readonly downs: [number, number][] = [];
  /** The slowest served legit requests during the attack (at most SLOWEST), slowest first: where p99 comes from. */
  readonly slowest: SlowRequest[] = [];
  /** Attack request follow-ups (redirects, assets) and those dropped by the queue bound. */
  followUps = 0;
  followUpsDropped = 0;

  markDown(at: number): void {
    const last = this.downs[this.downs.length - 1];
    if (last === undefined || last[1] !== Infinity) this.downs.push([at, Infinity]);
  }

  markUp(at: number): void {
    const last = this.downs[this.downs.length - 1];
    if (last !== undefined && last[1] === Infinity) last[1] = at;
  }

  isDown(at: number): boolean {
    for (const [a, b] of this.downs) if (at >= a && at < b) return true;
    return false;
  }

  windowOf(at: number): LegitWindow {
    return this.isDown(at) ? 'down' : at < this.attackStart ? 'before' : 'during';
  }

  /**
   * One legit navigation by person `user` of `kind`, sent at `sentAt`.
   * `checked`: it followed a shield check redirect; `solved`: it was served
   * after passing the proof of work (a challenge all the same, for the person).
   */
  nav(
    kind: ClientKind,
    user: number,
    sentAt: number,
    outcome: NavOutcome,
    ms: number,
    rule: string,
    checked: boolean,
    solved = false,
  ): void {
    const w = this.windowOf(sentAt);
    const t = this.tallies[kind][w];
    t.requests++;
    t[outcome]++;
    if (checked) t.checked++;
    if (solved) t.solved++;
    if (outcome !== 'served') t.byRule[rule] = (t.byRule[rule] ?? 0) + 1;
    if (outcome === 'served' && w === 'during') {
      this.duringMs[kind].recordValue(Math.max(1, Math.min(120_000, Math.round(ms))));
      this.noteSlow(kind, sentAt, ms, checked);
    }
    const p = this.people[kind];
    p.seen.add(user);
    if (w === 'down') return; // a refused connection while the shield is down is nobody's verdict
    if (checked) p.checked.add(user);
    if (outcome === 'challenged' || solved) p.challenged.add(user);
    if (outcome === 'limited') p.limited.add(user);
  }

  private noteSlow(kind: ClientKind, sentAt: number, ms: number, checked: boolean): void {
    const list = this.slowest;
    if (list.length === SLOWEST && ms <= list[SLOWEST - 1].ms) return;
    const at = Math.round((sentAt - this.attackStart) / 100) / 10;
    list.push({ kind, atS: at, ms: Math.round(ms), checked });
    list.sort((a, b) => b.ms - a.ms);
    if (list.length > SLOWEST) list.pop();
  }
}
