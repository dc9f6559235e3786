// Incidents a restart left open in the store: each is resumed when the
// detector goes on with it under its id (the same signature), and closed at
// its last recorded second when another attack begins, when the detector's
// hold ends without it, or when nothing comes back within resume_window.
// Not the recorder's open incident (incidents-recorder.ts). Bounded by the
// open rows of one store (a handful); touched once per event and per tick.
import { hostname } from 'node:os';
import type { DetectorEvent } from '../detector/events.js';
import { classifyRecord } from './incidents-classify.js';
import type { IncidentStore } from './incidents-store.js';
import type { IncidentRecord } from './incidents-types.js';

export interface ProcessId {
  pid: number;
  host: string;
}

export class SuspendedIncidents {
  /** This process, as a record's owner names it. */
  readonly me: ProcessId = { pid: process.pid, host: hostname() };
  private held: IncidentRecord[];

  constructor(
    private readonly store: IncidentStore,
    private readonly onError: (err: unknown) => void,
    /** A record this closed (or changed): the recorder writes it with the next flush. */
    private readonly onChanged: (r: IncidentRecord) => void,
  ) {
    this.held = store.open().filter((r) => !heldByAnother(r, this.me));
  }

  /**
   * At attack_start: the record to go on with, if this store holds it (left open by a restart,
   * or closed when this node left the attack and came back); every other one left open is over.
   */
  resume(e: Extract<DetectorEvent, { type: 'attack_start' }>): IncidentRecord | null {
    // The detector decides whether an attack after a restart is the one left open (same signature: same
    // id) or another: a record is resumed only under its own id, and the others left open are over.
    const same = this.held.find((r) => r.id === e.incidentId) ?? this.reopen(e.incidentId);
    for (const r of this.held)
      if (r !== same)
        this.close(
          r,
          `closed at its last recorded second: after a restart of the shield a different attack began (${e.vectors.map((v) => v.vector).join(', ') || 'another signature'}), recorded as ${e.incidentId}`,
        );
    this.held = this.held.filter((r) => r.status === 'open' && r !== same);
    return same;
  }

  /** An attack held open across a restart that did not come back: its record ends at its last second. */
  endHeld(incidentId: string): void {
    const held = this.held.find((x) => x.id === incidentId);
    if (!held) return;
    this.close(
      held,
      `closed at its last recorded second: the shield restarted and the attack did not come back within its hold`,
    );
    this.held = this.held.filter((x) => x !== held);
  }

  /** Once a tick: records not seen again within the resume window are over. */
  expire(now: number, resumeWindowMs: number): void {
    for (const s of this.held)
      if (now - s.lastSeenAt > resumeWindowMs)
        this.close(
          s,
          `closed at its last recorded second: the shield restarted and the attack was not seen again within ${Math.round(resumeWindowMs / 1000)}s`,
        );
    this.held = this.held.filter((s) => s.status === 'open');
  }

  /** A closed incident of this store that the shared slot names again: the attack came back to this node within the slot's ttl. */
  private reopen(id: string): IncidentRecord | null {
    let r: IncidentRecord | null = null;
    try {
      r = this.store.get(id);
    } catch (err) {
      this.onError(err);
    }
    if (r === null || r.status !== 'closed' || heldByAnother(r, this.me)) return null;
    r.status = 'open';
    r.endedAt = null;
    return r;
  }

  /** A record left open by a restart is over: it ends at its last recorded second. */
  private close(r: IncidentRecord, why: string): void {
    r.status = 'closed';
    r.endedAt = r.lastSeenAt + 1000;
    r.notes.push(why);
    r.classification = classifyRecord(r);
    this.onChanged(r);
  }
}

/** An open incident another live process on this host is recording (a cluster worker, a second shield on the same data_dir). */
function heldByAnother(r: IncidentRecord, me: ProcessId): boolean {
  const o = r.owner;
  if (!o || o.pid === me.pid) return false;
  if (o.host !== me.host) return true; // cannot check another machine: leave it alone
  try {
    process.kill(o.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
