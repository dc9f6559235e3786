// HTTP/2 abuse through the real app: one TLS client (its own process, its
// own loopback address) runs rapid reset — HEADERS + RST_STREAM, 100 streams
// a write — or a CONTINUATION flood, reconnecting whenever it is closed,
// while legitimate HTTP/2 clients on other connections keep browsing. The
// guard answers with GOAWAY, the detector names `h2_abuse` and bans the
// address (`ban/auto-h2`), after which its connections are refused at accept.
// No timing assertions: bench/h2 quotes latencies and time to refusal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startEchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';
import { runLegitH2, spawnH2Attacker } from '../helpers/h2-clients.js';
import type { DetectorEvent } from '../../src/detector/events.js';
import type { H2AbuseKind } from '../../src/drill/h2-abuse.js';

const TLS_DIR = join(import.meta.dirname, '../fixtures/tls');
const LEGIT = Array.from({ length: 8 }, (_, i) => `127.30.0.${i + 1}`);

for (const [kind, attacker] of [
  ['rapid-reset', '127.31.0.1'],
  ['continuation', '127.31.0.2'],
] as [H2AbuseKind, string][]) {
  test(`${kind} from one TLS client: GOAWAY, incident names h2_abuse, the address is banned and refused; legit HTTP/2 clients keep being served`, async () => {
    const origin = await startEchoOrigin();
    const app = await startShield(origin.url, {
      tls: { listen: '127.0.0.1:0', cert: join(TLS_DIR, 'cert.pem'), key: join(TLS_DIR, 'key.pem') },
    });
    const events: DetectorEvent[] = [];
    app.detector!.onEvent((e) => events.push(e));
    try {
      const port = app.address('tls')!.port;
      const start = Date.now();
      const legit = runLegitH2(port, LEGIT, start + 5000);
      await new Promise((r) => setTimeout(r, 500));
      const attack = await spawnH2Attacker({
        host: '127.0.0.1',
        port,
        localAddress: attacker,
        kind,
        until: Date.now() + 3500,
      });
      const served = await legit;

      const ban = app.state.isBanned(attacker, Date.now());
      assert.equal(ban?.rule, 'ban/auto-h2', `banned by the h2 rule: ${JSON.stringify(ban)}`);
      for (const ip of LEGIT) assert.equal(app.state.isBanned(ip, Date.now()), null, `${ip} is not banned`);
      const named = events.some(
        (e) =>
          (e.type === 'attack_start' || e.type === 'attack_update') &&
          e.vectors.some((v) => v.vector === 'h2_abuse' && v.figures.glitches > 0),
      );
      assert.ok(named, 'an incident names h2_abuse with its glitches');
      // Rapid reset: our GOAWAY(ENHANCE_YOUR_CALM) at the cap; a CONTINUATION flood: nghttp2 ends the session itself
      // (8 frames), with a GOAWAY the client may or may not read before the socket closes. Either way the client
      // then reconnects — into a new session, or refused at accept when the ban came first (one CI run).
      if (kind === 'rapid-reset') assert.ok(attack.goaways >= 1, `the server sent GOAWAY: ${JSON.stringify(attack)}`);
      else
        assert.ok(
          attack.goaways + attack.sessions + attack.refused >= 2,
          `the server closed the flooding session (GOAWAY, or the client reconnected): ${JSON.stringify(attack)}`,
        );
      console.log(`# ${kind}: ${JSON.stringify(attack)} legit ${served.ok}/${served.sent}`);
      assert.ok(
        attack.refused >= 1 && attack.firstRefusedAt > 0,
        `later connections were refused at accept: ${JSON.stringify(attack)}`,
      );
      const stats = app.control;
      assert.ok(stats, 'control is up');
      assert.ok(served.sent > 100, `legit clients kept sending: ${served.sent}`);
      assert.ok(
        served.ok / served.sent >= 0.99,
        `legit served ${served.ok}/${served.sent}: ${JSON.stringify(served.statuses)}; ${JSON.stringify(events.filter((e) => e.type === 'mitigation'))}`,
      );
    } finally {
      await app.stop();
      await origin.close();
    }
  });
}
