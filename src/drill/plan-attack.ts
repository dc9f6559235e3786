// Sends a campaign plan's attack open-loop: a 10 ms scheduler releases
// rate × shape(t) requests per second, round-robin over the sources, tagged
// `x-drill-role: attack`, whatever the answers. Browser-like plans spend part
// of that budget on follow-ups: a redirect followed with the source's cookie
// jar, the site's assets after its first page. Bounded: sources' pools in an
// LRU (source-lru.ts), ≤ maxInFlight requests in flight (beyond: skipped),
// ≤ 10,000 queued follow-ups, one cookie jar per source only in jar mode.
// A refused connection (target not listening yet) is an error, never a throw.
import { loopbackSource } from './addresses.js';
import type { AttackPlan } from './campaign.js';
import { createSource } from './client.js';
import { CookieJar } from './cookie-jar.js';
import { sleepUntil } from './legit.js';
import { MAX_REDIRECTS, redirectNext, sameOriginPath } from './nojs-client.js';
import { plannedHeaders, plannedRequest, shapeAt, SITE_ASSETS, type PlannedRequest } from './plan-requests.js';
import { cameFromOrigin } from './recorder.js';
import type { Scenario } from './scenarios.js';
import { runSlowloris } from './slowloris.js';
import { createSourceLru, type SourceLru } from './source-lru.js';
import type { CampaignRecorder } from './campaign-recorder.js';
import type { Target } from './target.js';

export interface PlanAttackOptions {
  plan: AttackPlan;
  target: Target;
  recorder: CampaignRecorder;
  /** ms since the epoch. */
  start: number;
  until: number;
  maxInFlight?: number;
  /** Sources with an open pool at once (default 3000). */
  maxOpenSources?: number;
  xffOf?: (i: number) => string;
}

export interface PlanAttackStats {
  peakOpenSources: number;
  evictedSources: number;
}

interface FollowUp extends PlannedRequest {
  source: number;
  seq: number;
  referer: string;
  hops: number;
}

const TICK_MS = 10;
const MAX_QUEUE = 10_000;

export async function runPlanAttack(o: PlanAttackOptions): Promise<PlanAttackStats> {
  const { plan } = o;
  if (plan.kind === 'none') return { peakOpenSources: 0, evictedSources: 0 };
  if (plan.kind === 'slowloris') {
    await runSlowloris({
      scenario: slowScenario(plan),
      target: o.target,
      rate: plan.rate,
      sources: plan.sources,
      recorder: o.recorder,
      start: o.start,
      until: o.until,
      xffOf: o.xffOf,
    });
    return { peakOpenSources: o.recorder.slowPeak, evictedSources: 0 };
  }
  return new PlanSender(o).run();
}

/** One request plan's sender: the open-loop schedule, its follow-up queue, and the requests in flight. */
class PlanSender {
  private readonly plan: AttackPlan;
  private readonly target: Target;
  private readonly rec: CampaignRecorder;
  private readonly lru: SourceLru;
  /** Requests in flight at most; beyond it a scheduled request is skipped. */
  private readonly cap: number;
  private readonly jars: Map<number, CookieJar> | null;
  /** Per source: 1 once it loaded the site's assets (assets plans only). */
  private readonly loaded: Uint8Array | null;
  private readonly queue: FollowUp[] = [];
  private queueHead = 0;
  private readonly pending = new Set<Promise<void>>();
  private seq = 0;

  constructor(private readonly o: PlanAttackOptions) {
    const { plan, target } = o;
    this.plan = plan;
    this.target = target;
    this.rec = o.recorder;
    this.lru = createSourceLru(o.maxOpenSources ?? 3000, (i) =>
      createSource(target, loopbackSource('attack', i), { connections: plan.connectionsPerSource, timeoutMs: 5000 }),
    );
    this.cap = o.maxInFlight ?? Math.min(4096, Math.max(256, Math.ceil(plan.rate * 2)));
    this.jars = plan.cookies === 'jar' ? new Map<number, CookieJar>() : null;
    this.loaded = plan.assets === 'assets' ? new Uint8Array(plan.sources) : null;
  }

  async run(): Promise<PlanAttackStats> {
    const { o, plan } = this;
    await sleepUntil(o.start);
    let credit = 0;
    let last = o.start;
    while (Date.now() < o.until) {
      const now = Date.now();
      // A stall (GC, the cores busy with the shield and the origin) may release at
      // most 200 ms of backlog: a botnet does not slow down when this machine does.
      credit = Math.min(
        credit + ((now - last) / 1000) * plan.rate * shapeAt(plan.shape, now - o.start),
        plan.rate * 0.2 + 1,
      );
      last = now;
      while (credit >= 1) {
        credit--;
        if (this.pending.size >= this.cap) this.rec.attack.skipped++;
        else this.fire(this.next());
      }
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    // Let the last answers arrive (bounded by the 5 s deadlines), then close every pool.
    await Promise.race([Promise.all(this.pending), new Promise((r) => setTimeout(r, 6000).unref())]);
    const st = this.lru.stats();
    await this.lru.closeAll();
    return { peakOpenSources: st.peakOpen, evictedSources: st.evicted };
  }

  private enqueue(f: FollowUp): void {
    if (this.queue.length - this.queueHead >= MAX_QUEUE) {
      this.rec.followUpsDropped++;
      return;
    }
    this.queue.push(f);
  }

  /** A follow-up first (redirect or asset), else the plan's next request. */
  private next(): FollowUp {
    if (this.queueHead < this.queue.length) {
      this.rec.followUps++;
      const f = this.queue[this.queueHead++];
      if (this.queueHead > 4096 && this.queueHead * 2 > this.queue.length) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
      return f;
    }
    const s = this.seq++;
    return {
      ...plannedRequest(this.plan.path, this.plan.seed, s),
      source: s % this.plan.sources,
      seq: s,
      referer: '',
      hops: 0,
    };
  }

  private fire(f: FollowUp): void {
    const { plan, target, jars, rec } = this;
    const h = plannedHeaders(plan, f.source, f.seq, f.kind);
    if (f.referer) h.push('referer', `http://${target.host}${f.referer}`);
    if (jars) {
      let jar = jars.get(f.source);
      if (jar === undefined) {
        jar = new CookieJar();
        jars.set(f.source, jar);
      }
      const c = jar.header();
      if (c) h.push('cookie', c);
    }
    h.push('x-drill-role', 'attack');
    if (this.o.xffOf) h.push('x-forwarded-for', this.o.xffOf(f.source));
    const sentAt = Date.now();
    rec.attackSent(sentAt);
    const p = this.lru
      .get(f.source)
      .send({ method: f.method, path: f.path, body: f.body, headers: h })
      .then((r) => {
        rec.attackResult(
          sentAt,
          cameFromOrigin(r.status, r.verdict, r.error),
          r.verdict || (r.error ? `error/${r.error}` : `status/${r.status}`),
          r.error !== '',
        );
        if (r.error === '') this.answered(f, r.status, r.location, r.setCookie);
        this.pending.delete(p);
      });
    this.pending.add(p);
  }

  /** Browser-like plans: keep the cookies, follow a same-origin redirect, load the assets after a first page. */
  private answered(f: FollowUp, status: number, location: string, setCookie: string[]): void {
    const jar = this.jars?.get(f.source);
    if (jar) {
      jar.store(setCookie);
      const next = location !== '' && f.hops < MAX_REDIRECTS ? redirectNext(status, f.method, f.body) : null;
      const to = next ? sameOriginPath(this.target, location, f.path) : null;
      if (next && to !== null) {
        const kind = next.method !== f.method && f.kind === 'form' ? 'page' : f.kind;
        this.enqueue({ ...f, method: next.method, body: next.body, path: to, kind, referer: f.path, hops: f.hops + 1 });
        return;
      }
    }
    const loaded = this.loaded;
    if (loaded && f.kind === 'page' && status >= 200 && status < 300 && loaded[f.source] === 0) {
      loaded[f.source] = 1;
      for (const a of SITE_ASSETS)
        this.enqueue({ method: 'GET', path: a, kind: 'asset', source: f.source, seq: f.seq, referer: f.path, hops: 0 });
    }
  }
}

/** The slowloris sender's view of a plan. */
function slowScenario(plan: AttackPlan): Scenario {
  return {
    name: 'slowloris',
    description: plan.label,
    kind: 'slowloris',
    rate: plan.rate,
    sources: plan.sources,
    connectionsPerSource: plan.connectionsPerSource,
    headers: (i) => plannedHeaders(plan, i, i, 'page'),
    shape: () => 1,
    request: () => ({ method: 'GET', path: '/' }),
  };
}
