// The surge guard: a zero-second answer to a crowd of new clients, before the
// detector has closed its first second. It counts first requests (clients
// this process has never seen) per 250 ms slot; when a slot holds at least
// `floor` of them and 8× the usual number, every request without the seen
// cookie from a client first seen since then is sent through the cookie
// check (a redirect a browser follows unnoticed) for the next 10 s, renewed
// while the surge lasts. A flood tool that drops cookies never gets past it,
// so a flood's first second no longer reaches the origin; people already
// known, and anyone returning the cookie, are not touched. The usual number
// is learned all the time (half-life ≈ 17 s): a site whose newcomers are many
// is not held in a surge, and a long crowd stops being one for the guard
// after half a minute or so, by when the detector's own cookie check has
// taken over. Not the detector: no baseline of volume, no mitigation in
// shared state, per process. Memory: a few numbers.
// Per request: two compares and an increment.

const SLOT_MS = 250;
const HOLD_MS = 10_000;
/** A surge is this many times the usual first requests per slot (and at least `floor`). */
const FACTOR = 8;
/** Learning rate of the usual count per slot (half-life ≈ 17 s of slots). */
const ALPHA = 0.01;

export class SurgeGuard {
  private slot = -1;
  private count = 0;
  private usual = 0;
  /** When the current surge began (ms), 0 when none is on. */
  since = 0;
  private until = 0;
  trips = 0;
  private readonly floor: number;
  private readonly onTrip: ((count: number, usual: number) => void) | null;

  /** `perSecond`: first requests per second (per process) below which nothing is a surge. */
  constructor(perSecond: number, onTrip: ((count: number, usual: number) => void) | null = null) {
    this.floor = Math.max(1, Math.ceil((perSecond * SLOT_MS) / 1000));
    this.onTrip = onTrip;
  }

  /** A first request at `now` (ms). */
  fresh(now: number): void {
    const slot = Math.floor(now / SLOT_MS);
    if (slot !== this.slot) this.roll(slot);
    if (++this.count >= this.floor && this.count >= FACTOR * this.usual) {
      if (this.until < now) {
        this.since = now - SLOT_MS;
        this.trips++;
        this.onTrip?.(this.count, this.usual);
      }
      this.until = now + HOLD_MS;
    }
  }

  private roll(slot: number): void {
    // Slots with no first request at all count as zeros (up to 40 of them: 10 s).
    const gap = this.slot < 0 ? 0 : Math.min(40, slot - this.slot - 1);
    this.usual += ALPHA * (this.count - this.usual);
    for (let i = 0; i < gap; i++) this.usual -= ALPHA * this.usual;
    this.slot = slot;
    this.count = 0;
  }

  /** True while a surge is on: new clients without the seen cookie get the cookie check. */
  active(now: number): boolean {
    if (this.until === 0) return false;
    if (now <= this.until) return true;
    this.until = 0;
    this.since = 0;
    return false;
  }
}
