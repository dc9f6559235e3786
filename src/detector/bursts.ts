// Pulse waves: separate surges inside one incident (calm for two seconds or
// more between them), the pulse_wave vector once they repeat, and how long a
// calm incident stays armed for the next burst. Not the mode machine
// (attack-machine.ts). Runs once a second; burst starts grow by one per burst.
import type { Assessment } from './assess.js';
import type { SecondSample } from './events.js';
import type { Incident } from './incident.js';

/** One second of an open incident: a new burst after a gap; from the second burst on, the pulse_wave vector. */
export function trackBursts(inc: Incident, s: SecondSample, a: Assessment, calmStreak: number): void {
  if (a.anomalous) {
    inc.lastAnomalousAt = s.t;
    if (inc.inGap) {
      inc.inGap = false;
      inc.bursts++;
      inc.burstStarts.push(s.t);
    }
    if (inc.bursts >= 2) addPulse(inc, a);
  } else if (calmStreak >= 2) inc.inGap = true;
}

/**
 * How long an incident stays armed once calm: recover_hold, or 2.5 pulse
 * periods once bursts have repeated (the signature's mitigations then meet
 * the next burst in its first second).
 */
export function holdOf(inc: Incident, recoverHold: number): number {
  const st = inc.burstStarts;
  const period = st.length >= 2 ? (st[st.length - 1] - st[0]) / (st.length - 1) : 0;
  return Math.max(recoverHold, Math.round(2.5 * period));
}

/** The pulse-wave vector, named on the second (`a`) and kept on the incident. */
function addPulse(inc: Incident, a: Assessment): void {
  const starts = inc.burstStarts;
  const period = starts.length >= 2 ? (starts[starts.length - 1] - starts[0]) / (starts.length - 1) / 1000 : 0;
  const v = {
    vector: 'pulse_wave' as const,
    reason: `${inc.bursts} separate surges about ${Math.round(period)}s apart`,
    figures: { bursts: inc.bursts, periodSeconds: Math.round(period) },
  };
  a.vectors.push(v);
  inc.vectors.set('pulse_wave', v);
}
