// The campaign's attack sender in its own process (spawned by
// attack-child.ts): gets one plan over IPC, sends it with runPlanAttack, posts
// the sent count once a second and the whole attack record at the end, then
// exits. Apart from the people's process so that their latencies never wait
// behind the attack's own event loop (thousands of requests a second).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CampaignRecorder } from './campaign-recorder.js';
import { runPlanAttack } from './plan-attack.js';
import type { AttackJob, AttackReport } from './attack-child.js';

const send = (m: unknown) => new Promise<void>((r) => (process.send ? process.send(m, () => r()) : r()));

process.once('message', async (job: AttackJob) => {
  const rec = new CampaignRecorder(job.seconds);
  rec.attackStart = job.start;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const tick = setInterval(() => void send({ type: 'tick', sent: rec.attack.sent.reduce((a, b) => a + b, 0) }), 1000);
  tick.unref();
  const startLoop = setTimeout(() => loop.enable(), Math.max(0, job.start - Date.now()));
  try {
    const stats = await runPlanAttack({
      plan: job.plan,
      target: job.target,
      recorder: rec,
      start: job.start,
      until: job.until,
      maxOpenSources: job.maxOpenSources,
    });
    loop.disable();
    const report: AttackReport = {
      type: 'done',
      stats,
      attack: rec.attack,
      followUps: rec.followUps,
      followUpsDropped: rec.followUpsDropped,
      slow: { opened: rec.slowOpened, peak: rec.slowPeak, closedByTarget: rec.slowClosedByTarget },
      loopDelayP99Ms: loop.count > 0 ? Math.round(loop.percentile(99) / 1e6) : null,
    };
    await send(report);
  } catch (e) {
    await send({ type: 'error', message: (e as Error).stack ?? String(e) });
  } finally {
    clearInterval(tick);
    clearTimeout(startLoop);
    process.disconnect?.();
  }
});
void send({ type: 'ready' });
