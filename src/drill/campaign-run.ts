// Runs one campaign plan against a target: people without JavaScript (and a
// few Chromium users) from the start, the attack after the warm-up, and the
// shield choreography of the plan's start mode — up before anything (normal),
// started `shieldStartAfterS` after the attack began (running-at-start), or
// stopped and started again `restartAtS` into the attack (restart). The
// origin's counters are read at every attack second. Returns the scored
// result; everything it started stops by itself at the end.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { sharedPrefixSource } from './addresses.js';
import type { AttackPlan } from './campaign.js';
import { CampaignRecorder } from './campaign-recorder.js';
import { scoreAttack, type AttackResult } from './campaign-score.js';
import { spawnAttack, type AttackChild } from './attack-child.js';
import type { Page } from 'playwright-core';
import { type ChromiumHandle, launchChromium, openChromiumPages, runChromiumUsers } from './chromium-users.js';
import { sleepUntil } from './legit.js';
import { runNoJsUsers } from './nojs-users.js';
import { createOriginStats, type OriginCounts } from './origin-stats.js';
import { runPlanAttack, type PlanAttackStats } from './plan-attack.js';
import type { ShieldControl } from './shield-control.js';
import type { Target } from './target.js';

export interface PlanRunOptions {
  plan: AttackPlan;
  target: Target;
  /** null: the target is up and stays up (normal plans only). */
  shield: ShieldControl | null;
  /** URL of the origin's counters (default <target>/__demo/stats). */
  originStats?: string;
  users: number;
  chromium: number;
  thinkMs: readonly [number, number];
  maxOpenSources?: number;
  /** Send the attack from its own process (default true), so people's latencies never wait behind it. */
  attackProcess?: boolean;
  progress?: (line: string) => void;
}

/** Why a plan cannot run here, or null. */
export function cannotRun(plan: AttackPlan, shield: ShieldControl | null): string | null {
  if (plan.startMode !== 'normal' && shield === null)
    return `start mode ${plan.startMode} needs the drill to start the shield (--shield-config FILE)`;
  return null;
}

export async function runPlan(o: PlanRunOptions): Promise<AttackResult> {
  const { plan, shield } = o;
  const why = cannotRun(plan, shield);
  if (why) throw new Error(why);
  const rec = new CampaignRecorder(plan.durationS);
  const stats = createOriginStats(o.originStats ?? `${o.target.origin}/__demo/stats`);
  const launched = o.chromium > 0 ? await launchChromium() : null;
  const chrome = launched && !('unavailable' in launched) ? launched : null;
  const chromeNote = launched && 'unavailable' in launched ? `no Chromium users: ${launched.unavailable}` : null;
  let child: AttackChild | null = null;
  try {
    const pages = chrome ? await openChromiumPages(chrome.browser, o.chromium) : undefined;
    if (plan.kind !== 'none' && o.attackProcess !== false) child = await spawnAttack();
    if (plan.startMode === 'running-at-start') await shield!.stop();
    else if (shield && !shield.running()) await shield.start();
    const startedAt = Date.now() + 200;
    rec.attackStart = startedAt + (plan.startMode === 'running-at-start' ? 1000 : plan.warmupS * 1000);
    const until = rec.attackStart + plan.durationS * 1000;
    if (plan.startMode === 'running-at-start') rec.markDown(startedAt - 200);
    const work = startPeople(o, rec, chrome, startedAt, until, pages);
    const attack = startAttack(o, rec, child, until);
    const shieldFailed = choreography(plan, shield, rec);
    work.push(attack, shieldFailed);
    const snaps = secondSnapshots(stats, rec.attackStart, plan.durationS);
    const progress = o.progress
      ? ticker(o.progress, rec, until, () => child?.sent() ?? rec.attack.sent.reduce((a, b) => a + b, 0))
      : Promise.resolve();
    const loop = monitorEventLoopDelay({ resolution: 10 });
    void sleepUntil(rec.attackStart).then(() => loop.enable());
    await Promise.all(work);
    loop.disable();
    await progress;
    // A shield that would not start measures nothing about the defence: the attack is an error, not a result.
    const failed = await shieldFailed;
    if (failed !== null) throw new Error(failed);
    const series = await snaps;
    const final = await stats.read();
    const sent = await attack;
    return scoreAttack({
      plan,
      recorder: rec,
      startedAt,
      originReached: reachedPerSecond(series, final),
      chromium: { users: o.chromium, note: chromeNote },
      loopDelayP99Ms: loop.count > 0 ? Math.round(loop.percentile(99) / 1e6) : null,
      attackLoopDelayP99Ms: sent.loopDelayP99Ms,
      sources: { peakOpen: sent.stats.peakOpenSources, evicted: sent.stats.evictedSources },
    });
  } finally {
    child?.kill();
    if (chrome) await chrome.close();
    await stats.close();
  }
}

/** People without JavaScript, Chromium users (when launched) from `startedAt`, and the plan's newsletter readers. */
function startPeople(
  o: PlanRunOptions,
  rec: CampaignRecorder,
  chrome: ChromiumHandle | null,
  startedAt: number,
  until: number,
  pages: readonly Page[] | undefined,
): Promise<unknown>[] {
  const { target, thinkMs } = o;
  const rampMs = Math.max(500, Math.min(2000, rec.attackStart - startedAt));
  const nojs = { target, users: o.users, recorder: rec, until, thinkMs, visit: 'regular' as const, rampMs };
  const work: Promise<unknown>[] = [sleepUntil(startedAt).then(() => runNoJsUsers(nojs))];
  if (chrome) {
    const browsers = { browser: chrome.browser, target, users: o.chromium, recorder: rec, until, thinkMs, pages };
    work.push(sleepUntil(startedAt).then(() => runChromiumUsers(browsers)));
  }
  if (o.plan.newsletter) work.push(readers(o, rec, until));
  return work;
}

/** The plan's attack, from its own process when there is one. */
function startAttack(
  o: PlanRunOptions,
  rec: CampaignRecorder,
  child: AttackChild | null,
  until: number,
): Promise<{ stats: PlanAttackStats; loopDelayP99Ms: number | null }> {
  const job = {
    plan: o.plan,
    target: o.target,
    seconds: o.plan.durationS,
    start: rec.attackStart,
    until,
    maxOpenSources: o.maxOpenSources,
  };
  if (child) return child.run(job, rec);
  return runPlanAttack({ ...job, recorder: rec }).then((stats) => ({ stats, loopDelayP99Ms: null }));
}

/** Newsletter readers arriving from the attack start over `arrivalS`; some share one /24. */
async function readers(o: PlanRunOptions, rec: CampaignRecorder, until: number): Promise<void> {
  const n = o.plan.newsletter!;
  await sleepUntil(rec.attackStart);
  const common = {
    target: o.target,
    recorder: rec,
    until,
    thinkMs: o.thinkMs,
    visit: 'reader' as const,
    rampMs: n.arrivalS * 1000,
  };
  const spread = n.readers - n.sharedSlash24;
  await Promise.all([
    runNoJsUsers({ ...common, users: spread, firstIndex: o.users }),
    runNoJsUsers({
      ...common,
      users: n.sharedSlash24,
      firstIndex: o.users + spread,
      addressOf: (i) => sharedPrefixSource(i - o.users - spread),
    }),
  ]);
}

/** The shield's part: started mid-attack, or restarted mid-attack. Resolves with what went wrong, or null. */
async function choreography(
  plan: AttackPlan,
  shield: ShieldControl | null,
  rec: CampaignRecorder,
): Promise<string | null> {
  if (shield === null || plan.startMode === 'normal') return null;
  try {
    if (plan.startMode === 'running-at-start') {
      await sleepUntil(rec.attackStart + plan.shieldStartAfterS * 1000);
    } else {
      await sleepUntil(rec.attackStart + plan.restartAtS * 1000);
      rec.markDown(Date.now());
      await shield.stop();
    }
    await shield.start();
    rec.markUp(Date.now());
    return null;
  } catch (e) {
    return `shield did not come back up: ${(e as Error).message}`;
  }
}

/** Reads the origin's counters at each attack-second boundary, without waiting for one read to schedule the next. */
async function secondSnapshots(
  stats: ReturnType<typeof createOriginStats>,
  attackStart: number,
  seconds: number,
): Promise<(OriginCounts | null)[]> {
  const reads: Promise<OriginCounts | null>[] = [];
  for (let k = 0; k < seconds; k++) {
    await sleepUntil(attackStart + k * 1000);
    reads.push(stats.read());
  }
  return Promise.all(reads);
}

/**
 * Attack requests the origin counted in each second, from the snapshots at
 * each second's start and the final read. A missing snapshot takes the one
 * before it (its arrivals land in the next second); missing ones at the start
 * (counters read through a shield not up yet) take the first one read.
 */
export function reachedPerSecond(snaps: readonly (OriginCounts | null)[], final: OriginCounts | null): number[] | null {
  const first = snaps.find((s) => s !== null) ?? final;
  if (first === null || first === undefined || final === null) return null;
  const at: number[] = [];
  let prev = first.attack;
  for (const s of snaps) at.push((prev = s?.attack ?? prev));
  at.push(final.attack);
  return snaps.map((_, k) => Math.max(0, at[k + 1] - at[k]));
}

async function ticker(
  progress: (line: string) => void,
  rec: CampaignRecorder,
  until: number,
  attackSent: () => number,
): Promise<void> {
  for (let next = Date.now() + 1000; next < until; next += 1000) {
    await sleepUntil(next);
    const k = Math.floor((next - rec.attackStart) / 1000);
    const t = rec.tallies.nojs[k < 0 ? 'before' : 'during'];
    const served = t.requests > 0 ? ((100 * t.served) / t.requests).toFixed(1) : '—';
    const sent = attackSent();
    progress(
      `${k < 0 ? `warm-up ${-k}s` : `attack ${k}/${rec.seconds}s`}  legit ${t.requests} req, ${served}% served  attack sent ${sent}${rec.isDown(next) ? '  shield down' : ''}`,
    );
  }
}

export interface CampaignEnv {
  target: Target;
  shield: ShieldControl | null;
  originStats?: string;
  /** Stops what prepare() started for this plan. */
  close(): Promise<void>;
}

export interface CampaignRunOptions extends Omit<PlanRunOptions, 'plan' | 'target' | 'shield' | 'originStats'> {
  plans: readonly AttackPlan[];
  /** Whether prepare() gives a shield the drill can start and stop (else only normal plans run). */
  controlsShield: boolean;
  /** A fresh environment (target, shield, origin counters) for one plan. */
  prepare(plan: AttackPlan): Promise<CampaignEnv>;
  /** Called after each plan with its result. */
  onResult?(r: AttackResult): void;
  log?(line: string): void;
}

export interface Skipped {
  id: string;
  label: string;
  reason: string;
}

export async function runCampaign(o: CampaignRunOptions): Promise<{ results: AttackResult[]; skipped: Skipped[] }> {
  const results: AttackResult[] = [];
  const skipped: Skipped[] = [];
  for (const plan of o.plans) {
    if (plan.startMode !== 'normal' && !o.controlsShield) {
      skipped.push({
        id: plan.id,
        label: plan.label,
        reason: `start mode ${plan.startMode} needs --shield-config (the drill starts and restarts the shield)`,
      });
      continue;
    }
    o.log?.(`# ${plan.id}: ${plan.label}; ${plan.startMode}, warm-up ${plan.warmupS} s, attack ${plan.durationS} s`);
    let env: CampaignEnv | null = null;
    try {
      env = await o.prepare(plan);
      const r = await runPlan({ ...o, plan, target: env.target, shield: env.shield, originStats: env.originStats });
      results.push(r);
      o.onResult?.(r);
    } catch (e) {
      skipped.push({ id: plan.id, label: plan.label, reason: `error: ${(e as Error).message.split('\n')[0]}` });
      o.log?.(`# ${plan.id} failed: ${(e as Error).message}`);
    } finally {
      await env?.close().catch((e: unknown) => o.log?.(`# ${plan.id}: cleanup failed: ${(e as Error).message}`));
    }
  }
  return { results, skipped };
}
