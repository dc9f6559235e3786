// Challenge mitigations and form posts: a person who was browsing before the
// mitigation keeps their donation or login (rate-limited, not challenged: a
// POST body cannot survive the interstitial); a client first seen just before
// or during the mitigation — a POST flood's sources — is still challenged.
// "Seen" is what identity sets (ctx.seenAt); this harness plays identity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestContext, type Mitigation, type Req, type Res } from '../core/model.js';
import { policySchema } from '../config/schema/policy.js';
import { camelize } from '../config/camelize.js';
import { compilePolicy, type PolicyView } from './decide.js';

const T0 = 1_900_000_000_000;

function req(ip: string, method: string, path: string, seenAt: number): RequestContext {
  const c = new RequestContext({ headers: {} } as Req, {} as Res);
  c.seenAt = seenAt;
  c.method = method;
  c.path = path;
  c.clientIp = ip;
  const parts = ip.split('.').map(Number);
  c.clientKey = ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
  c.prefixKey = (c.clientKey & 0xffffff00) >>> 0;
  c.fingerprint = 0xabc;
  return c;
}

/** A default policy and a view whose mitigation list `put` replaces (a new version each time). */
function policyWith() {
  const p = compilePolicy(camelize(policySchema.parse({})));
  let list: Mitigation[] = [];
  let v = 1;
  const view: PolicyView = {
    mode: () => 'normal',
    enforcement: () => 'enforce',
    isBanned: () => null,
    mitigations: () => list,
    version: () => v,
  };
  const put = (next: Mitigation[]) => {
    list = next;
    v++;
  };
  return { p, view, put };
}

function setup() {
  const { p, view, put } = policyWith();
  const challengeDonate = (at: number) => {
    put([
      {
        id: 'inc-1-l2',
        action: 'challenge',
        rule: 'mitigate/challenge-route',
        match: {
          prefixKeys: [],
          fingerprints: [],
          routeClasses: ['donate', 'login', 'page'],
          paths: [],
          unverifiedOnly: true,
        },
        rate: 0,
        createdAt: at,
        until: at + 120_000,
        reason: 'test',
        figures: {},
      },
    ]);
  };
  // What identity tells policy: when each client was first seen (its seen cookie or the client book).
  const firstSeen = new Map<string, number>();
  const decide = (ip: string, method: string, path: string, at: number) => {
    if (!firstSeen.has(ip)) firstSeen.set(ip, at);
    return p.decide(req(ip, method, path, firstSeen.get(ip)!), view, at);
  };
  return { decide, challengeDonate };
}

const PERSON = '198.51.100.7';
const rule = (x: { rule: string } | null) => (x === null ? null : x.rule);

test('a person browsing before the mitigation posts the donate form: served, then limited, never challenged', () => {
  const s = setup();
  for (let t = 0; t <= 12_000; t += 1500)
    assert.equal(s.decide(PERSON, 'GET', t % 3000 === 0 ? '/' : '/donate', T0 + t), null);
  s.challengeDonate(T0 + 12_500);
  // GETs are challenged as before (a browser solves it and comes back).
  assert.equal(rule(s.decide(PERSON, 'GET', '/donate', T0 + 13_000)), 'mitigate/challenge-route');
  assert.equal(s.decide(PERSON, 'POST', '/donate', T0 + 14_000), null, 'the donation goes through');
  const again = s.decide(PERSON, 'POST', '/donate', T0 + 14_200);
  assert.equal(rule(again), 'mitigate/known-form-limit', 'a second post at once is limited');
  assert.equal(again!.action, 'limit');
  assert.equal(s.decide(PERSON, 'POST', '/login', T0 + 17_000), null, 'login is a form class too');
  // Not a form class: the challenge stays.
  assert.equal(rule(s.decide(PERSON, 'POST', '/comments', T0 + 20_000)), 'mitigate/challenge-route');
});

test('sources first seen just before or during the mitigation (a POST flood) are still challenged', () => {
  const s = setup();
  for (let t = 0; t <= 12_000; t += 1000) s.decide(PERSON, 'GET', '/', T0 + t);
  // The flood's first second, before the detector's mitigation lands.
  for (let i = 1; i <= 50; i++) assert.equal(s.decide(`203.0.113.${i}`, 'POST', '/login', T0 + 12_100), null);
  s.challengeDonate(T0 + 13_000);
  for (let t = 13_000; t < 40_000; t += 1000) {
    for (let i = 1; i <= 50; i++) {
      // Challenged, or refused by the login limits (a refusal wins over a challenge); never spared.
      const v = s.decide(`203.0.113.${i}`, 'POST', '/login', T0 + t);
      assert.ok(
        v !== null && (v.rule === 'mitigate/challenge-route' || v.rule.startsWith('limit/login')),
        `source ${i} at ${t}: ${rule(v)}`,
      );
    }
    assert.equal(
      rule(s.decide(`192.0.2.${1 + ((t / 1000) % 200)}`, 'POST', '/donate', T0 + t)),
      'mitigate/challenge-route',
      'a new source',
    );
  }
});

test('a client never seen before the mitigation is challenged on its first post', () => {
  const s = setup();
  s.challengeDonate(T0);
  assert.equal(
    rule(s.decide(PERSON, 'POST', '/donate', T0 + 1000)),
    'mitigate/challenge-route',
    'never seen before the mitigation',
  );
});

test('a mitigation of new clients that spares persons passes a new client whose seen cookie says it loaded a page assets; one that does not spare them challenges it', () => {
  const { p, view, put } = policyWith();
  const challengeNew = (sparesPersons: boolean) => {
    const m = { prefixKeys: [], fingerprints: [], routeClasses: [], paths: [], unverifiedOnly: true, newSince: T0 };
    put([
      {
        id: `inc-1-l3-${sparesPersons}`,
        action: 'challenge',
        rule: 'mitigate/challenge-new',
        match: sparesPersons ? { ...m, sparesPersons } : m,
        rate: 0,
        createdAt: T0,
        until: T0 + 120_000,
        reason: 'test',
        figures: {},
      },
    ]);
  };
  const newcomer = (personLike: boolean) => {
    const c = req('203.0.113.9', 'GET', '/materials', T0 + 2000);
    c.personLike = personLike;
    return rule(p.decide(c, view, T0 + 3000));
  };
  challengeNew(true);
  assert.equal(newcomer(true), null, 'loaded the assets: passes');
  assert.equal(newcomer(false), 'mitigate/challenge-new');
  challengeNew(false);
  assert.equal(newcomer(true), 'mitigate/challenge-new', 'a warm detector knows people by first seen only');
  const known = req('198.51.100.7', 'GET', '/materials', T0 - 60_000);
  assert.equal(rule(p.decide(known, view, T0 + 3000)), null, 'first seen before the surge: known');
});
