// Passive fingerprints of real clients through the real TLS listener: JA4
// and the HTTP/2 fingerprint (both modes: `settings`, the default, and
// `frames`) of Chromium (headless, Debian's package), curl (HTTP/2) and
// Node's http2 client are pinned for the versions installed here
// (another version of a client may differ: its figures are then printed and
// only their shape is checked). curl sending Chrome's User-Agent is not
// treated as Chrome: identity calls it `spoofed`, its request fingerprint
// differs from real Chrome's, and the impact figures never count it as a
// browser-like visitor.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { connect as h2connect } from 'node:http2';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEchoOrigin, type EchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';
import type { App } from '../../src/app/app.js';
import type { RequestContext } from '../../src/core/model.js';
import { createAttribution } from '../../src/detector/attribution.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const TLS_DIR = join(import.meta.dirname, '../fixtures/tls');
const ca = readFileSync(join(TLS_DIR, 'cert.pem'));
const CHROME_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

/** Pinned figures per client version (the version string as the client prints it): JA4, HTTP/2 in `settings` and in `frames` mode. */
const PINNED: Record<string, { ja4: string; settings: string; frames: string }> = {
  'Chromium 156.0.8078.114': {
    ja4: 't13d1517h2_8daaf6152771_cb7bf5808d99',
    settings: '1:65536;2:0;4:6291456;6:262144|15663105|-|m,a,s,p',
    frames: '1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p',
  },
  'curl 7.88.1': {
    ja4: 't13d3112h2_e8f1e7e78f70_b26ce05bbdd6',
    settings: '2:0;3:100;4:33554432|33488897|-|m,p,s,a',
    frames: '3:100;4:33554432;2:0|33488897|0|m,p,s,a',
  },
  'node v20.20.2': { ja4: 't13d5911h2_a33745022dd6_1f22a2ca17c4', settings: '|00|-|p,m,a,s', frames: '|00|0|p,m,a,s' },
};

interface Seen {
  mode: string;
  path: string;
  ja4: string;
  h2: string;
  family: string;
  agent: string;
  clientFp: number;
  fingerprint: number;
  browserLike: number;
}

const seen: Seen[] = [];
let origin: EchoOrigin;
const MODES = ['settings', 'frames'] as const;
const apps: (App & { port: number })[] = [];
const urls: Record<string, string> = {};

before(async () => {
  origin = await startEchoOrigin();
  for (const mode of MODES) {
    const attribution = createAttribution();
    const observe = (ctx: RequestContext) => {
      attribution.observe(ctx);
      seen.push({
        mode,
        path: ctx.path,
        ja4: ctx.transport?.ja4 ?? '',
        h2: ctx.transport?.h2 ?? '',
        family: ctx.transport?.family ?? '',
        agent: ctx.agent,
        clientFp: ctx.clientFp,
        fingerprint: ctx.fingerprint,
        browserLike: attribution.closeSecond().browserLike,
      });
    };
    const app = await startShield(
      origin.url,
      {
        fingerprints: { http2: mode },
        tls: { listen: '127.0.0.1:0', cert: join(TLS_DIR, 'cert.pem'), key: join(TLS_DIR, 'key.pem') },
      },
      { observers: [observe] },
    );
    apps.push(app);
    urls[mode] = `https://localhost:${app.address('tls')!.port}`;
  }
});
after(async () => {
  for (const app of apps) await app.stop();
  await origin.close();
});

function waitSeen(mode: string, path: string): Promise<Seen> {
  return waitFor(() => seen.find((x) => x.mode === mode && x.path === path), {
    what: `a request seen for ${path} (${mode})`,
    timeoutMs: 5000,
    intervalMs: 25,
  });
}

function checkPinned(client: string, s: Seen): void {
  const pin = PINNED[client];
  if (pin === undefined) {
    console.log(`# ${client} is not pinned here: JA4 ${s.ja4}, HTTP/2 (${s.mode}) ${s.h2}`);
    assert.match(s.ja4, /^t1[23]d\d{4}h2_[0-9a-f]{12}_[0-9a-f]{12}$/);
    return;
  }
  assert.equal(s.ja4, pin.ja4, `JA4 of ${client}`);
  assert.equal(s.h2, s.mode === 'frames' ? pin.frames : pin.settings, `HTTP/2 fingerprint (${s.mode}) of ${client}`);
}

const version = (cmd: string, args: string[]) =>
  (spawnSync(cmd, args, { encoding: 'utf8' }).stdout ?? '').split('\n')[0];

// Headless Chromium says "HeadlessChrome" (the bot family: automation); a person's Chrome does not.
// The browser check is about the TLS/HTTP2 stack under a Chrome claim, so it sends a person's User-Agent.
const CHROMIUM_UA = `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${(version('chromium', ['--version']).match(/(\d+)\./) ?? ['', '156'])[1]}.0.0.0 Safari/537.36`;
const chromium = (url: string) =>
  run(
    'chromium',
    [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--ignore-certificate-errors',
      `--user-agent=${CHROMIUM_UA}`,
      '--dump-dom',
      url,
    ],
    { timeout: 60_000 },
  );

for (const mode of MODES) {
  test(`Chromium (http2 ${mode}): JA4 and HTTP/2 fingerprint pinned; its stack is Chromium; its Chrome claim stands`, async () => {
    const v = version('chromium', ['--version'])
      .replace(/ built on.*$/, '')
      .trim();
    await chromium(`${urls[mode]}/chromium`);
    const s = await waitSeen(mode, '/chromium');
    checkPinned(v, s);
    assert.equal(s.family, 'chromium');
    assert.equal(s.agent, 'chrome');
    assert.ok(s.clientFp !== 0);
  });

  test(`curl over HTTP/2 (http2 ${mode}): pinned; with its own User-Agent it is curl`, async () => {
    const v = version('curl', ['--version']).split(' ').slice(0, 2).join(' ');
    await run('curl', ['-sk', '--http2', '-o', '/dev/null', `${urls[mode]}/curl`]);
    const s = await waitSeen(mode, '/curl');
    checkPinned(v, s);
    assert.equal(s.family, 'other');
    assert.equal(s.agent, 'curl');
  });

  test(`Node http2 client (http2 ${mode}): pinned`, async () => {
    const client = h2connect(urls[mode], { ca });
    await new Promise<void>((resolve, reject) => {
      const req = client.request({ ':path': '/node' });
      req.on('error', reject);
      req.on('close', () => resolve());
      req.resume();
      req.end();
    });
    client.close();
    checkPinned(`node ${process.version}`, await waitSeen(mode, '/node'));
  });
}

test("curl claiming Chrome's User-Agent (with browser headers) is not treated as Chrome", async () => {
  const url = urls.settings;
  const hdr = ['-H', 'accept-language: en', '-H', 'sec-fetch-mode: navigate', '-A', CHROME_UA];
  await run('curl', ['-sk', '--http2', ...hdr, '-o', '/dev/null', `${url}/curl-as-chrome`]);
  await chromium(`${url}/chromium-again`);
  const fake = await waitSeen('settings', '/curl-as-chrome');
  const real = await waitSeen('settings', '/chromium-again');
  assert.equal(fake.agent, 'spoofed', "the Chrome claim over curl's stack is refuted");
  assert.equal(fake.family, 'other');
  assert.notEqual(fake.fingerprint, real.fingerprint, "its request fingerprint is not real Chrome's");
  assert.equal(fake.browserLike, 0, 'not counted as a browser-like visitor in the impact figures');
  assert.equal(real.agent, 'chrome');
});
