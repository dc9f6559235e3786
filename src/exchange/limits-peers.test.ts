// Limit peers between two in-process workers (their Peers linked directly,
// as the primary relays them): a tick sends the heavy usage, the other side
// debits it; nothing is sent when idle; a reload that builds new tables is
// followed; limits turned off send and apply nothing; close() stops both; a
// limit mitigation's per-client buckets are shared too, once they appear.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { camelize } from '../config/camelize.js';
import { policySchema } from '../config/schema/policy.js';
import { RequestContext, type Mitigation, type Req, type Res, type Verdict } from '../core/model.js';
import { compilePolicy } from '../policy/decide.js';
import type { PolicyView } from '../policy/decide.js';
import { createPolicyStage, EMPTY_VIEW, type PolicyStage } from '../policy/stage.js';
import { createLogger } from '../app/logger.js';
import { createLimitPeers } from './limits-peers.js';
import { TOPICS } from './messages.js';
import type { Peers } from './peers.js';

const NOW = 1_000_000;

function stage(policy: object, previous: PolicyStage | null = null, view: PolicyView = EMPTY_VIEW): PolicyStage {
  const config = camelize(policySchema.parse(policy));
  return createPolicyStage(compilePolicy(config, { previous: previous?.policy ?? null }), view, () => NOW);
}

/** Two Peers whose send() delivers to the other's listeners; `sent` counts messages. */
function linkedPeers(): [Peers & { sent: number }, Peers & { sent: number }] {
  const make = (index: number) => {
    const subs = new Map<string, ((data: unknown, from: number) => void)[]>();
    const p = {
      index,
      count: 2,
      recorder: index === 1,
      sent: 0,
      other: null as unknown as { deliver(topic: string, data: unknown, from: number): void },
      send(topic: string, data: unknown) {
        p.sent++;
        p.other.deliver(topic, structuredClone(data), index);
      },
      on(topic: string, fn: (data: unknown, from: number) => void) {
        subs.set(topic, [...(subs.get(topic) ?? []), fn]);
        return () =>
          subs.set(
            topic,
            (subs.get(topic) ?? []).filter((f) => f !== fn),
          );
      },
      deliver(topic: string, data: unknown, from: number) {
        for (const fn of subs.get(topic) ?? []) fn(data, from);
      },
    };
    return p;
  };
  const a = make(1);
  const b = make(2);
  a.other = b;
  b.other = a;
  return [a, b];
}

function request(ip: number): RequestContext {
  const ctx = new RequestContext({ method: 'GET', url: '/news', headers: {} } as unknown as Req, {} as Res);
  ctx.method = 'GET';
  ctx.path = '/news';
  ctx.clientIp = `127.0.0.${ip & 255}`;
  ctx.clientKey = ip;
  ctx.prefixKey = ip & 0xffffff00;
  return ctx;
}

/** The rule of the stage's verdict for ctx, or null when it lets the request on (policy's run is synchronous). */
const ruleOf = (s: PolicyStage, ctx: RequestContext): string | null => (s.run(ctx) as Verdict | null)?.rule ?? null;

const LIMITS = { rate_limits: { default: { address: { rate: 1, burst: 10 }, prefix: 'off' } } };

test('limit peers: a tick sends usage to the other worker, which debits it; idle ticks send nothing', () => {
  const [pa, pb] = linkedPeers();
  const log = createLogger('silent');
  let sa = stage(LIMITS);
  const sb = stage(LIMITS);
  const a = createLimitPeers({ peers: pa, now: () => NOW, log, policy: () => sa });
  const b = createLimitPeers({ peers: pb, now: () => NOW, log, policy: () => sb });
  a.tick(NOW);
  assert.equal(pa.sent, 0, 'nothing used, nothing sent');
  const ctx = request(0x7f000007);
  for (let i = 0; i < 10; i++) assert.equal(sa.run(ctx), null, `request ${i} allowed on worker 1`);
  a.tick(NOW);
  assert.equal(pa.sent, 1);
  assert.equal(ruleOf(sb, ctx), 'limit/address', 'worker 2 refuses: the client used its burst on worker 1');
  assert.equal(sb.run(request(0x7f000008)), null, 'another client is untouched');
  let back: unknown = null;
  pa.on(TOPICS.limits, (d) => (back = d));
  b.tick(NOW);
  // A burst under 16 is reported take by take: worker 2's one allowed request goes back, not the refused one nor the debit.
  assert.deepEqual([...(back as { address: { keys: Int32Array } }).address.keys], [0x7f000008]);

  // A reload with another table size builds new tables: they are followed at the next tick.
  sa = stage({ rate_limits: { ...LIMITS.rate_limits, tracked: 4096 } }, sa);
  assert.equal(sa.run(ctx), null, 'fresh table, full bucket');
  for (let i = 0; i < 9; i++) sa.run(ctx);
  a.tick(NOW); // follows the new tables (the takes before it went unrecorded): nothing to send
  for (let i = 0; i < 3; i++) sa.run(request(0x7f000009));
  for (let i = 0; i < 8; i++) sa.run(request(0x7f000009)); // 11 takes: past half from the 6th, refused at the 11th
  a.tick(NOW);
  assert.equal(pa.sent, 2);
  assert.equal(ruleOf(sb, request(0x7f000009)), 'limit/address', 'usage from the reloaded tables reached worker 2');

  a.close();
  b.close();
  for (let i = 0; i < 20; i++) sa.run(request(0x7f00000a));
  a.tick(NOW);
  assert.equal(pa.sent, 2, 'closed: nothing recorded or sent');
});

test('limit peers: limits off send and apply nothing; malformed messages are ignored', () => {
  const [pa, pb] = linkedPeers();
  const log = createLogger('silent');
  const sa = stage({ rate_limits: { enabled: false } });
  const sb = stage(LIMITS);
  const a = createLimitPeers({ peers: pa, now: () => NOW, log, policy: () => sa });
  const b = createLimitPeers({ peers: pb, now: () => NOW, log, policy: () => sb });
  for (let i = 0; i < 50; i++) assert.equal(sa.run(request(0x7f000007)), null);
  a.tick(NOW);
  assert.equal(pa.sent, 0);
  // Another process's data arrives unchecked: plain arrays instead of typed ones, and nonsense.
  pa.send(TOPICS.limits, { address: { keys: [0x7f000007], cost: [100], rate: [1], burst: [10] } } as never);
  pa.send(TOPICS.limits, 'nonsense' as never);
  assert.equal(sb.run(request(0x7f000007)), null, 'malformed usage charged nothing');
  a.close();
  b.close();
});

/** The detector's limit mitigation on /news: 5 requests/s per client, burst 5 (reported take by take: under 16). */
const SURGE: Mitigation = {
  id: 'surge-news',
  action: 'limit',
  rule: 'mitigate/limit-route',
  match: { prefixKeys: [], fingerprints: [], routeClasses: [], paths: ['/news'], unverifiedOnly: false },
  rate: 5,
  createdAt: NOW - 1000,
  until: NOW + 60_000,
  reason: 'test',
  figures: {},
};
const WITH_SURGE: PolicyView = { ...EMPTY_VIEW, mitigations: () => [SURGE], version: () => 1 };

test("limit peers: a limit mitigation used on one worker is debited in the other worker's mitigation buckets", () => {
  const [pa, pb] = linkedPeers();
  const log = createLogger('silent');
  // Rate limits off: the mitigation's buckets are shared on their own.
  const OFF = { rate_limits: { enabled: false } };
  let sa = stage(OFF, null, WITH_SURGE);
  const sb = stage(OFF, null, WITH_SURGE);
  const a = createLimitPeers({ peers: pa, now: () => NOW, log, policy: () => sa });
  const b = createLimitPeers({ peers: pb, now: () => NOW, log, policy: () => sb });
  assert.equal(sa.policy.tables.mitigations(), null, 'no limit mitigation used yet: no table');
  assert.equal(sb.run(request(0x7f000002)), null, 'worker 2 uses the mitigation for another client: its table exists');
  b.tick(NOW);
  pb.sent = 0;
  const ctx = request(0x7f000007);
  // Worker 1's table is created by the first of these, already watched: every take is recorded.
  for (let i = 0; i < 5; i++) assert.equal(sa.run(ctx), null, `request ${i + 1} allowed on worker 1`);
  assert.equal(ruleOf(sa, ctx), 'mitigate/limit-route', 'burst of 5 used on worker 1');
  a.tick(NOW);
  assert.equal(pa.sent, 1);
  assert.equal(ruleOf(sb, ctx), 'mitigate/limit-route', 'worker 2 refuses: the client used its burst on worker 1');
  assert.equal(sb.run(request(0x7f000009)), null, 'another client is untouched on worker 2');

  // A reload of the same size keeps the table, and it stays watched.
  sa = stage(OFF, sa, WITH_SURGE);
  a.tick(NOW);
  const c1 = request(0x7f000003);
  for (let i = 0; i < 5; i++) assert.equal(sa.run(c1), null);
  a.tick(NOW);
  assert.equal(pa.sent, 2);
  assert.equal(ruleOf(sb, c1), 'mitigate/limit-route', 'usage after a same-size reload reached worker 2');

  // A reload that resizes the tables: the new table, created at first use, is watched from its first take.
  sa = stage({ rate_limits: { enabled: false, tracked: 4096 } }, sa, WITH_SURGE);
  assert.equal(sa.policy.tables.mitigations(), null, 'new size: the old table is not kept');
  a.tick(NOW);
  const c2 = request(0x7f00000a);
  for (let i = 0; i < 5; i++) assert.equal(sa.run(c2), null);
  a.tick(NOW);
  assert.equal(pa.sent, 3);
  assert.equal(ruleOf(sb, c2), 'mitigate/limit-route', 'usage from the reloaded mitigation table reached worker 2');

  // And back: worker 2's usage is debited into worker 1's reloaded table.
  const c3 = request(0x7f00000b);
  for (let i = 0; i < 5; i++) assert.equal(sb.run(c3), null);
  b.tick(NOW);
  assert.equal(ruleOf(sa, c3), 'mitigate/limit-route', 'worker 1 refuses a client that used its burst on worker 2');

  a.close();
  b.close();
  for (let i = 0; i < 5; i++) sa.run(request(0x7f00000c));
  a.tick(NOW);
  assert.equal(pa.sent, 3, 'closed: the mitigation table is no longer recorded');
});
