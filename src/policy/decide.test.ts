// decide() and the policy stage, table by table with a manual clock and a
// plain in-memory view: lists, bans, limits per key type and route class,
// mitigations (version-driven recompile, expiry, unverifiedOnly), observe mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CLIENT_COOKIE,
  CLIENT_IGNORED,
  RequestContext,
  type Ban,
  type Mitigation,
  type Req,
  type Res,
  type Enforcement,
} from '../core/model.js';
import { policySchema } from '../config/schema/policy.js';
import { camelize } from '../config/camelize.js';
import { compilePolicy, type PolicyView, type PolicyOptions } from './decide.js';
import { createPolicyStage } from './stage.js';

const T0 = 1_900_000_000_000;

function policyOf(raw: Record<string, unknown>, opts?: PolicyOptions) {
  return compilePolicy(camelize(policySchema.parse(raw)), opts);
}

function req(ip: string, path = '/', extra: Partial<RequestContext> = {}): RequestContext {
  const c = new RequestContext({ headers: {} } as Req, {} as Res);
  c.method = 'GET';
  c.path = path;
  c.clientIp = ip;
  const parts = ip.split('.').map(Number);
  c.clientKey = ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
  c.prefixKey = (c.clientKey & 0xffffff00) >>> 0;
  c.fingerprint = 0xabc;
  return Object.assign(c, extra);
}

class View implements PolicyView {
  bansList: Ban[] = [];
  list: Mitigation[] = [];
  v = 1;
  enf: Enforcement = 'enforce';
  mode = () => 'normal' as const;
  enforcement = () => this.enf;
  isBanned = (ip: string, now: number) => this.bansList.find((b) => b.target === ip && now < b.until) ?? null;
  mitigations = () => this.list;
  version = () => this.v;
  put(m: Partial<Mitigation> & Pick<Mitigation, 'id' | 'action' | 'rule'>, match: Partial<Mitigation['match']> = {}) {
    this.list = [
      ...this.list,
      {
        rate: 1,
        createdAt: T0,
        until: T0 + 60_000,
        reason: 'test',
        figures: {},
        ...m,
        match: { prefixKeys: [], fingerprints: [], routeClasses: [], paths: [], unverifiedOnly: false, ...match },
      },
    ];
    this.v++;
  }
}

const rule = (v: { rule: string } | null) => (v === null ? null : v.rule);

test('no config: a person browsing is never refused, routeClass is set', () => {
  const p = policyOf({});
  const view = new View();
  for (let i = 0; i < 200; i++) {
    const c = req('198.51.100.7', i % 3 === 0 ? '/' : `/static/a${i}.css`);
    assert.equal(p.decide(c, view, T0 + i * 5), null);
    assert.equal(c.routeClass, i % 3 === 0 ? 'page' : 'static');
  }
});

test('newsletter burst: 250 people behind one NAT /24, 40 requests each at once, all pass the defaults', () => {
  const p = policyOf({});
  const view = new View();
  let refused = 0;
  for (let host = 1; host <= 250; host++)
    for (let r = 0; r < 40; r++)
      if (p.decide(req(`203.0.113.${host}`, r === 0 ? '/news' : `/static/${r}.js`), view, T0 + host) !== null)
        refused++;
  assert.equal(refused, 0);
});

test('a campus NAT /24 reading a newsletter for half a minute: people returning their seen cookie pass, anonymous traffic at the same rate is limited', () => {
  // 250 readers behind one /24, each reading pages and their assets over 30 s: 500 requests/s from the prefix.
  const run = (state: number) => {
    const p = policyOf({});
    const view = new View();
    let refused = 0;
    for (let ms = 0; ms < 30_000; ms += 10) {
      for (let k = 0; k < 5; k++) {
        const host = 1 + (((ms / 10) * 5 + k) % 250);
        if (p.decide(req(`203.0.113.${host}`, `/news/${ms % 7}`, { clientState: state }), view, T0 + ms) !== null)
          refused++;
      }
    }
    return refused;
  };
  assert.equal(run(CLIENT_COOKIE), 0, 'people (their seen cookie returned) are never limited');
  assert.ok(
    run(CLIENT_IGNORED) > 2000,
    'the same rate of anonymous requests from one /24 meets the prefix limit (300/s, burst 3000)',
  );
});

test('one office NAT address: 100 people open a newsletter within 10 s, and log in within 5 min, under the defaults', () => {
  const p = policyOf({});
  const view = new View();
  let refused = 0;
  for (let person = 0; person < 100; person++) {
    const t = T0 + person * 100; // one new person every 100 ms
    for (let r = 0; r < 40; r++)
      if (
        p.decide(
          req('198.51.100.20', r === 0 ? '/news/appeal' : `/static/${r}.js`, { fingerprint: person }),
          view,
          t,
        ) !== null
      )
        refused++;
  }
  for (let person = 0; person < 100; person++) {
    const t = T0 + 60_000 + person * 3000; // 100 logins (page + POST) over 5 minutes
    for (const m of ['GET', 'POST'])
      if (p.decide(req('198.51.100.20', '/login', { method: m, fingerprint: person }), view, t) !== null) refused++;
  }
  assert.equal(refused, 0);
});

test('allow list wins over deny, bans and limits; deny list refuses with 403', () => {
  const p = policyOf({
    allow: ['192.0.2.0/24'],
    deny: ['192.0.2.9', '198.51.100.0/24'],
    rate_limits: { default: { address: { rate: '1/s', burst: 1 } } },
  });
  const view = new View();
  view.bansList.push({
    target: '192.0.2.9',
    rule: 'ban/manual',
    createdAt: T0,
    until: T0 + 1e6,
    reason: '',
    source: 'manual',
  });
  for (let i = 0; i < 5; i++) assert.equal(rule(p.decide(req('192.0.2.9'), view, T0)), 'allow/list');
  const d = p.decide(req('198.51.100.3'), view, T0);
  assert.deepEqual([d?.rule, d?.action, d?.status], ['deny/list', 'deny', 403]);
  assert.equal(p.refusesAtAccept('192.0.2.9', view, T0), false);
  assert.equal(p.refusesAtAccept('198.51.100.3', view, T0), true);
});

test('bans: the ban\u2019s rule names the verdict until it expires; drop when configured', () => {
  const view = new View();
  view.bansList.push({
    target: '203.0.113.5',
    rule: 'ban/auto-flood',
    createdAt: T0,
    until: T0 + 1000,
    reason: 'flood',
    source: 'auto',
  });
  const p = policyOf({});
  const v = p.decide(req('203.0.113.5'), view, T0);
  assert.deepEqual([v?.rule, v?.action, v?.status], ['ban/auto-flood', 'deny', 403]);
  assert.equal(p.decide(req('203.0.113.5'), view, T0 + 1000), null, 'expired');
  const drop = policyOf({ bans: { action: 'drop' } }).decide(req('203.0.113.5'), view, T0);
  assert.equal(drop?.action, 'drop');
  view.bansList.push({
    target: '203.0.113.6',
    rule: 'Not A Rule',
    createdAt: T0,
    until: T0 + 1000,
    reason: '',
    source: 'manual',
  });
  assert.equal(
    rule(p.decide(req('203.0.113.6'), view, T0)),
    'ban/listed',
    'a malformed rule name falls back, no throw',
  );
  assert.equal(p.refusesAtAccept('203.0.113.5', view, T0), true);
});

test('limits by address, prefix, fingerprint and route class name their rule and Retry-After', () => {
  const view = new View();
  const p = policyOf({
    rate_limits: {
      default: {
        address: { rate: '2/s', burst: 2 },
        prefix: { rate: '3/s', burst: 3 },
        fingerprint: { rate: '4/s', burst: 4 },
        route: 'off',
      },
      classes: {
        login: { address: { rate: '6/m', burst: 1 } },
        api: { route: { rate: '1/s', burst: 5 }, address: 'off', prefix: 'off', fingerprint: 'off' },
      },
    },
  });
  const a = [
    p.decide(req('10.0.0.1'), view, T0),
    p.decide(req('10.0.0.1'), view, T0),
    p.decide(req('10.0.0.1'), view, T0),
  ];
  assert.deepEqual(a.map(rule), [null, null, 'limit/address']);
  assert.deepEqual([a[2]!.status, a[2]!.retryAfter], [429, 1]);
  // prefix: 10.0.0.1 already took 2 of 3 prefix tokens; one more host in the /24 takes the last.
  assert.deepEqual(
    [rule(p.decide(req('10.0.0.2'), view, T0)), rule(p.decide(req('10.0.0.3'), view, T0))],
    [null, 'limit/prefix'],
  );
  // fingerprint: same browser shape from other prefixes.
  const fp = [1, 2, 3, 4, 5].map((i) => rule(p.decide(req(`10.0.${i}.1`), view, T0)));
  assert.deepEqual(
    fp,
    [null, 'limit/fingerprint', 'limit/fingerprint', 'limit/fingerprint', 'limit/fingerprint'],
    'fingerprint 0xabc: 3 of 4 tokens spent above (requests refused earlier take none)',
  );
  // login: its own bucket, 1 burst at 6/m → Retry-After 10 s.
  const l = [
    p.decide(req('10.9.0.1', '/login', { fingerprint: 1 }), view, T0),
    p.decide(req('10.9.0.1', '/login', { fingerprint: 2 }), view, T0),
  ];
  assert.deepEqual([rule(l[0]), rule(l[1]), l[1]?.retryAfter], [null, 'limit/login', 10]);
  // api: all clients together, 5 at once then 1/s.
  const api = Array.from({ length: 6 }, (_, i) =>
    rule(p.decide(req(`10.20.${i}.1`, '/api/x', { fingerprint: i + 100 }), view, T0)),
  );
  assert.deepEqual(api, [null, null, null, null, null, 'limit/api.route']);
  assert.equal(p.decide(req('10.20.9.1', '/api/x', { fingerprint: 999 }), view, T0 + 1000), null, 'refilled after 1 s');
  const s = p.limitStats()!;
  assert.ok(s.tracked.address >= 3 && s.bytes > 0);
});

test('a class that inherits shares the default bucket; a class with its own limit does not', () => {
  const view = new View();
  const p = policyOf({
    rate_limits: {
      default: { address: { rate: '1/s', burst: 2 }, prefix: 'off' },
      classes: { static: { address: { rate: '1/s', burst: 2 } } },
    },
  });
  assert.equal(p.decide(req('10.1.1.1', '/'), view, T0), null);
  assert.equal(p.decide(req('10.1.1.1', '/api/a'), view, T0), null);
  assert.equal(
    rule(p.decide(req('10.1.1.1', '/admin'), view, T0)),
    'limit/address',
    'page, api and sensitive share one budget',
  );
  assert.equal(p.decide(req('10.1.1.1', '/a.css'), view, T0), null, 'static has its own');
});

test('mitigations: take effect on the next decision after version() changes and stop at until', () => {
  const view = new View();
  const p = policyOf({ rate_limits: { enabled: false } });
  assert.equal(p.decide(req('10.5.5.5', '/search'), view, T0), null);
  view.put(
    { id: 'm1', action: 'deny', rule: 'mitigate/deny-signature', until: T0 + 10_000 },
    { prefixKeys: [0x0a050500] },
  );
  assert.equal(rule(p.decide(req('10.5.5.5', '/search'), view, T0)), 'mitigate/deny-signature');
  assert.equal(p.decide(req('10.6.5.5', '/search'), view, T0), null, 'other prefix unaffected');
  assert.equal(p.decide(req('10.5.5.5', '/search'), view, T0 + 10_000), null, 'stopped at until');
  view.put(
    { id: 'm2', action: 'limit', rule: 'mitigate/limit-signature', rate: 2 },
    { routeClasses: ['page'], paths: ['/search'] },
  );
  const out = [0, 1, 2].map(() => rule(p.decide(req('10.7.0.1', '/search'), view, T0 + 20_000)));
  assert.deepEqual(out, [null, null, 'mitigate/limit-signature']);
  assert.equal(p.decide(req('10.7.0.1', '/'), view, T0 + 20_000), null, 'a path outside the signature');
  view.put(
    { id: 'm3', action: 'challenge', rule: 'mitigate/challenge-route' },
    { routeClasses: ['page'], unverifiedOnly: true },
  );
  const ch = p.decide(req('10.8.0.1', '/'), view, T0 + 20_000);
  assert.deepEqual([ch?.rule, ch?.action], ['mitigate/challenge-route', 'challenge']);
});

test('unverifiedOnly: with a verifier verified clients pass; without one a deny becomes a challenge and a limit applies to all', () => {
  const view = new View();
  view.put({ id: 'u', action: 'deny', rule: 'mitigate/deny-unverified' }, { unverifiedOnly: true, paths: ['/d'] });
  view.put(
    { id: 'l', action: 'limit', rule: 'mitigate/limit-signature', rate: 1 },
    { unverifiedOnly: true, paths: ['/l'] },
  );
  const withCheck = policyOf({ rate_limits: { enabled: false } }, { verified: (c) => c.req.headers.cookie === 'ok' });
  const passHolder = () => req('10.0.0.9', '/d', { req: { headers: { cookie: 'ok' } } as Req });
  assert.equal(withCheck.decide(passHolder(), view, T0), null);
  assert.equal(rule(withCheck.decide(req('10.0.0.9', '/d'), view, T0)), 'mitigate/deny-unverified');
  const without = policyOf({ rate_limits: { enabled: false } });
  const d = without.decide(req('10.0.0.9', '/d'), view, T0);
  assert.deepEqual([d?.rule, d?.action], ['mitigate/deny-unverified', 'challenge']);
  assert.deepEqual(
    [0, 1].map(() => rule(without.decide(req('10.0.0.8', '/l'), view, T0))),
    [null, 'mitigate/limit-signature'],
  );
});

test('stage: enforce refuses and counts; challenge sets challengeRequired; observe refuses nothing but records', () => {
  const view = new View();
  const p = policyOf({ deny: ['10.66.0.0/16'] });
  const stage = createPolicyStage(p, view, () => T0);
  const denied = req('10.66.1.1');
  assert.equal(rule(stage.run(denied) as never), 'deny/list');
  view.put({ id: 'c', action: 'challenge', rule: 'mitigate/challenge-route' }, { paths: ['/x'] });
  const c = req('10.1.1.1', '/x');
  assert.equal(stage.run(c), null);
  assert.equal(c.challengeRequired, true);
  assert.equal(c.askedBy, 'mitigate/challenge-route', 'what asked, for the access log');
  view.enf = 'observe';
  const d2 = req('10.66.1.2');
  assert.equal(stage.run(d2), null, 'observe: not refused');
  assert.equal(d2.shadowRule, 'deny/list');
  const c2 = req('10.1.1.2', '/x');
  assert.equal(stage.run(c2), null);
  assert.deepEqual([c2.challengeRequired, c2.shadowRule], [false, 'mitigate/challenge-route']);
  const s = stage.stats();
  assert.deepEqual(
    [s.refused, s.wouldRefuse, s.challenged],
    [{ 'deny/list': 1 }, { 'deny/list': 1, 'mitigate/challenge-route': 1 }, { 'mitigate/challenge-route': 1 }],
  );
});

test('IPv6 clients: allow and deny lists by prefix, bans by address', () => {
  const view = new View();
  view.bansList.push({
    target: '2001:db8:9::5',
    rule: 'ban/manual',
    createdAt: T0,
    until: T0 + 1e6,
    reason: '',
    source: 'manual',
  });
  const p = policyOf({ allow: ['2001:db8:1::/48'], deny: ['2001:db8::/32'] });
  const v6 = (ip: string) =>
    Object.assign(req('0.0.0.1'), { clientIp: ip, clientKey: 0x80000001, prefixKey: 0x80000002 });
  assert.equal(rule(p.decide(v6('2001:db8:1::7'), view, T0)), 'allow/list', 'the /48 allow wins over the /32 deny');
  assert.equal(rule(p.decide(v6('2001:db8:2::7'), view, T0)), 'deny/list');
  assert.equal(rule(policyOf({}).decide(v6('2001:db8:9::5'), view, T0)), 'ban/manual');
  assert.equal(policyOf({}).decide(v6('2001:db8:9::6'), view, T0), null);
});

test('a reloaded policy keeps the buckets of the one it replaces (same table size)', () => {
  const view = new View();
  const raw = { rate_limits: { default: { address: { rate: '1/m', burst: 2 }, prefix: 'off' } } };
  const first = policyOf(raw);
  const ask = (p: ReturnType<typeof policyOf>) => rule(p.decide(req('10.2.3.4'), view, T0));
  assert.deepEqual([ask(first), ask(first), ask(first)], [null, null, 'limit/address']);
  const reloaded = policyOf({ ...raw, deny: ['192.0.2.0/24'] }, { previous: first });
  assert.equal(ask(reloaded), 'limit/address', 'still limited after the reload');
  const resized = policyOf({ rate_limits: { ...raw.rate_limits, tracked: 2048 } }, { previous: reloaded });
  assert.equal(ask(resized), null, 'a new table size starts afresh');
});

test('a mitigation of moved cookie jars asks the challenge of the requests whose jar moved between User-Agents only, known clients included (the challenge stage lets a pass through)', () => {
  const p = policyOf({});
  const view = new View();
  view.put({ id: 'm', action: 'challenge', rule: 'mitigate/challenge-moved' }, { moved: true, unverifiedOnly: true });
  const jar = req('198.51.100.7', '/news/1', { cookieMoved: true, seenAt: T0 - 3_600_000 });
  assert.equal(
    rule(p.decide(jar, view, T0)),
    'mitigate/challenge-moved',
    'a jar known for an hour is still one that moved',
  );
  assert.equal(p.decide(req('198.51.100.8', '/news/1'), view, T0), null, 'a browser that keeps its User-Agent passes');
});

test('a mitigation of novel query names: the book is asked only while one is live, once per request, and only its matches are challenged', () => {
  const asked: string[] = [];
  const novelQuery = (q: string) => {
    asked.push(q);
    return q.includes('x8fj2');
  };
  const p = policyOf({}, { novelQuery });
  const view = new View();
  assert.equal(p.decide(req('198.51.100.7', '/', { query: 'x8fj2' }), view, T0), null);
  assert.deepEqual(asked, [], 'no such mitigation: the names are never looked at');
  view.put({ id: 'n', action: 'challenge', rule: 'mitigate/challenge-names' }, { novelNames: true });
  view.put({ id: 'n2', action: 'limit', rule: 'mitigate/limit-names', rate: 100 }, { novelNames: true });
  const random = req('198.51.100.7', '/', { query: 'x8fj2' });
  assert.equal(rule(p.decide(random, view, T0 + 1)), 'mitigate/challenge-names');
  assert.equal(random.novelName, 1);
  assert.deepEqual(asked, ['x8fj2'], 'two such mitigations, one look');
  const site = req('198.51.100.7', '/search', { query: 'q=water' });
  assert.equal(p.decide(site, view, T0 + 2), null);
  assert.equal(site.novelName, 2);
  const bare = req('198.51.100.7', '/');
  assert.equal(p.decide(bare, view, T0 + 3), null, 'no query: no novel name');
  assert.deepEqual(asked, ['x8fj2', 'q=water'], 'a request without a query asks nothing');
  const blind = policyOf({});
  assert.equal(
    blind.decide(req('198.51.100.7', '/', { query: 'x8fj2' }), view, T0 + 4),
    null,
    'no book: matches nothing',
  );
});
