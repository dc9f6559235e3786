// JA4 details that read-tls-client-hello's own calculateJa4 gets wrong, the
// HTTP/2 fingerprint reader over frames split anywhere, and the browser
// check: which stacks may carry which browser claims. Table-driven, pure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { tlsFingerprintOf, type HelloLike } from './ja4.js';
import { H2FingerprintReader, pseudoOrder } from './h2-fingerprint.js';
import { checkedFamily, transportFamily, type Transport } from './transport.js';
import { frame, getBlock, headers, PREFACE, settings, T, windowUpdate } from '../drill/h2-frames.js';

const sha12 = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 12);

function hello(
  o: Partial<{
    version: number;
    ciphers: number[];
    versions: number[] | null;
    alpn: string[] | null;
    sni: string | null;
    sigs: number[];
    extra: number[];
  }>,
): HelloLike {
  const exts: HelloLike['extensions'] = [];
  if (o.sni !== null) exts.push({ id: 0x0000, data: { serverName: o.sni ?? 'example.org' } });
  for (const id of o.extra ?? []) exts.push({ id, data: null });
  if (o.alpn !== null) exts.push({ id: 0x0010, data: { protocols: o.alpn ?? ['h2', 'http/1.1'] } });
  exts.push({ id: 0x000d, data: { algorithms: o.sigs ?? [0x0403, 0x0804] } });
  if (o.versions !== null) exts.push({ id: 0x002b, data: { versions: o.versions ?? [0x0304, 0x0303] } });
  return { version: o.version ?? 0x0303, cipherSuites: o.ciphers ?? [0x1301, 0x1302], extensions: exts };
}

test('JA4: GREASE left out of counts and hashes; parts a, b and c as the reference computes them', () => {
  const f = tlsFingerprintOf(hello({ ciphers: [0x0a0a, 0x1302, 0x1301], extra: [0x2a2a, 0x000a] }));
  assert.equal(f.grease, true);
  // 2 ciphers; extensions: sni, 000a, alpn, 000d, 002b = 5 (GREASE 2a2a out).
  assert.equal(f.ja4, `t13d0205h2_${sha12('1301,1302')}_${sha12('000a,000d,002b_0403,0804')}`);
  assert.equal(tlsFingerprintOf(hello({ sni: null })).ja4.slice(0, 4), 't13i', 'no SNI: i');
});

test('JA4: the version is the highest of supported_versions (TLS 1.2 only lists 0303), else the hello version', () => {
  assert.equal(tlsFingerprintOf(hello({ versions: [0x0a0a, 0x0303] })).ja4.slice(0, 3), 't12');
  assert.equal(tlsFingerprintOf(hello({ versions: null, version: 0x0302 })).ja4.slice(0, 3), 't11');
});

test('JA4: ALPN of one character ends in 0, non-alphanumeric ends are hex, none is 00', () => {
  const a = (alpn: string[] | null) => tlsFingerprintOf(hello({ alpn })).ja4.slice(8, 10);
  assert.equal(a(['h2']), 'h2');
  assert.equal(a(['http/1.1']), 'h1');
  assert.equal(a(['h']), 'h0');
  assert.equal(a(['h2!']), '61', 'h (0x68) and ! (0x21): first and last hex digits');
  assert.equal(a(null), '00');
});

test('JA4: no ciphers or no extensions hash to zeros; counts stop at 99', () => {
  assert.equal(
    tlsFingerprintOf({ version: 0x0303, cipherSuites: [], extensions: [] }).ja4,
    't12i000000_000000000000_000000000000',
  );
  const many = tlsFingerprintOf(hello({ ciphers: Array.from({ length: 120 }, (_, i) => 0x1000 + i) }));
  assert.equal(many.ja4.slice(4, 6), '99');
});

const CHROME_FRAMES = Buffer.concat([
  PREFACE,
  settings([
    [1, 65536],
    [2, 0],
    [4, 6291456],
    [6, 262144],
  ]),
  windowUpdate(0, 15663105),
  headers(
    1,
    Buffer.concat([Buffer.from([0x82]), Buffer.from([0x41, 9]), Buffer.from('localhost'), Buffer.from([0x87, 0x84])]),
  ),
]);

test('HTTP/2 fingerprint: SETTINGS in order, WINDOW_UPDATE, PRIORITY, pseudo-header order, over chunks split anywhere', () => {
  for (const cut of [1, 5, 24, 25, 40, CHROME_FRAMES.length - 3]) {
    const r = new H2FingerprintReader();
    assert.equal(r.push(CHROME_FRAMES.subarray(0, cut)), false);
    assert.equal(r.push(CHROME_FRAMES.subarray(cut)), true, `cut at ${cut}`);
    assert.equal(r.text(), '1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p');
  }
  const prio = Buffer.alloc(5);
  prio.writeUInt32BE(0x80000003, 0);
  prio[4] = 200;
  const r = new H2FingerprintReader();
  r.push(Buffer.concat([PREFACE, settings([[3, 100]]), frame(T.PRIORITY, 0, 5, prio), headers(1, getBlock('x'))]));
  assert.equal(r.text(), '3:100|00|5:1:3:201|m,s,p,a');
});

test('HTTP/2 fingerprint: a client that never sends HEADERS is given up after 16 KiB', () => {
  const r = new H2FingerprintReader();
  assert.equal(r.push(Buffer.concat([PREFACE, settings([[4, 1]])])), false);
  assert.equal(r.push(Buffer.alloc(17 * 1024)), true);
});

test('pseudo-header order: indexed, literal with indexed name, a dynamic table size update first', () => {
  assert.equal(pseudoOrder(getBlock('localhost', '/x')), 'm,s,p,a');
  assert.equal(pseudoOrder(Buffer.from([0x3f, 0xe1, 0x1f, 0x82, 0x84, 0x87, 0x41, 1, 0x61, 0x40])), 'm,p,s,a');
  assert.equal(pseudoOrder(Buffer.from([0x90 /* static 16: accept-encoding */, 0x82])), '');
});

const t = (o: Partial<Transport>): Transport => ({
  ja4: 't13d1517h2_x_y',
  grease: true,
  alpn: 'h2',
  h2: '',
  key: 1,
  family: '',
  label: '',
  h2Pending: false,
  ...o,
});

test('stack families: Chromium, Firefox, Safari, tools; HTTP/1.1 judged on TLS alone', () => {
  const rows: [Partial<Transport>, string][] = [
    [{ h2: 'S|W|0|m,a,s,p' }, 'chromium'],
    [{ h2: '' }, 'chromium-or-safari'], // HTTP/1.1: GREASE, no pseudo-header order
    [{ grease: false, h2: '' }, 'firefox'],
    [{ ja4: '', grease: false, alpn: '', h2: '1:65536|15663105|-|m,a,s,p' }, 'chromium'], // TLS not read: HTTP/2 alone
    [{ ja4: '', grease: false, alpn: '', h2: '3:100|00|-|m,p,s,a' }, 'other'],
    [{ ja4: '', h2: '' }, 'other'],
    [{ grease: false, h2: 'S|W|0|m,p,a,s' }, 'firefox'],
    [{ h2: 'S|W|0|m,s,p,a' }, 'safari'],
    [{ h2: 'S|W|0|m,s,a,p' }, 'safari'],
    [{ grease: false, h2: 'S|W|0|m,p,s,a' }, 'other'], // curl
    [{ grease: false, h2: '|00|0|p,m,a,s' }, 'other'], // node
    [{ grease: true, alpn: 'http/1.1' }, 'other'],
    [{ grease: true, h2: 'S|W|0|m,p,s,a' }, 'other'],
  ];
  for (const [o, want] of rows) assert.equal(transportFamily(t(o)), want, JSON.stringify(o));
});

test('browser claims: believed on their own stack, spoofed on another; tools and plain HTTP unchanged', () => {
  const chromium = t({ family: 'chromium' });
  const curl = t({ grease: false, family: 'other' });
  assert.equal(checkedFamily('chrome', chromium), 'chrome');
  assert.equal(checkedFamily('edge', chromium), 'edge');
  assert.equal(checkedFamily('chrome', curl), 'spoofed');
  assert.equal(checkedFamily('firefox', chromium), 'spoofed');
  assert.equal(checkedFamily('curl', curl), 'curl');
  assert.equal(checkedFamily('chrome', null), 'chrome', 'no TLS: nothing to check against');
  assert.equal(checkedFamily('none', curl), 'none');
  const h1 = t({ family: 'chromium-or-safari' });
  assert.equal(checkedFamily('safari', h1), 'safari', 'over HTTP/1.1 Chromium and Safari cannot be told apart');
  assert.equal(checkedFamily('chrome', h1), 'chrome');
  assert.equal(checkedFamily('firefox', h1), 'spoofed');
});
