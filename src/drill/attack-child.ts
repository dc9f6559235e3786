// Runs a campaign plan's attack in a child process (attack-proc.ts) and
// copies what it recorded into the parent's CampaignRecorder when it ends.
// Spawned before the plan starts (a TypeScript child takes ~1 s to be ready);
// killed if the parent gives up. One child per attack, one IPC message each
// way plus a sent count once a second.
import { fork, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { siblingEntry } from '../core/entry.js';
import type { AttackPlan } from './campaign.js';
import type { CampaignRecorder } from './campaign-recorder.js';
import type { PlanAttackStats } from './plan-attack.js';
import type { AttackSeries } from './recorder.js';
import type { Target } from './target.js';

export interface AttackJob {
  plan: AttackPlan;
  target: Target;
  seconds: number;
  start: number;
  until: number;
  maxOpenSources?: number;
}

export interface AttackReport {
  type: 'done';
  stats: PlanAttackStats;
  attack: AttackSeries;
  followUps: number;
  followUpsDropped: number;
  slow: { opened: number; peak: number; closedByTarget: number };
  loopDelayP99Ms: number | null;
}

export interface AttackChild {
  /** Sends the job; resolves when the attack ended and its record was copied into `rec`. */
  run(job: AttackJob, rec: CampaignRecorder): Promise<{ stats: PlanAttackStats; loopDelayP99Ms: number | null }>;
  /** Attack requests sent so far (updated once a second). */
  sent(): number;
  kill(): void;
}

/** dist/drill/attack-proc.js when compiled; src/…/attack-proc.ts under tsx in tests. */
const PROC = siblingEntry(import.meta.url, 'attack-proc');

export async function spawnAttack(): Promise<AttackChild> {
  const child: ChildProcess = fork(PROC.file, [], {
    execArgv: PROC.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // RAMPART_DRILL_ATTACK_NICE=N runs the attack process at nice N (bench/drills/README.md): on one machine the
  // generator competes with the shield for the cores, which a real attacker's machines do not.
  const nice = Number(process.env.RAMPART_DRILL_ATTACK_NICE ?? 0);
  if (nice > 0 && child.pid !== undefined) {
    try {
      setPriority(child.pid, Math.min(19, Math.round(nice)));
    } catch (e) {
      process.stderr.write(
        `  RAMPART_DRILL_ATTACK_NICE: ${(e as Error).message} (the attack runs at its usual priority)\n`,
      );
    }
  }
  let sent = 0;
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('attack process not ready within 30 s')), 30_000);
    child.once('exit', (c) => {
      clearTimeout(t);
      reject(new Error(`attack process exited with ${c}`));
    });
    child.once('message', () => {
      clearTimeout(t);
      resolve();
    });
  });
  child.removeAllListeners('exit');
  return {
    sent: () => sent,
    kill: () => void (child.exitCode === null && child.kill('SIGKILL')),
    run(job, rec) {
      return new Promise((resolve, reject) => {
        child.on('message', (m: { type: string; sent?: number; message?: string } | AttackReport) => {
          if (m.type === 'tick') sent = (m as { sent: number }).sent;
          else if (m.type === 'error') reject(new Error(`attack process: ${(m as { message: string }).message}`));
          else if (m.type === 'done') {
            const r = m as AttackReport;
            const a = rec.attack;
            for (let k = 0; k < a.sent.length; k++) {
              a.sent[k] = r.attack.sent[k] ?? 0;
              a.reachedByClient[k] = r.attack.reachedByClient[k] ?? 0;
            }
            a.skipped = r.attack.skipped;
            a.errors = r.attack.errors;
            Object.assign(a.byRule, r.attack.byRule);
            rec.followUps = r.followUps;
            rec.followUpsDropped = r.followUpsDropped;
            rec.slowOpened = r.slow.opened;
            rec.slowPeak = r.slow.peak;
            rec.slowClosedByTarget = r.slow.closedByTarget;
            sent = a.sent.reduce((x, y) => x + y, 0);
            resolve({ stats: r.stats, loopDelayP99Ms: r.loopDelayP99Ms });
          }
        });
        child.once('exit', (c) => reject(new Error(`attack process exited with ${c} before it reported`)));
        child.send(job);
      });
    },
  };
}
