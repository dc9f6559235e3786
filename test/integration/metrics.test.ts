// /metrics through a real Rampart: the exposition parses line by line under a
// strict grammar (HELP/TYPE before samples, valid names and labels, numeric
// values, histogram buckets cumulative with +Inf = count), and requests sent
// through the proxy are counted by verdict and route class. Also: loopback
// scrapes need no token, and nothing is exported per request (scrape-time only).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startEchoOrigin, type EchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';
import { adminRequest } from '../../src/control/admin-client.js';

const TOKEN = 'metrics-test-token-0123456789';
let origin: EchoOrigin;
let shield: Awaited<ReturnType<typeof startShield>>;

before(async () => {
  origin = await startEchoOrigin();
  shield = await startShield(origin.url, { admin: { listen: '127.0.0.1:0', token: TOKEN } });
});
after(async () => {
  await shield?.stop();
  await origin?.close();
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Parsed {
  types: Map<string, string>;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** A strict parser of the Prometheus text format 0.0.4; throws on the first bad line. */
function parseExposition(text: string): Parsed {
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const where = `line ${i + 1}: ${line}`;
    let m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (m) {
      assert.match(m[2], NAME, where);
      if (m[1] === 'TYPE') {
        assert.ok(['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3]), where);
        assert.ok(!types.has(m[2]), `TYPE twice: ${where}`);
        types.set(m[2], m[3]);
      } else helps.add(m[2]);
      continue;
    }
    assert.ok(!line.startsWith('#'), `stray comment: ${where}`);
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample: ${where}`);
    const labels: Record<string, string> = {};
    if (m[2]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/y;
      let pos = 0;
      while (pos < m[2].length) {
        re.lastIndex = pos;
        const l = re.exec(m[2]);
        assert.ok(l, `bad labels: ${where}`);
        labels[l[1]] = l[2];
        pos = re.lastIndex;
      }
    }
    // Go's ParseFloat (Prometheus) reads NaN and Inf case-insensitively; prom-client writes "Nan".
    const value = /^[+]?inf$/i.test(m[3])
      ? Infinity
      : /^-inf$/i.test(m[3])
        ? -Infinity
        : /^nan$/i.test(m[3])
          ? NaN
          : Number(m[3]);
    assert.ok(!Number.isNaN(value) || /^nan$/i.test(m[3]), `bad value: ${where}`);
    const family = m[1].replace(/_(bucket|sum|count)$/, '');
    assert.ok(types.has(m[1]) || types.has(family), `sample before its TYPE: ${where}`);
    samples.push({ name: m[1], labels, value });
  }
  return { types, samples };
}

async function get(path: string): Promise<number> {
  const r = await fetch(`${shield.url()}${path}`, { headers: { host: '127.0.0.1' } });
  await r.arrayBuffer();
  return r.status;
}

test('/metrics parses strictly and counts requests by verdict and route class', async () => {
  const before = parseExposition((await adminRequest(shield.control.url(), 'GET', '/metrics')).text);
  const allowBefore =
    before.samples.find((s) => s.name === 'rampart_requests_total' && s.labels.verdict === 'default/allow')?.value ?? 0;
  for (let i = 0; i < 5; i++) assert.equal(await get(`/page-${i}`), 200);
  const r = await adminRequest(shield.control.url(), 'GET', '/metrics');
  assert.equal(r.status, 200, 'loopback scrape needs no token');
  assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  const p = parseExposition(r.text);
  const allow = p.samples.filter((s) => s.name === 'rampart_requests_total' && s.labels.verdict === 'default/allow');
  assert.ok(allow.length >= 1);
  assert.ok(allow.every((s) => typeof s.labels.route_class === 'string' && s.labels.route_class.length > 0));
  assert.equal(allow.reduce((a, s) => a + s.value, 0) - allowBefore, 5);
  assert.equal(p.types.get('rampart_requests_total'), 'counter');
  // Histograms: cumulative buckets, +Inf equals _count, origin latency counted for forwarded requests.
  for (const h of ['rampart_request_duration_seconds', 'rampart_origin_duration_seconds']) {
    assert.equal(p.types.get(h), 'histogram');
    const buckets = p.samples.filter((s) => s.name === `${h}_bucket`);
    for (let i = 1; i < buckets.length; i++)
      assert.ok(buckets[i].value >= buckets[i - 1].value, `${h} buckets cumulative`);
    const inf = buckets.find((b) => b.labels.le === '+Inf');
    const count = p.samples.find((s) => s.name === `${h}_count`);
    assert.ok(inf && count && inf.value === count.value && count.value >= 5, h);
  }
  const mode = p.samples.filter((s) => s.name === 'rampart_mode');
  assert.deepEqual(
    mode.filter((s) => s.value === 1).map((s) => s.labels.mode),
    ['normal'],
  );
  assert.ok(p.samples.some((s) => s.name === 'rampart_state_connected' && s.value === 1));
  assert.ok(
    p.samples.some((s) => s.name === 'rampart_process_resident_memory_bytes' || s.name.startsWith('rampart_process_')),
  );
});

test('/metrics follows the mode and bans set through the admin API', async () => {
  const admin = shield.control.url();
  await adminRequest(admin, 'POST', '/api/mode', { token: TOKEN, body: { mode: 'under_attack' } });
  await adminRequest(admin, 'POST', '/api/bans', { token: TOKEN, body: { target: '203.0.113.5' } });
  const p = parseExposition((await adminRequest(admin, 'GET', '/metrics')).text);
  assert.equal(p.samples.find((s) => s.name === 'rampart_mode' && s.labels.mode === 'under_attack')?.value, 1);
  assert.equal(p.samples.find((s) => s.name === 'rampart_mode' && s.labels.mode === 'normal')?.value, 0);
  assert.equal(p.samples.find((s) => s.name === 'rampart_bans')?.value, 1);
  await adminRequest(admin, 'POST', '/api/mode', { token: TOKEN, body: { mode: 'auto' } });
  await adminRequest(admin, 'DELETE', '/api/bans/203.0.113.5', { token: TOKEN });
});

test('module stats are exported from stats(): challenge counters appear as counters', async () => {
  const shield2 = await startShield(origin.url, {
    admin: { listen: '127.0.0.1:0', token: TOKEN },
    challenge: { require: 'always' },
  });
  try {
    const r = await fetch(`${shield2.url()}/needs-pass`, { headers: { host: '127.0.0.1', accept: 'text/html' } });
    await r.arrayBuffer();
    const p = parseExposition((await adminRequest(shield2.control.url(), 'GET', '/metrics')).text);
    assert.equal(p.types.get('rampart_challenge_issued_total'), 'counter');
    assert.ok((p.samples.find((s) => s.name === 'rampart_challenge_issued_total')?.value ?? 0) >= 1);
    // Nested per-key stats become one labelled family; the app names the label.
    assert.ok(
      (p.samples.find((s) => s.name === 'rampart_challenge_by_route_class_issued' && s.labels.route_class === 'page')
        ?.value ?? 0) >= 1,
    );
    assert.ok(p.samples.some((s) => s.name === 'rampart_requests_total' && s.labels.verdict.startsWith('challenge/')));
  } finally {
    await shield2.stop();
  }
});

test('every metric the Grafana dashboard queries is exported', async () => {
  const { readFileSync } = await import('node:fs');
  const dash = JSON.parse(readFileSync(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8')) as {
    panels: { title: string; targets: { expr: string }[] }[];
  };
  const wanted = new Set(
    dash.panels.flatMap((p) =>
      p.targets.flatMap((t) => [...t.expr.matchAll(/\brampart_[a-z0-9_]+/g)].map((m) => m[0])),
    ),
  );
  assert.ok(wanted.size >= 15);
  const p = parseExposition((await adminRequest(shield.control.url(), 'GET', '/metrics')).text);
  const have = new Set(p.samples.map((s) => s.name));
  assert.deepEqual(
    [...wanted].filter((n) => !have.has(n)),
    [],
    'queried by docs/grafana-dashboard.json but not exported',
  );
});
