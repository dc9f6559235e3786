// A browser claim the connection's TLS/HTTP2 stack contradicts (identity's
// `spoofed` agent) is not treated as that browser by the detector: its
// fingerprint carries the spoofed label, is classified `spoofed`, and is
// blamed at min_lift like a tool — where a real Chrome fingerprint needs a
// supported baseline and 10 × min_lift. The connections' TLS/HTTP2
// fingerprints are a signature dimension of their own (`clients`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signatureOf } from './assess.js';
import { Baselines } from './baseline.js';
import { SeenSources } from './seen-sources.js';
import { fact } from './trace.js';
import { SecondWindow, SPOOFED_LABEL } from './window.js';

const CHROME_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const CHROMIUM = { label: 't13d1517h2_8daaf6152771_cb7bf5808d99 1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p' };
const CURL = { label: 't13d3112h2_e8f1e7e78f70_b26ce05bbdd6 3:100;4:33554432;2:0|33488897|0|m,p,s,a' };

test('a spoofed Chrome fingerprint is blamed like a tool; the real one is not; clients list the TLS/HTTP2 fingerprints', () => {
  const w = new SecondWindow(new SeenSources());
  for (let i = 0; i < 100; i++)
    w.observe({
      ...fact(0xc6336401 + i, '/', { fp: 0x1111, ua: CHROME_UA }),
      agent: 'chrome',
      clientFp: 7,
      transport: CHROMIUM,
    });
  for (let i = 0; i < 100; i++)
    w.observe({
      ...fact(0xcb007101 + i, '/', { fp: 0x2222, ua: CHROME_UA }),
      agent: 'spoofed',
      clientFp: 9,
      transport: CURL,
    });
  const sig = signatureOf(w, new Baselines(600_000), 3);
  const real = sig.fingerprints.find((f) => f.key === 0x1111);
  const fake = sig.fingerprints.find((f) => f.key === 0x2222);
  assert.equal(real?.family, 'chrome');
  assert.equal(real?.suspicious, false, 'a browser fingerprint needs a supported baseline to be blamed');
  assert.equal(fake?.family, 'spoofed');
  assert.equal(fake?.suspicious, true, 'the spoofed one is blamed at min_lift');
  assert.equal(w.topFps.labelOf(0x2222), SPOOFED_LABEL);
  assert.deepEqual(sig.clients?.map((c) => [c.key, c.label, c.count]).sort(), [
    [7, CHROMIUM.label, 100],
    [9, CURL.label, 100],
  ]);
});
