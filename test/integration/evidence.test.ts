// Evidence end to end: a drill with known ground truth (sources placed in
// countries through X-Forwarded-For, the shield trusting the drill's loopback
// hop) against the real app and the demo origin produces an incident with the
// right vector, a sensible scale, attribution shares within 2 points of what
// the drill sent; the report renders in md/html/json (HTML opened in Chromium
// without console errors), the admin routes and the CLI refuse bad ids and
// formats clearly, a restart keeps the incident, an enumeration is exposed.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startDemoOrigin } from '../../src/demo/origin.js';
import { runDrill } from '../../src/drill/run.js';
import { parseCountryPlan } from '../../src/drill/addresses-geo.js';
import { parseTarget } from '../../src/drill/target.js';
import { main } from '../../src/cli/main.js';
import { openIncidentStore } from '../../src/control/incidents-store.js';
import { startShield } from '../helpers/shield.js';
import { waitFor } from '../helpers/wait.js';
import { FAST_DETECTOR } from '../helpers/fast-detector.js';
import { CHROMIUM_ARGS } from '../../src/drill/chromium-users.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-evidence-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const DETECTOR = FAST_DETECTOR;

async function api(base: string, token: string, path: string): Promise<{ status: number; type: string; body: string }> {
  const r = await fetch(base + path, { headers: { authorization: `Bearer ${token}` } });
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: await r.text() };
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(
    args,
    (s) => void (out += `${s}\n`),
    (s) => void (err += `${s}\n`),
  );
  return { code, out, err };
}

test('botnet drill from DE/BR/RU: vector, scale, attribution within 2 points, reports, routes, restart', async () => {
  const dataDir = join(dir, 'botnet');
  const origin = await startDemoOrigin({ maxConcurrency: 64 });
  const cfg = { trusted_proxies: ['127.0.0.0/8'], data_dir: dataDir, detector: DETECTOR, geo: { cache_size: 4096 } };
  let shield = await startShield(origin.url, cfg);
  const plan = parseCountryPlan('DE:40,BR:30,RU:30');
  const sources = 200;
  try {
    // A few people browse before and during the attack: the detector learns its baseline only from seconds with traffic.
    await runDrill({
      target: parseTarget(`http://127.0.0.1:${shield.port}`),
      scenario: 'botnet',
      users: 8,
      rate: 400,
      sources,
      warmupMs: 6000,
      durationMs: 8000,
      thinkMs: [200, 500],
      xff: plan,
    });
    const store = shield.evidence!.store;
    const row = await waitFor(() => store.list().find((r) => r.status === 'closed'), {
      what: 'the incident to close',
      timeoutMs: 20_000,
      seen: () => JSON.stringify({ incidents: store.list(), mode: shield.detector!.snapshot().mode }),
      intervalMs: 200,
    });
    const rec = store.get(row.id)!;
    assert.ok(
      rec.vectors.some((v) => v.vector === 'distributed_flood'),
      JSON.stringify(rec.vectors.map((v) => v.vector)),
    );
    assert.ok(rec.classification, 'classified');
    assert.ok(['low-level', 'moderate'].includes(rec.classification!.scale), rec.classification!.verdict);
    assert.match(rec.classification!.verdict, /sources, peak/);
    assert.ok(rec.endedAt! > rec.startedAt);
    assert.ok(store.samples(row.id).length >= 5);

    // Ground truth: the group the drill placed each attack source in (indexes 1_000_000 + i).
    const truth: Record<string, number> = {};
    for (let i = 0; i < sources; i++)
      truth[plan.groupOf(1_000_000 + i)] = (truth[plan.groupOf(1_000_000 + i)] ?? 0) + 1;
    const a = rec.attribution!;
    assert.ok(a.sources >= sources * 0.95, `sources ${a.sources}`);
    for (const cc of ['DE', 'BR', 'RU']) {
      const want = (100 * truth[cc]) / sources;
      const got = a.countries.find((c) => c.key === cc)!;
      assert.ok(got, `${cc} missing: ${JSON.stringify(a.countries)}`);
      const bySources = (100 * got.sources) / a.sources;
      const byRequests = (100 * got.requests) / a.requests;
      assert.ok(Math.abs(bySources - want) <= 2, `${cc} by sources ${bySources.toFixed(1)} vs sent ${want.toFixed(1)}`);
      assert.ok(
        Math.abs(byRequests - want) <= 2,
        `${cc} by requests ${byRequests.toFixed(1)} vs sent ${want.toFixed(1)}`,
      );
    }
    assert.equal(a.countries.filter((c) => !['DE', 'BR', 'RU'].includes(c.key)).length, 0);

    // Reports through the admin API.
    const base = shield.control.url();
    const token = shield.control.token();
    const list = JSON.parse((await api(base, token, '/api/incidents')).body) as { incidents: { id: string }[] };
    assert.ok(list.incidents.some((i) => i.id === row.id));
    const md = await api(base, token, `/api/incidents/${row.id}/report?format=md`);
    assert.equal(md.status, 200);
    assert.match(md.type, /text\/markdown/);
    for (const h of [
      '## Attribution',
      '## Data exposure',
      '## Draft statement',
      '## Impact on real users',
      '## Mitigations',
    ])
      assert.ok(md.body.includes(h), h);
    assert.ok(md.body.includes('where they sit does not identify who ordered the attack'));
    const json = JSON.parse((await api(base, token, `/api/incidents/${row.id}/report?format=json`)).body);
    assert.equal(json.id, row.id);
    assert.equal(json.attribution.countries.length, 3);
    const html = await api(base, token, `/api/incidents/${row.id}/report?format=html`);
    assert.match(html.type, /text\/html/);
    assert.ok(!/<script|<link|src="http|href="http/i.test(html.body), 'self-contained');
    assert.equal((await api(base, token, '/api/incidents/nope-123/report')).status, 404);
    assert.equal((await api(base, token, `/api/incidents/${encodeURIComponent('../etc/passwd')}`)).status, 400);
    const badFormat = await api(base, token, `/api/incidents/${row.id}/report?format=pdf`);
    assert.equal(badFormat.status, 400);
    assert.match(badFormat.body, /unknown report format.*md, html, json/);

    // The HTML opens in Chromium without console errors; the SVG chart renders.
    const file = join(dir, 'report.html');
    writeFileSync(file, html.body);
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [...CHROMIUM_ARGS],
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
      page.on('pageerror', (e) => void errors.push(e.message));
      page.on('request', (r) => void (r.url().startsWith('file:') || requests.push(r.url())));
      await page.goto(`file://${file}`);
      assert.equal(
        await page.locator('svg path').count(),
        6,
        'received, forwarded, from cache, challenged, refused, shed',
      );
      assert.match((await page.locator('#caveat').textContent()) ?? '', /compromised devices or proxies/);
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, []);
      await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
    } finally {
      await browser.close();
    }

    // A restart keeps the incident: stop, re-create the app on the same data_dir.
    await shield.stop();
    shield = await startShield(origin.url, cfg);
    assert.equal(shield.evidence!.store.get(row.id)?.status, 'closed');
    // The CLI reads the store directly (read-only), with clear errors.
    const out = join(dir, 'cli.md');
    const ok = await cli(['report', 'latest', '--format', 'md', '-o', out, '--data-dir', dataDir]);
    assert.equal(ok.code, 0, ok.err);
    assert.match(readFileSync(out, 'utf8'), new RegExp(`# Incident ${row.id}`));
    const chk = await cli(['report', 'latest', '--check', '--data-dir', dataDir]);
    assert.equal(chk.code, 0, chk.out + chk.err);
    assert.match(chk.out, new RegExp(`report ${row.id}: every check passed \\([\\d,]+ requests accounted for`));
    const badId = await cli(['report', 'inc-does-not-exist', '--data-dir', dataDir]);
    assert.equal(badId.code, 1);
    assert.match(badId.err, /no incident "inc-does-not-exist"/);
    const fmt = await cli(['report', 'latest', '--format', 'docx', '--data-dir', dataDir]);
    assert.equal(fmt.code, 1);
    assert.match(fmt.err, /unknown report format "docx"[\s\S]*hint: use one of: md, html, json/);
    const noStore = await cli(['report', 'latest', '--data-dir', join(dir, 'empty')]);
    assert.equal(noStore.code, 1);
    assert.match(noStore.err, /cannot open the incident store/);
  } finally {
    await shield.stop();
    await origin.close();
  }
});

test('enumeration of the donor API: exposure section counts records, flags scrapers, says what it cannot know', async () => {
  const dataDir = join(dir, 'enum');
  const origin = await startDemoOrigin({ maxConcurrency: 64 });
  // The demo's donor records, declared sensitive (built-in sensitive defaults are admin paths). Observe
  // enforcement: the scrapers drop cookies, so the incident's cookie check would refuse every one of
  // their requests from its first second; here the subject is what the watch records of what got through.
  const shield = await startShield(origin.url, {
    trusted_proxies: ['127.0.0.0/8'],
    data_dir: dataDir,
    detector: { ...DETECTOR, enforcement: 'observe' },
    policy: { routes: [{ name: 'donors', class: 'sensitive', prefix: '/api/donors/' }] },
  });
  try {
    await runDrill({
      target: parseTarget(`http://127.0.0.1:${shield.port}`),
      scenario: 'enumeration',
      users: 8,
      rate: 300,
      sources: 20,
      warmupMs: 6000,
      durationMs: 8000,
      thinkMs: [200, 500],
    });
    const store = shield.evidence!.store;
    const row = await waitFor(() => store.list().find((r) => r.status === 'closed'), {
      what: 'the incident to close',
      timeoutMs: 20_000,
      seen: () => JSON.stringify({ incidents: store.list(), mode: shield.detector!.snapshot().mode }),
      intervalMs: 200,
    });
    const rec = store.get(row.id)!;
    const x = rec.exposure!;
    assert.ok(
      x.requests > 0,
      `sensitive requests recorded: ${JSON.stringify({ classes: rec.routeClasses, vectors: rec.vectors.map((v) => v.vector), x })}`,
    );
    assert.ok(x.ok > 0 && x.distinctIds > 50, `ok ${x.ok}, distinct ${x.distinctIds}`);
    assert.equal(x.verifiedOk, 0);
    assert.ok(
      x.clients.some((c) => c.flags.includes('enumeration')),
      JSON.stringify(x.clients.slice(0, 3)),
    );
    const md = await cli(['report', row.id, '--data-dir', dataDir]);
    assert.equal(md.code, 0, md.err);
    assert.match(
      md.out,
      /## Data exposure[\s\S]*requests reached sensitive routes[\s\S]*signs of enumeration[\s\S]*What the shield cannot know/,
    );
    assert.match(md.out, /whether the origin was right to answer/);
  } finally {
    await shield.stop();
    await origin.close();
  }
});

test('report store opened read-only refuses to write', () => {
  const file = join(dir, 'ro.sqlite');
  openIncidentStore(file).close();
  const ro = openIncidentStore(file, { readonly: true });
  try {
    assert.throws(() => ro.save([], []), /read-only/);
  } finally {
    ro.close();
  }
});

test('drill --countries / --asns: clear errors for bad lists, unknown codes and combinations', async () => {
  const target = ['drill', '--target', 'http://127.0.0.1:9', '--duration', '1s'];
  const bad = await cli([...target, '--countries', 'DE:40,Germany']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /--countries: not a valid entry: "Germany"[\s\S]*hint: e\.g\. --countries DE:40,BR:30,RU:30/);
  const weight = await cli([...target, '--asns', 'AS3320:-1']);
  assert.match(weight.err, /--asns: bad weight in "AS3320:-1"/);
  const both = await cli([...target, '--countries', 'DE', '--xff', '203.0.113.0/24']);
  assert.match(both.err, /--xff and --countries cannot be combined/);
  const none = await cli([...target, '--asns', 'AS4294967295']);
  assert.match(none.err, /no public IPv4 range found for AS4294967295/);
});
