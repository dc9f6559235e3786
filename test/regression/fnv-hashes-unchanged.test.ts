// Pins: the FNV-1a hashes computed across modules (client/prefix keys, pass
// client tags, request fingerprints, mitigation namespaces, path templates,
// transport keys) keep their exact values when their inline loops move to
// src/core/hash.ts. They are stored (persisted detector state, signatures in
// shared state, mitigation buckets), so a changed bit would split old and new.
// The values were taken from the inline code before the move.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Mitigation, Req } from '../../src/core/model.js';
import { clientKeyOf, prefixKeyOf } from '../../src/core/ip.js';
import { clientTagOf } from '../../src/core/client-tag.js';
import { fnv1a, queryShapeHash } from '../../src/core/hash.js';
import { fingerprintOf } from '../../src/identity/fingerprint.js';
import { compileMitigation } from '../../src/policy/mitigations.js';
import { scanTemplate } from '../../src/detector/templates.js';
import { finishTransport } from '../../src/proxy/transport.js';
import type { Transport } from '../../src/identity/transport.js';

function req(raw: [string, string][]): Req {
  const headers: Record<string, string> = {};
  for (const [k, v] of raw) headers[k.toLowerCase()] = v;
  return { rawHeaders: raw.flat(), headers } as unknown as Req;
}

test('core/hash: fnv1a over a whole string and a range, and the query shape', () => {
  assert.equal(fnv1a('hello'), 1335831723);
  assert.equal(fnv1a('abcdef', undefined, 2, 5), 3917249829);
  assert.equal(queryShapeHash('q=a8f3&page=2'), 320746749);
});

test('core/ip: IPv6 client (/64) and prefix (/48) keys', () => {
  const table: [string, number, number][] = [
    ['2001:db8::1', 2632697511, 2632697511],
    ['2001:db8:1:2:3::', 3599814172, 4142484542],
    ['fe80::1', 3159122459, 3159122459],
    ['::1', 2615243109, 2615243109],
  ];
  for (const [ip, client, prefix] of table) {
    assert.equal(clientKeyOf(ip), client, `client key of ${ip}`);
    assert.equal(prefixKeyOf(ip), prefix, `prefix key of ${ip}`);
  }
});

test('core/client-tag: the pass tag of a User-Agent (absent, empty, a browser)', () => {
  const tag = (ua?: string) => clientTagOf({ headers: ua === undefined ? {} : { 'user-agent': ua } } as unknown as Req);
  assert.equal(tag(), 2166136261);
  assert.equal(tag(''), 2166136261);
  assert.equal(tag('Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0'), 3035611381);
});

test('identity/fingerprint: header names folded with | 0x20 and a separator after each part', () => {
  const browser = req([
    ['Host', 'example.org'],
    ['User-Agent', 'Mozilla/5.0 Chrome/126.0'],
    ['Accept', 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8'],
    ['Accept-Language', 'en-US,en;q=0.5'],
    ['Accept-Encoding', 'gzip, br'],
  ]);
  assert.equal(fingerprintOf(browser), 63470093);
  const tool = req([
    ['host', 'x'],
    ['user-agent', 'curl/8.5.0'],
    ['accept', '*/*'],
    ['X-Custom_Header', '1'],
    [':path', '/'],
  ]);
  assert.equal(fingerprintOf(tool), 4077294607);
  assert.equal(fingerprintOf(req([])), 397294500);
});

test('policy/mitigations: the bucket namespace of a mitigation id (odd, signed 32-bit)', () => {
  const ns = (id: string) =>
    compileMitigation({
      id,
      action: 'limit',
      rule: 'mitigate/limit-signature',
      match: { prefixKeys: [], fingerprints: [], routeClasses: [], paths: [], unverifiedOnly: false },
      rate: 5,
      createdAt: 0,
      until: 1,
    } as unknown as Mitigation).ns;
  assert.deepEqual([ns('m-1'), ns('sig-abc123'), ns('')], [657995227, -544396099, -2128831035]);
});

test('detector/templates: template and identifier hashes of paths', () => {
  const s = { template: 0, id: 0, num: 0 };
  const table: [string, boolean, number, number, number][] = [
    ['/api/donors/123', true, 3872585456, 3782515341, 123],
    ['/a/0f3e2d1c9b8a/b/', true, 2756080563, 2386978813, 0x0f3e2d1c9b8a], // a hex id's value (its last 12 digits)
    ['/u/123e4567-e89b-12d3-a456-426614174000', true, 2396409811, 2751289862, 0x426614174000], // a UUID's last group
    ['/static/app.js', false, 1869536385, 2872998923, -1],
    ['/', false, 705468254, 2872998923, -1],
  ];
  for (const [path, found, template, id, num] of table) {
    assert.deepEqual([scanTemplate(path, s), s.template, s.id, s.num], [found, template, id, num], path);
  }
});

test('proxy/transport: the key of a connection fingerprint (never 0)', () => {
  const key = (ja4: string, h2: string) => {
    const t = { ja4, h2, key: 0, family: '', label: '', grease: false, alpn: '' } as unknown as Transport;
    finishTransport(t);
    return t.key;
  };
  assert.equal(key('t13d1516h2_8daaf6152771_02713d6af862', '1:65536;3:1000|6291456|0|m,a,s,p'), 2929868944);
  assert.equal(key('', ''), 4178332219);
});
