// One cookie jar behind rotating User-Agents (composition.ts `cookieMoved`),
// on synthetic traces with a driven clock: a crowd that keeps its cookies and
// loads its pages' assets, at a few times the site's rate, each request under
// another real browser's User-Agent, is an attack once its moved cookies are
// counted, and nothing without them; one person whose browser switches its
// User-Agent is nothing. Clients here are as identity reports them: a moved
// cookie is no valid cookie (CLIENT_OTHER right after it was given).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT_COOKIE, CLIENT_FRESH, CLIENT_OTHER } from '../core/model.js';
import { driveDetector, T0 } from './drive.test.js';
import { fact, legitSecond } from './trace.js';
import type { Observed } from './window.js';

const WARM_S = 90;
/** The crowd: a visit every 8 s from each of SOURCES sources, ~2.5× the people's requests. */
const SOURCES = 112;
const VISITS = SOURCES / 8;
const UAS = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15',
  'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
];

/**
 * SOURCES sources, each a visit every 8 s (a page and two assets), each request under a User-Agent drawn
 * anew. `moved`: identity found their cookie was given to another User-Agent (4 requests in 5); without
 * it, the same crowd as a detector that cannot tell: valid cookies, marked.
 */
function crowd(sec: number, r: () => number, out: Observed[], moved: boolean): void {
  for (let v = 0; v < VISITS; v++) {
    const src = 0xac100000 + (((sec * VISITS + v) % SOURCES) * 13 + 1);
    const first = sec * VISITS + v < SOURCES;
    for (let k = 0; k < 3; k++) {
      const ua = UAS[Math.floor(r() * UAS.length)];
      const asset = k > 0;
      const o = fact(src, asset ? '/assets/site.css' : `/news/${v % 30}`, {
        ua,
        routeClass: asset ? 'static' : 'page',
        seenAt: T0 + (WARM_S + (v % 8)) * 1000,
        clientState: first && k === 0 ? CLIENT_FRESH : moved && r() < 0.8 ? CLIENT_OTHER : CLIENT_COOKIE,
        personLike: !(first && k === 0) && !moved,
      });
      if (moved && o.clientState === CLIENT_OTHER) o.cookieMoved = true;
      out.push(o);
    }
  }
}

function run(attack: (sec: number, r: () => number, out: Observed[]) => void, seconds = WARM_S + 20, pageViews = 6) {
  const d = driveDetector(
    seconds,
    (sec, r, out) => {
      legitSecond(r, pageViews, out, 300);
      if (sec >= WARM_S) attack(sec - WARM_S, r, out);
    },
    { seed: 29 },
  );
  return { ...d, startSecond: d.start ? d.startSecond - WARM_S : -1 };
}

test('a cookie-keeping crowd loading its assets under rotating User-Agents: an attack within 3 s once its moved cookies count, nothing without them', () => {
  const seen = run((sec, r, out) => crowd(sec, r, out, true));
  assert.notEqual(seen.start, undefined, 'the crowd whose cookies moved between User-Agents is an attack');
  assert.ok(seen.startSecond <= 3, `found in second ${seen.startSecond}`);
  const vector = seen.start!.vectors.find((v) =>
    v.reason.includes('a cookie that was given to another browser or system'),
  );
  assert.notEqual(vector, undefined, seen.start!.vectors.map((v) => v.reason).join(' | '));
  assert.ok(
    seen.start!.sample.clients.moved >= 10,
    `moved cookies in its first second: ${seen.start!.sample.clients.moved}`,
  );
  // The same crowd, its cookies valid under every User-Agent: nothing else in its mix tells it from people.
  const blind = run((sec, r, out) => crowd(sec, r, out, false));
  assert.equal(blind.start, undefined, 'without the moved cookies the crowd reads like people');
});

test('an incident found by moved cookies challenges the jars that moved, known or new, from its first actions, and keeps it armed', () => {
  const seen = run((sec, r, out) => crowd(sec, r, out, true));
  const put = seen.actions.find((a) => a.action.rule === 'mitigate/challenge-moved');
  assert.notEqual(put, undefined, seen.actions.map((a) => a.action.rule).join(', '));
  assert.equal(put!.at, seen.start!.at, 'with the first actions of the incident');
  assert.match(put!.action.reason, /seen cookie was given to another browser or system/);
  assert.ok((put!.action.figures.movedCookies ?? 0) >= 10, JSON.stringify(put!.action.figures));
  const live = seen.state.mitigations().find((m) => m.rule === 'mitigate/challenge-moved');
  assert.notEqual(live, undefined, 'live in shared state at the end of the attack');
  assert.equal(live!.action, 'challenge');
  assert.equal(live!.match.moved, true);
  assert.equal(live!.match.newSince, undefined, 'a jar that moved is no person, whenever it came');
  const people = run(() => {}, WARM_S + 20);
  assert.equal(
    people.actions.find((a) => a.action.rule === 'mitigate/challenge-moved'),
    undefined,
    'people alone: nothing',
  );
});

test('one person whose browser switches its User-Agent (a desktop-site toggle) now and then: no attack', () => {
  const toggling = run((sec, _r, out) => {
    const o = fact(0x0a000007, `/news/${sec % 5}`, { ua: UAS[sec % 2], clientState: CLIENT_OTHER });
    o.cookieMoved = true;
    out.push(o);
  }, WARM_S + 40);
  assert.equal(toggling.start, undefined);
});

test('at 2 × min_rps moved cookies in one second, no streak is needed: one such second on a busy site is an attack', () => {
  const burst = run(
    (sec, _r, out) => {
      if (sec !== 3) return;
      for (let i = 0; i < 50; i++) {
        const o = fact(0xac100000 + i * 13, `/news/${i % 30}`, { ua: UAS[i % UAS.length], clientState: CLIENT_OTHER });
        o.cookieMoved = true;
        out.push(o);
      }
    },
    WARM_S + 10,
    60,
  );
  assert.equal(burst.startSecond, 3, 'the second the 50 moved cookies came in');
});
