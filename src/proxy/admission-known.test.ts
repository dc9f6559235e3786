// Admission's "known" priority against a young detector's surge: when the live
// mitigations spare person-like clients (everyone is new to a detector that
// began with the surge), a client whose seen cookie carries the assets mark
// queues with the known ones; an asset request earning the mark, and anyone
// unmarked, queue as new. Without such a surge the mark makes no one known.
// And a request that waited for a slot says so (ctx.queued).
// Real stage, fake requests, manual time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { camelize } from '../config/camelize.js';
import { originProtectionSchema } from '../config/schema/origin-protection.js';
import { CLIENT_COOKIE, RequestContext, type Req, type Res, type Verdict } from '../core/model.js';
import { compileAdmission } from './admission.js';

const T0 = 1_800_000_000_000;

function ctxOf(personLike: boolean, markPending: boolean): RequestContext {
  const req = { headers: { host: 'site.test' }, rawHeaders: [], socket: {} } as unknown as Req;
  const c = new RequestContext(req, {} as Res);
  c.path = '/news/1';
  c.method = 'GET';
  c.routeClass = 'page';
  c.clientState = CLIENT_COOKIE;
  c.seenAt = T0 - 5_000;
  c.personLike = personLike;
  c.markPending = markPending;
  return c;
}

function queued(spares: boolean) {
  const op = camelize(originProtectionSchema.parse({ admission: { concurrency: 1, reserved_share: 0 } }));
  const a = compileAdmission(
    op.admission,
    { ...op.circuit, enabled: false },
    {
      now: () => T0,
      surgeSince: () => T0 - 20_000,
      sparesPersons: () => spares,
    },
  );
  assert.equal(a.stage.run(ctxOf(false, false)), null, 'the first takes the only slot');
  const waits = [ctxOf(true, false), ctxOf(false, true), ctxOf(false, false)].map(
    (c) => a.stage.run(c) as Promise<Verdict | null>,
  );
  const q = a.stats().queued;
  a.close();
  void Promise.allSettled(waits);
  return q;
}

test('admission, a young surge: the assets mark queues a client with the known; an asset request earning it and the unmarked queue as new', () => {
  assert.deepEqual(queued(true), { priority: 0, verified: 0, known: 1, new: 2 });
});

test('admission, a surge dated by a warm detector: the mark alone makes no one known', () => {
  assert.deepEqual(queued(false), { priority: 0, verified: 0, known: 0, new: 3 });
});

test('admission marks the requests that waited for a slot (the detector counts them: the origin at its limit), not one admitted at once', () => {
  const op = camelize(originProtectionSchema.parse({ admission: { concurrency: 1, reserved_share: 0 } }));
  const a = compileAdmission(op.admission, { ...op.circuit, enabled: false }, { now: () => T0 });
  const first = ctxOf(false, false);
  const second = ctxOf(false, false);
  assert.equal(a.stage.run(first), null, 'the first takes the only slot');
  const wait = a.stage.run(second) as Promise<Verdict | null>;
  assert.deepEqual([first.queued, second.queued], [false, true]);
  a.close();
  void Promise.allSettled([wait]);
});
