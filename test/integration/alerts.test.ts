// Webhook alerts against a real local receiver: exactly one alert per incident
// phase (start, each upward escalation, end) whatever the detector repeats,
// generic JSON and Slack-compatible text, retries with backoff on 5xx, no
// retry on a 4xx, and the app's control plane forwarding detector events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { alertsSchema } from '../../src/config/schema/alerts.js';
import { camelize } from '../../src/config/camelize.js';
import type { AlertsConfig } from '../../src/config/schema/alerts.js';
import { createAlerts } from '../../src/control/alerts.js';
import { startEchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';
import { waitFor } from '../helpers/wait.js';

/** A webhook body as received: Rampart's own JSON, or Slack's (text only). */
interface HookBody {
  phase: string;
  event: { to?: string };
  source: string;
  summary: string;
  link: string;
  text: string;
}

interface Hit {
  path: string;
  body: HookBody;
  headers: IncomingMessage['headers'];
}

/** A webhook receiver; `plan(n)` gives the status for the n-th request (default 200). */
async function receiver(plan: (n: number) => number = () => 200) {
  const hits: Hit[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push({
        path: req.url ?? '',
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        headers: req.headers,
      });
      res.writeHead(plan(hits.length)).end();
      for (const w of waiters.filter((x) => hits.length >= x.n)) w.resolve();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    hits,
    until: (n: number) => new Promise<void>((resolve) => (hits.length >= n ? resolve() : waiters.push({ n, resolve }))),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const config = (raw: unknown): AlertsConfig => camelize(alertsSchema.parse(raw)) as AlertsConfig;
const quiet = { warn() {}, info() {} };

const sample = { requests: 4100, sources: 3200, refused: 3900 };
const totals = {
  requests: 1_200_000,
  refused: 1_150_000,
  forwarded: 50_000,
  peakRps: 4100,
  peakSources: 3200,
  distinctSources: 9000,
  bans: 3,
  mitigations: 2,
};
const start = {
  type: 'attack_start',
  incidentId: 'inc-7',
  at: 1_700_000_000_000,
  mode: 'elevated',
  enforcement: 'enforce',
  vectors: [{ vector: 'distributed_flood', reason: 'rps 51x baseline' }],
  sample,
  baseline: { rps: 80 },
  signature: {},
};
const update = { type: 'attack_update', incidentId: 'inc-7', at: 1_700_000_001_000 };
const esc = (from: string, to: string) => ({
  type: 'escalation',
  incidentId: 'inc-7',
  at: 1_700_000_002_000,
  from,
  to,
  reason: `score rose (${from} → ${to})`,
  figures: {},
  applied: true,
});
const end = {
  type: 'attack_end',
  incidentId: 'inc-7',
  at: 1_700_000_300_000,
  startedAt: 1_700_000_000_000,
  durationMs: 300_000,
  vectors: ['distributed_flood'],
  totals,
  signature: {},
};

test('exactly one alert per incident phase, in both formats, with the summary verdict', async () => {
  const json = await receiver();
  const slack = await receiver();
  const alerts = createAlerts(
    config({
      webhooks: [
        { url: `${json.url}/hook` },
        { url: `${slack.url}/slack`, format: 'slack', events: ['attack_start', 'attack_end'] },
      ],
    }),
    { log: quiet, link: (id) => `http://127.0.0.1:9090/#incident=${id}` },
  );
  const events = [
    esc('normal', 'elevated'),
    start,
    update,
    start,
    update,
    esc('elevated', 'under_attack'),
    update,
    esc('under_attack', 'recovering'),
    esc('recovering', 'under_attack'),
    esc('elevated', 'under_attack'),
    end,
    end,
    update,
  ];
  for (const e of events) alerts.onEvent(e);
  await json.until(4);
  await slack.until(2);
  await alerts.close();
  assert.deepEqual(
    json.hits.map((h) => [h.body.phase, h.body.event.to ?? '']),
    [
      ['escalation', 'elevated'],
      ['attack_start', ''],
      ['escalation', 'under_attack'],
      ['attack_end', ''],
    ],
  );
  assert.equal(json.hits[1].body.source, 'rampart');
  assert.match(
    json.hits[1].body.summary,
    /Attack started \(incident inc-7\): distributed flood — 4100 req\/s from 3200 sources against a baseline of 80 req\/s; 95% refused; mode elevated\./,
  );
  assert.match(
    json.hits[3].body.summary,
    /Attack ended \(incident inc-7\) after 5m00s: 1\.2M requests, 96% refused, 50k reached the origin; peak 4100 req\/s from 3200 sources \(9000 distinct\); 3 bans, 2 mitigations\./,
  );
  assert.equal(json.hits[1].body.link, 'http://127.0.0.1:9090/#incident=inc-7');
  assert.equal(json.hits[0].headers['content-type'], 'application/json');
  assert.deepEqual(
    slack.hits.map((h) => Object.keys(h.body)),
    [['text'], ['text']],
  );
  assert.match(
    slack.hits[0].body.text,
    /^:rotating_light: Attack started .*<http:\/\/127\.0\.0\.1:9090\/#incident=inc-7\|details>$/,
  );
  assert.match(slack.hits[1].body.text, /Attack ended/);
  const st = alerts.stats();
  assert.equal(st.sent, 6);
  assert.equal(st.suppressed, 4); // the repeated start and end, two repeated escalations to under_attack
  await json.close();
  await slack.close();
});

test('a failing receiver is retried with backoff until it answers; a 4xx is not retried', async () => {
  const flaky = await receiver((n) => (n <= 2 ? 503 : 200));
  const alerts = createAlerts(config({ webhooks: [{ url: flaky.url }], retries: 4, backoff: '100ms' }), { log: quiet });
  alerts.onEvent(start);
  await flaky.until(3);
  await alerts.close();
  assert.equal(flaky.hits.length, 3);
  assert.ok(flaky.hits.every((h) => h.body.phase === 'attack_start'));
  assert.deepEqual(
    { sent: alerts.stats().sent, retried: alerts.stats().retried, failed: alerts.stats().failed },
    { sent: 1, retried: 2, failed: 0 },
  );
  await flaky.close();

  const warned: object[] = [];
  const gone = await receiver(() => 404);
  const a2 = createAlerts(
    config({ webhooks: [{ url: `${gone.url}/services/SECRET-PATH` }], retries: 4, backoff: '100ms' }),
    { log: { warn: (o) => warned.push(o), info() {} } },
  );
  a2.onEvent(end);
  await gone.until(1);
  await waitFor(() => a2.stats().pending === 0, { what: 'no delivery pending', intervalMs: 10 });
  await a2.close();
  assert.equal(gone.hits.length, 1);
  assert.equal(a2.stats().failed, 1);
  assert.match(JSON.stringify(warned[0]), /HTTP 404/);
  assert.doesNotMatch(JSON.stringify(warned[0]), /SECRET-PATH/, 'webhook secrets stay out of the log');
  await gone.close();
});

test('bad alert config is refused with hints', () => {
  const r = alertsSchema.safeParse({ webhooks: [{ url: 'ftp://x', format: 'teams', events: [] }] });
  assert.equal(r.success, false);
  const text = JSON.stringify(r.error?.issues.map((i) => i.message));
  assert.match(text, /http:\/\/ or https:\/\//);
  assert.match(text, /format must be json or slack/);
  assert.match(text, /at least one event/);
  const b = alertsSchema.safeParse({ backoff: '10ms', timeout: '2m' });
  assert.equal(b.success, false);
  assert.match(JSON.stringify(b.error?.issues.map((i) => i.message)), /backoff under 100ms.*timeout must be between/);
});

test('the app forwards detector events to the configured webhooks', async () => {
  const hook = await receiver();
  const origin = await startEchoOrigin();
  const shield = await startShield(origin.url, { alerts: { webhooks: [{ url: hook.url }] } });
  try {
    shield.control.onDetectorEvent(start);
    shield.control.onDetectorEvent(start);
    await hook.until(1);
    assert.equal(hook.hits[0].body.phase, 'attack_start');
    assert.match(hook.hits[0].body.link, new RegExp(`^${shield.control.url()}/#incident=inc-7$`));
  } finally {
    await shield.stop();
    await origin.close();
    await hook.close();
  }
  assert.equal(hook.hits.length, 1);
});
