// Two Rampart nodes on one real redis-server, each a single process: every
// node's detector also folds in the other node's seconds (src/exchange/node-parts.ts),
// so one source that alternates between the nodes at 10 req/s each (under
// ban_min_rps: 14 on either alone) is scored at its whole 20 req/s, banned,
// and refused by both nodes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../helpers/wait.js';
import { redisSkipReason } from '../helpers/redis-server.js';
import { sendRaw } from '../helpers/raw.js';
import { startTwoShields, type Shield } from '../helpers/redis-nodes.js';

type Node = Shield;
const skip = redisSkipReason();
const RATE = 20;
const DETECTOR = { min_rps: 10, ban_min_rps: 14, end_after: '2s', recover_hold: '2s', ban_duration: '30s' };
const ATTACKER = '127.0.0.78';
let nodes: Awaited<ReturnType<typeof startTwoShields>>;
let a: Node;
let b: Node;

before(async () => {
  if (skip) return;
  nodes = await startTwoShields({
    detector: DETECTOR,
    evidence: { enabled: false },
    limits: { max_connections_per_ip: 1000 },
  });
  ({ a, b } = nodes);
});

after(async () => {
  await nodes?.stop();
});

const get = (node: Node, path: string) =>
  sendRaw(node.port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: curl/8.5.0\r\nConnection: close\r\n\r\n`, {
    localAddress: ATTACKER,
    quietMs: 2000,
  });

if (skip) test('multi-node detector', (t) => t.skip(skip));
else {
  test("multi-node detector: a source split over two nodes under the per-node ban threshold is banned by both detectors' whole view", {
    timeout: 60_000,
  }, async () => {
    let sent = 0;
    const served = { a: 0, b: 0 };
    const pending: Promise<unknown>[] = [];
    const deadline = Date.now() + 25_000;
    while (
      Date.now() < deadline &&
      !(a.state.isBanned(ATTACKER, Date.now()) && b.state.isBanned(ATTACKER, Date.now()))
    ) {
      const node = sent % 2 === 0 ? a : b;
      const key = node === a ? 'a' : 'b';
      pending.push(get(node, `/item/${sent++}`).then((r) => void (r.status === 200 && served[key]++)));
      await new Promise((r) => setTimeout(r, 1000 / RATE));
    }
    await Promise.all(pending);
    const ban = a.state.isBanned(ATTACKER, Date.now());
    assert.ok(ban, `banned (sent ${sent}, served by A ${served.a}, by B ${served.b})`);
    assert.equal(ban.rule, 'ban/auto-flood');
    // Neither node alone saw the threshold: each served about half, at ~10/s.
    assert.ok(
      served.a >= 0.3 * (served.a + served.b) && served.b >= 0.3 * (served.a + served.b),
      `split ${served.a}/${served.b}`,
    );
    // The ban's figures are the whole rate, above what either node saw alone.
    assert.ok(Number(ban.reason.match(/(\d+) requests\/s/)?.[1] ?? 0) >= DETECTOR.ban_min_rps, ban.reason);
    await waitFor(async () => (await get(a, '/x')).status !== 200 && (await get(b, '/y')).status !== 200, {
      what: 'both nodes refuse the banned address',
      timeoutMs: 5000,
    });
  });
}
