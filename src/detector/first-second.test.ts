// Defending from the first second (issue "Defend from the first second"), on
// synthetic traces with a driven clock: provisional detection on a young
// baseline, an attack already running when the detector starts, the surge
// start and "known" relative to it, armed pulses, identifier walks on a route
// nobody declared sensitive. Clients here behave as identity reports them:
// people return the seen cookie, floods drop it (core/model CLIENT_*).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { camelize } from '../config/camelize.js';
import { detectorSchema } from '../config/schema/detector.js';
import { CLIENT_COOKIE, CLIENT_FRESH, CLIENT_IGNORED } from '../core/model.js';
import { createMemoryState } from '../state/memory.js';
import { createDetector } from './detector.js';
import { driveDetector, T0 } from './drive.test.js';
import { fact, rng } from './trace.js';
import type { Observed } from './window.js';

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/** People: 60 regulars who keep the cookie (first seen at `since`), a page and its assets now and then. */
function people(r: () => number, sec: number, out: Observed[], since = T0, n = 60): void {
  for (let p = 0; p < n; p++) {
    if (r() > 0.3) continue;
    const src = 0x0a000100 + p;
    const first = sec * 1000 + T0 - since < 1000 && p % 3 === 0; // a third arrive in the first second
    out.push(
      fact(src, `/news/${p % 9}`, { ua: CHROME, clientState: first ? CLIENT_FRESH : CLIENT_COOKIE, seenAt: since }),
    );
    for (let k = 0; k < 2; k++)
      out.push(
        fact(src, '/static/site.css', {
          ua: CHROME,
          routeClass: 'static',
          clientState: CLIENT_COOKIE,
          seenAt: since,
          originMs: 2,
        }),
      );
  }
}

/** A flood of browser-claiming clients that drop the cookie: first seen at `firstSec`, fresh then ignored. */
function flood(sec: number, firstSec: number, out: Observed[], sources = 1500, rps = 1500): void {
  for (let i = 0; i < rps; i++) {
    const s = i % sources;
    out.push(
      fact(0xac100000 + s * 13, '/', {
        ua: CHROME,
        clientState: sec === firstSec ? CLIENT_FRESH : CLIENT_IGNORED,
        seenAt: T0 + firstSec * 1000,
      }),
    );
  }
}

function run(
  seconds: number,
  traffic: (sec: number, r: () => number, out: Observed[]) => void,
  overrides: Record<string, unknown> = {},
) {
  return driveDetector(seconds, traffic, { overrides });
}

test('provisional detection: ten seconds after the start, a flood is an attack in its first second (a young baseline, wider margins)', () => {
  const d = run(16, (sec, r, out) => {
    people(r, sec, out);
    if (sec >= 10) flood(sec, 10, out);
  });
  assert.equal(d.startSecond, 10, 'the first flood second');
  assert.ok(
    d.start!.vectors.some((v) => v.vector === 'distributed_flood'),
    JSON.stringify(d.start!.vectors),
  );
  assert.ok(!d.detector.snapshot().warm, 'not warm: detected on a provisional baseline');
  const check = d.actions.find((a) => a.action.rule === 'mitigate/check-cookie');
  assert.ok(check, 'the cookie check at once');
  const since = check.action.mitigation!.match.newSince!;
  assert.ok(
    since <= T0 + 10_000 && since >= T0 + 8_000,
    `the surge began just before the flood: ${(since - T0) / 1000} s`,
  );
  assert.ok(
    d.actions.some((a) => a.action.rule === 'mitigate/limit-new'),
    "the new clients brought the excess: limited at a person's pace",
  );
});

test('provisional detection: a newsletter of people (new readers load the page and its assets with the cookie) ten seconds after the start is no attack', () => {
  const d = run(40, (sec, r, out) => {
    people(r, sec, out);
    if (sec >= 10 && sec < 25) {
      for (let i = 0; i < 40; i++) {
        const src = 0x0b000000 + sec * 100 + i;
        const at = T0 + sec * 1000;
        out.push(
          fact(src, '/news/appeal', {
            ua: CHROME,
            clientState: CLIENT_FRESH,
            seenAt: at,
            query: 'utm_source=newsletter',
          }),
        );
        for (let k = 0; k < 4; k++)
          out.push(
            fact(src, `/static/a${k}.js`, {
              ua: CHROME,
              routeClass: 'static',
              clientState: CLIENT_COOKIE,
              seenAt: at,
              originMs: 2,
            }),
          );
      }
    }
  });
  assert.equal(d.start, undefined, `attack: ${JSON.stringify(d.start?.vectors)}`);
  assert.equal(d.state.mitigations().length, 0);
});

test('already running at start: browsers dropping the cookie from the first second are an attack within three seconds, with no baseline at all', () => {
  const d = run(10, (sec, r, out) => {
    people(r, sec, out);
    flood(sec, 0, out);
  });
  assert.ok(d.startSecond >= 0 && d.startSecond <= 3, `start ${d.startSecond}`);
  assert.match(d.start!.vectors.map((v) => v.reason).join(' '), /drop the cookie/);
  const check = d.actions.find((a) => a.action.rule === 'mitigate/check-cookie')!;
  assert.ok(check.action.mitigation!.match.cookieless);
  assert.equal(
    check.action.mitigation!.match.newSince,
    T0,
    "nothing was seen before the detector started: its start is the surge's",
  );
  assert.equal(d.detector.snapshot().baseline.learnedSeconds, 0, 'nothing of the attack was learned as normal');
});

test('already running at start: with no learned volume, the surge new clients are challenged at once sparing persons (level 3, the cookie and assets checks first), and nothing widens past it without distress', () => {
  const d = run(20, (sec, r, out) => {
    people(r, sec, out);
    flood(sec, 0, out);
  });
  const levels = d.actions.filter((a) => a.action.kind === 'mitigation').map((a) => a.action.level);
  assert.ok(
    levels.every((l) => l <= 3),
    `no challenge of everyone without distress: levels ${levels.join(',')}`,
  );
  const fresh = d.actions.find((a) => a.action.rule === 'mitigate/challenge-new');
  assert.equal(fresh?.action.mitigation?.match.sparesPersons, true);
  assert.match(fresh!.action.reason, /people are known only by their assets mark/);
  assert.notEqual(d.state.mode(), 'under_attack');
});

test('known relative to the surge: the surge starts after the people and before the flood; new clients bring the excess', () => {
  const d = run(70, (sec, r, out) => {
    people(r, sec, out);
    if (sec >= 60) flood(sec, 60, out);
  });
  const m = d.actions.find((a) => a.action.rule === 'mitigate/limit-new')!;
  const since = m.action.mitigation!.match.newSince!;
  assert.ok(
    since > T0 && since <= T0 + 60_000,
    `surge since ${(since - T0) / 1000} s: after the people (first seen at 0 s), not after the flood's first second`,
  );
  assert.ok(m.action.figures.newShare >= 0.9, `new share ${m.action.figures.newShare}`);
});

test('armed pulses: after the first burst the mitigations stay through the quiet phase, and a burst 10 s later meets them in its first second', () => {
  const on = (sec: number) => sec >= 60 && (sec - 60) % 15 < 5;
  let armedAtSecondBurst = -1;
  let t = T0;
  const state = createMemoryState({ now: () => t });
  const detector = createDetector(camelize(detectorSchema.parse({})), { state });
  const r = rng(3);
  for (let sec = 0; sec < 110; sec++) {
    const out: Observed[] = [];
    people(r, sec, out);
    if (on(sec)) flood(sec, 60, out);
    if (sec === 75) armedAtSecondBurst = state.mitigations().filter((m) => m.action === 'check').length;
    for (const o of out) detector.observe(o);
    t = T0 + (sec + 1) * 1000;
    detector.tick(t);
  }
  assert.equal(armedAtSecondBurst, 1, 'the cookie check is in force when the second burst begins');
  const inc = detector.snapshot().incident!;
  assert.ok(inc, 'one incident through the pulses');
  const pw = inc.vectors.find((v) => v.vector === 'pulse_wave');
  assert.ok(pw && pw.figures.bursts >= 3 && pw.figures.periodSeconds === 15, JSON.stringify(pw));
});

test('identifier walk on a route of the default class: named by its template, the walkers banned, with no volume anomaly', () => {
  const d = run(80, (sec, r, out) => {
    people(r, sec, out);
    if (sec >= 60)
      for (let w = 0; w < 3; w++)
        for (let k = 0; k < 6; k++)
          out.push(
            fact(0xc6336400 + w, `/api/donors/${1000 + w * 10_000 + (sec - 60) * 6 + k}`, {
              routeClass: 'api',
              ua: 'python-requests/2.31',
              clientState: CLIENT_COOKIE,
              seenAt: T0 + 60_000,
            }),
          );
  });
  assert.ok(d.start, 'an incident');
  const v = d.start.vectors.find((x) => x.vector === 'enumeration')!;
  assert.deepEqual(v.templates, ['/api/donors/{id}']);
  assert.ok(d.startSecond <= 66, `found within the walk's first seconds: ${d.startSecond}`);
  const bans = d.actions.filter((a) => a.action.rule === 'ban/auto-enumeration').map((a) => a.action.ban!.target);
  assert.deepEqual(bans.sort(), ['198.51.100.0', '198.51.100.1', '198.51.100.2']);
  assert.ok(
    d.actions.every((a) => a.action.kind === 'ban'),
    "bans alone: no challenge for the site's readers",
  );
});

test('already running at start: a login form stuffed by clients whose first request is the post is an attack within three seconds', () => {
  const d = run(10, (sec, r, out) => {
    people(r, sec, out);
    for (let i = 0; i < 300; i++)
      out.push(
        fact(0xac200000 + sec * 300 + i, '/login', {
          routeClass: 'login',
          method: 'POST',
          contentType: 'application/x-www-form-urlencoded',
          ua: 'python-requests/2.31',
          status: 401,
          clientState: CLIENT_FRESH,
          seenAt: T0 + sec * 1000,
        }),
      );
  });
  assert.ok(d.startSecond >= 0 && d.startSecond <= 3, `start ${d.startSecond}`);
  assert.ok(
    d.start!.vectors.some((v) => v.vector === 'login_stuffing'),
    JSON.stringify(d.start!.vectors),
  );
  assert.ok(
    d.events.some((e) => e.type === 'attack_update' && e.signature.routeClasses.some((c) => c.name === 'login')),
    'named on the login route',
  );
  assert.equal(d.detector.snapshot().baseline.learnedSeconds, 0, 'none of it learned as normal');
});

/** `n` browser-claiming clients (numbered from `from`) posting the donation form: as their first request, or with the cookie. */
function formPosts(out: Observed[], from: number, n: number, first: boolean, sec: number): void {
  for (let i = 0; i < n; i++)
    out.push(
      fact(0xac500000 + from + i, '/donate', {
        routeClass: 'donate',
        method: 'POST',
        contentType: 'application/x-www-form-urlencoded',
        ua: CHROME,
        clientState: first ? CLIENT_FRESH : CLIENT_COOKIE,
        seenAt: T0 + sec * 1000,
      }),
    );
}

test('a crowd posting a form as its first request, just under the one-second count for two seconds: an attack on the second, though it then keeps its cookies', () => {
  // 17 and 18 first-request posts (min_rps 20: 20 in one second need no streak), then the same 35 clients
  // post with the cookie they were given: the unlike-people tests fire two seconds only, never three.
  const d = run(12, (sec, r, out) => {
    people(r, sec, out);
    if (sec === 5) formPosts(out, 0, 17, true, 5);
    if (sec === 6) formPosts(out, 17, 18, true, 6);
    if (sec >= 7) formPosts(out, 0, 35, false, 5);
  });
  assert.equal(d.startSecond, 6, 'the second second: 17 + 18 ≥ 20');
  assert.equal(d.start!.sample.clients.formFresh, 18);
});

test('a run of such seconds ends at a second without them: 17 first-request posts, a second of people alone, 17 more, is no attack', () => {
  const d = run(12, (sec, r, out) => {
    people(r, sec, out);
    if (sec === 5) formPosts(out, 0, 17, true, 5);
    if (sec === 7) formPosts(out, 17, 17, true, 7);
  });
  assert.equal(d.start, undefined, 'the weights of the first run are not carried past the second without them');
});

test('a young detector does not learn a crowd of first requests: a low-and-slow crowd already coming at the start is not its normal', () => {
  const d = run(30, (sec, r, out) => {
    people(r, sec, out);
    // 3,000 sources each coming once every 15 s: every request a first one for 15 s.
    for (let i = 0; i < 200; i++)
      out.push(
        fact(0xac300000 + ((sec * 200 + i) % 3000), '/search', {
          ua: CHROME,
          query: `q=${i % 7}`,
          clientState: sec < 15 ? CLIENT_FRESH : CLIENT_IGNORED,
          seenAt: T0 + (sec % 15) * 1000,
        }),
      );
  });
  assert.ok(d.start, 'an attack once its sources come back without the cookie');
  assert.ok(
    d.detector.snapshot().baseline.rps < 100,
    `the crowd's rate was not learned: baseline ${d.detector.snapshot().baseline.rps}`,
  );
  const check = d.actions.find((a) => a.action.rule === 'mitigate/check-cookie')!;
  assert.ok(
    check.action.mitigation!.match.newSince! <= T0 + 1000,
    'the crowd of the last minute is "new": the check covers it',
  );
});

test('a surge whose new clients keep their cookies: past the cookie check, they are challenged at once, the clients known before it are not', () => {
  const d = run(70, (sec, r, out) => {
    people(r, sec, out);
    cookieCrowd(sec, out, 60);
  });
  const rules = d.actions
    .filter((a) => a.action.kind === 'mitigation')
    .map((a) => `${a.action.rule}@${(a.at - T0) / 1000}`);
  const fast = d.actions.find((a) => a.action.rule === 'mitigate/challenge-new')!;
  assert.ok(fast, rules.join(' '));
  assert.ok(fast.at - T0 <= 63_000, `challenged within two seconds of the start: ${rules.join(' ')}`);
  assert.match(fast.action.reason, /keep their cookies/);
  assert.ok(
    fast.action.mitigation!.match.newSince! > T0 && fast.action.mitigation!.match.newSince! <= T0 + 60_000,
    'the people first seen before the surge are not challenged',
  );
  assert.equal(fast.action.mitigation!.match.sparesPersons, undefined, 'a minute of watching knows its people');
});

/**
 * From second `from`: `rps` requests a second from `sources` browsers copying one (addresses from `base`)
 * that keep cookies (their first request is fresh, every later one carries the cookie), asking `path(k)`
 * (k counts the crowd's requests), answered `status` by the origin in `originMs` (trace.ts defaults).
 */
function cookieKeepers(
  sec: number,
  from: number,
  out: Observed[],
  o: { sources: number; rps: number; base: number; path?: (k: number) => string; status?: number; originMs?: number },
): void {
  if (sec < from) return;
  for (let i = 0; i < o.rps; i++)
    out.push(
      fact(o.base + (i % o.sources) * 13, o.path?.(sec * o.rps + i) ?? '/', {
        ua: CHROME,
        status: o.status,
        originMs: o.originMs,
        clientState: sec === from ? CLIENT_FRESH : CLIENT_COOKIE,
        seenAt: T0 + from * 1000,
      }),
    );
}

/** From second `from`: 1,500 browsers on '/' that keep cookies, answered by the origin in `originMs` when given. */
const cookieCrowd = (sec: number, out: Observed[], from: number, originMs?: number) =>
  cookieKeepers(sec, from, out, { sources: 1500, rps: 1500, base: 0xac400000, originMs });

test('the same surge five seconds after a first start, the origin hurting: the challenge of new clients also spares those whose cookie says they loaded a page assets', () => {
  const d = run(10, (sec, r, out) => {
    people(r, sec, out);
    cookieCrowd(sec, out, 5, 2500);
  });
  const fast = d.actions.find((a) => a.action.rule === 'mitigate/challenge-new');
  assert.equal(fast?.action.mitigation?.match.sparesPersons, true);
  assert.match(fast!.action.reason, /except those that loaded a page's assets/);
  const limit = d.actions.find((a) => a.action.rule === 'mitigate/limit-new');
  assert.equal(limit?.action.mitigation?.match.sparesPersons, undefined, "a person's pace applies to everyone new");
});

/** 40 clients that keep their cookies and read like people (pages and assets), each ~1.35 requests a second, from `at` on. */
function crowd(
  sec: number,
  at: number,
  r: () => number,
  out: Observed[],
  agents: readonly { fp: number; ua: string }[],
): void {
  for (let i = 0; i < 40; i++) {
    const a = agents[i % agents.length];
    const src = 0xac500000 + i * 13;
    const o = { ua: a.ua, fp: a.fp, clientState: sec === at ? CLIENT_FRESH : CLIENT_COOKIE, seenAt: T0 + at * 1000 };
    if (r() < 0.45) {
      out.push(fact(src, `/news/${i % 9}`, o));
      out.push(
        fact(src, '/static/site.css', { ...o, routeClass: 'static' }),
        fact(src, '/static/app.js', { ...o, routeClass: 'static' }),
      );
    }
  }
}

test('tools the site never sees, rotating their User-Agent, that double the traffic while reading like people: an attack in its first seconds; browsers doing the same are not', () => {
  const TOOLS = [
    { fp: 0x7001, ua: 'curl/8.5.0' },
    { fp: 0x7002, ua: 'python-requests/2.31.0' },
    { fp: 0x7003, ua: 'Go-http-client/1.1' },
    { fp: 0x7004, ua: 'Wget/1.21.4' },
  ];
  const tools = run(140, (sec, r, out) => {
    people(r, sec, out);
    if (sec >= 130) crowd(sec, 130, r, out, TOOLS);
  });
  assert.ok(tools.start, 'an attack');
  assert.ok(tools.startSecond >= 130 && tools.startSecond <= 132, `started at ${tools.startSecond}`);
  const blamed = tools.start!.signature.fingerprints.filter((f) => f.suspicious).map((f) => f.family);
  assert.ok(blamed.length >= 3, `the tools are its signature: ${blamed.join(' ')}`);
  assert.ok(!blamed.includes('chrome'), `the people's browser is not: ${blamed.join(' ')}`);
  const browsers = run(140, (sec, r, out) => {
    people(r, sec, out);
    if (sec >= 130) crowd(sec, 130, r, out, [{ fp: 0x1a2b3c01, ua: CHROME }]);
  });
  assert.equal(browsers.startSecond, -1, 'people who double the traffic are no attack');
});

test('ten seconds after a first start, a crowd dropping its cookies: what reaches cookie-returning clients spares the people browsing since the start by their assets mark, not by ten seconds of seniority; the cookie check covers the minute', () => {
  const d = run(25, (sec, r, out) => {
    people(r, sec, out);
    if (sec >= 10) flood(sec, 10, out, 60, 60);
  });
  assert.ok(d.start, 'an attack');
  const withSince = d.actions.filter((a) => (a.action.mitigation?.match.newSince ?? 0) > 0);
  const at = (a: (typeof withSince)[number]) =>
    `${a.action.rule} new since ${(a.action.mitigation!.match.newSince! - T0) / 1000}s`;
  const check = withSince.find((a) => a.action.rule === 'mitigate/check-cookie');
  assert.ok(
    check && check.action.mitigation!.match.newSince! <= T0 + 1000,
    `the check (cookieless clients only) covers everyone since the start: ${withSince.map(at).join('; ')}`,
  );
  const reaching = withSince.filter((a) => a.action.rule !== 'mitigate/check-cookie');
  assert.ok(reaching.length > 0, d.actions.map((a) => a.action.rule).join(' '));
  for (const a of reaching) {
    assert.ok(
      a.action.mitigation!.match.newSince! <= T0 + 1000,
      `${at(a)}: the crowd's first seconds are the same crowd's: new since the start`,
    );
    if (a.action.rule !== 'mitigate/limit-new')
      assert.equal(a.action.mitigation!.match.sparesPersons, true, `${at(a)}: people are known by their assets`);
  }
});

/** Started into a crowd of cookie-keeping browsers that never load an asset; the origin sheds a third of it. People carry the assets mark when `marked`. */
/** The origin's answer to a third of the crowd: shed by admission (503), queued for a slot first, or neither. */
type OriginState = 'shed' | 'queued' | 'fine';

function assetlessCrowd(marked: boolean, origin: OriginState = 'shed') {
  return run(8, (sec, r, out) => {
    const mine: Observed[] = [];
    people(r, sec, mine);
    for (const o of mine) o.personLike = marked && sec > 0;
    out.push(...mine);
    for (let i = 0; i < 1500; i++) {
      const shed = origin === 'shed' && i % 3 === 0;
      out.push({
        ...fact(0xac600000 + i * 13, '/search', {
          ua: CHROME,
          clientState: sec === 0 ? CLIENT_FRESH : CLIENT_COOKIE,
          seenAt: T0,
          verdict: shed ? { rule: 'origin/shed', action: 'limit' } : undefined,
          status: shed ? 503 : 200,
          originMs: shed ? -1 : 300,
        }),
        queued: origin === 'queued' && i % 3 === 0,
      });
    }
  });
}

test('already running at start: a crowd of cookie-keeping browsers that load no assets while the origin sheds is an attack in its first seconds; the challenge of new clients spares the people by their assets mark', () => {
  const d = assetlessCrowd(true);
  assert.ok(d.start, 'an incident opens');
  assert.ok(d.startSecond <= 3, `within three seconds (second ${d.startSecond})`);
  const why = d.start!.vectors.map((v) => v.reason).join('; ');
  assert.match(why, /never loaded a page's assets/);
  const challenge = d.actions.find((a) => a.action.rule === 'mitigate/challenge-new');
  assert.equal(challenge?.action.mitigation?.match.sparesPersons, true);
});

test('already running at start: the same crowd while admission queues a third of what it forwards (the origin at its concurrency limit, at 300 ms, nothing shed yet) is an attack as soon as people carry the mark; with the origin unhurt it is not', () => {
  const queued = assetlessCrowd(true, 'queued');
  assert.notEqual(queued.start, undefined, 'an incident opens');
  assert.equal(queued.startSecond, 1, 'in the first second where a person carries the mark');
  assert.equal(queued.start!.sample.queued, 500);
  assert.match(queued.start!.vectors.map((v) => v.reason).join('; '), /0 shed, 500 queued for a slot/);
  assert.equal(assetlessCrowd(true, 'fine').start, undefined, 'no distress, no evidence from assets alone');
});

test('the same crowd on a site whose pages load no asset through Rampart (nobody carries the mark): no evidence from assets alone', () => {
  const d = assetlessCrowd(false);
  assert.equal(d.start, undefined, 'the origin in distress alone is no evidence');
});

test('a young surge the narrow levels do not stop (the origin stays slow): the top level challenges every unverified client but those that loaded a page assets', () => {
  const d = run(16, (sec, r, out) => {
    people(r, sec, out);
    cookieCrowd(sec, out, 5, 2500);
  });
  const all = d.actions.find((a) => a.action.rule === 'mitigate/challenge-all');
  assert.ok(all, 'widened to the top level');
  assert.equal(all!.action.mitigation?.match.sparesPersons, true);
  const since = all!.action.mitigation?.match.newSince ?? 0;
  assert.ok(since >= T0 + 4000 && since <= T0 + 5000, `everyone first seen since the volume rise: ${since - T0} ms`);
  assert.match(all!.action.reason, /except those that loaded a page's assets/);
});

const CHECKS = {
  cookie: { status: 307, verdict: { rule: 'challenge/cookie', action: 'serve' } },
  mark: { status: 403, verdict: { rule: 'challenge/mark', action: 'serve' } },
} as const;

/**
 * 200 new browser-claiming clients a second from `at`, each sent the cookie check (307) or, asking for a
 * page, the assets check with the cookie (`check`); `follow`: they come back with the cookie at once, and
 * load the page's assets.
 */
function checkedCrowd(sec: number, at: number, follow: boolean, out: Observed[], check: keyof typeof CHECKS): void {
  if (sec < at) return;
  const seenAt = T0 + sec * 1000;
  for (let i = 0; i < 200; i++) {
    const src = 0x0c000000 + sec * 1000 + i;
    out.push(fact(src, '/news/appeal', { ua: CHROME, clientState: CLIENT_FRESH, seenAt, ...CHECKS[check] }));
    if (!follow) continue;
    out.push(fact(src, '/news/appeal', { ua: CHROME, clientState: CLIENT_COOKIE, seenAt }));
    for (let k = 0; k < 3; k++)
      out.push(
        fact(src, `/static/a${k}.css`, { ua: CHROME, routeClass: 'static', clientState: CLIENT_COOKIE, seenAt }),
      );
  }
}

for (const check of ['cookie', 'mark'] as const) {
  test(`ten seconds after a first start, a crowd of browser-claiming clients that never follow the ${check} check (each sends one request in 15 s) is an attack in its first second`, () => {
    const d = run(16, (sec, r, out) => {
      people(r, sec, out);
      checkedCrowd(sec, 10, false, out, check);
    });
    assert.ok(d.start, 'an incident opens');
    assert.equal(d.startSecond, 10, 'in the crowd first second');
    assert.match(d.start!.vectors.map((v) => v.reason).join('; '), /200\/s cookie checks sent .*, 0\/s requests back/);
    assert.ok(d.actions.some((a) => a.action.rule === 'mitigate/check-cookie'));
  });

  test(`the same number of new readers who follow the ${check} check and load the page: no attack`, () => {
    const d = run(25, (sec, r, out) => {
      people(r, sec, out);
      if (sec < 20) checkedCrowd(sec, 10, true, out, check);
    });
    assert.equal(d.start, undefined, `attack: ${JSON.stringify(d.start?.vectors)}`);
  });
}

test('five seconds after a first start, a crowd that keeps its cookies and that the origin absorbs (no distress): ten times the forwarded rate learned so far widens against it', () => {
  const d = run(12, (sec, r, out) => {
    people(r, sec, out);
    if (sec >= 5)
      for (let i = 0; i < 1500; i++)
        out.push(
          fact(0xac400000 + i * 13, `/search`, {
            ua: CHROME,
            query: `q=${sec}-${i}`,
            clientState: sec === 5 ? CLIENT_FRESH : CLIENT_COOKIE,
            seenAt: T0 + 5000,
          }),
        );
  });
  assert.ok(d.start, 'an incident opens');
  const levels = d.actions.filter((a) => a.action.kind === 'mitigation').map((a) => a.action.level);
  assert.ok(
    levels.some((l) => l >= 3),
    `widened past the signature: levels ${levels.join(',')}`,
  );
});

/**
 * People who carry the assets mark (a page and its stylesheet a second), 60 of them in a burst at the
 * start (second 1: their first pages at once), and from `at` a crowd of 80 cookie-keeping browsers
 * asking for '/' 5 times a second each, `assets`: loading the stylesheet with each page (marked), or not.
 */
function markedPeopleAndCrowd(sec: number, out: Observed[], at: number, assets: boolean): void {
  const n = sec === 1 ? 60 : 10;
  for (let p = 0; p < n; p++) {
    const src = 0x0a000300 + ((sec * 7 + p) % 60);
    out.push(fact(src, `/news/${p % 9}`, { ua: CHROME, clientState: CLIENT_COOKIE, seenAt: T0, personLike: true }));
    out.push(
      fact(src, '/static/site.css', {
        ua: CHROME,
        routeClass: 'static',
        clientState: CLIENT_COOKIE,
        seenAt: T0,
        personLike: true,
      }),
    );
  }
  if (sec < at) return;
  for (let i = 0; i < 80; i++)
    for (let k = 0; k < 5; k++) {
      const src = 0xac500000 + i * 13;
      const seen = { ua: CHROME, clientState: CLIENT_COOKIE, seenAt: T0 + at * 1000, personLike: assets };
      out.push(fact(src, '/', seen));
      if (assets) out.push(fact(src, '/static/site.css', { ...seen, routeClass: 'static' }));
    }
}

test('nine seconds after a first start with a burst in it, a cookie-keeping crowd asking for pages without their assets at 20 times the rate is an attack; one loading them is not', () => {
  const bare = run(16, (sec, _r, out) => markedPeopleAndCrowd(sec, out, 9, false));
  assert.ok(bare.start, 'an incident opens');
  assert.ok(bare.startSecond <= 10, `within two seconds of the crowd (second ${bare.startSecond})`);
  const readers = run(16, (sec, _r, out) => markedPeopleAndCrowd(sec, out, 9, true));
  assert.equal(readers.start, undefined, `attack: ${JSON.stringify(readers.start?.vectors)}`);
});

test('a crowd of new clients posting the donate form as their first request: the form route challenges them in the tick the attack starts, the people known before it keep their posts', () => {
  const d = run(64, (sec, r, out) => {
    people(r, sec, out);
    if (sec < 60) return;
    for (let i = 0; i < 600; i++)
      out.push(
        fact(0xac500000 + (sec * 600 + i) * 13, '/donate', {
          ua: CHROME,
          method: 'POST',
          contentType: 'application/x-www-form-urlencoded',
          routeClass: 'donate',
          clientState: CLIENT_FRESH,
          seenAt: T0 + sec * 1000,
        }),
      );
  });
  assert.notEqual(d.start, undefined);
  const rules = d.actions.map((a) => `${a.action.rule}@${(a.at - T0) / 1000}`);
  const form = d.actions.find((a) => a.action.reason.includes('post forms they never loaded'));
  assert.notEqual(form, undefined, rules.join(' '));
  assert.equal(form!.at, d.start!.at, `in the tick the attack starts: ${rules.join(' ')}`);
  assert.equal(form!.action.rule, 'mitigate/challenge-route');
  assert.deepEqual(form!.action.mitigation!.match.routeClasses, ['donate']);
  const since = form!.action.mitigation!.match.newSince!;
  assert.ok(since > T0 && since <= T0 + 60_000, 'the clients first seen before the surge are not challenged');
});

test('ten seconds after a first start, a cookie-keeping crowd copying a browser at 3.5 times the people’s rate in pulses, on distinct paths the origin answers 404: an attack in its first pulse second; in that pulse, the same crowd on the site’s pages, or readers of a broken newsletter link, is not', () => {
  const pulse = (sec: number) => sec >= 10 && (sec - 10) % 14 < 6;
  const cases = [
    { name: 'random paths, 404', path: (i: number) => `/${(i * 2654435761) >>> 0}x`, status: 404, attack: true },
    { name: 'the site’s pages', path: (i: number) => `/news/${i % 9}`, status: 200, attack: false },
    { name: 'a broken link', path: () => '/news/spring-campain', status: 404, attack: false },
  ];
  for (const c of cases) {
    // The first pulse only: a crowd on the site's pages is judged at the young margin there (later pulses, by their window).
    const d = run(17, (sec, r, out) => {
      people(r, sec, out, T0, 25);
      if (pulse(sec))
        cookieKeepers(sec, 10, out, { sources: 500, rps: 75, base: 0xac100000, path: c.path, status: c.status });
    });
    if (!c.attack) {
      assert.equal(d.start, undefined, `${c.name}: ${JSON.stringify(d.start?.vectors)}`);
      continue;
    }
    assert.equal(d.startSecond, 10, `${c.name}: the first pulse second`);
    const challenge = d.actions.find((a) => a.action.rule === 'mitigate/challenge-new');
    assert.equal(
      challenge?.action.mitigation?.match.sparesPersons,
      true,
      'the crowd challenged, people spared by their assets mark',
    );
    assert.ok(!d.detector.snapshot().warm, 'on a provisional baseline');
    const v = d.start!.vectors.find((x) => x.vector === 'cache_busting');
    assert.equal(v?.figures.notFound, 75, JSON.stringify(d.start!.vectors));
  }
});
