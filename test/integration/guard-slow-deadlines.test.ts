// Adaptive deadlines through the real app: with a 30 s header timeout and a
// 1 s one for attacks, an unfinished request head survives in normal mode,
// is closed (408) once the operator switches to under_attack — the one opened
// before the switch included — and survives again after the mode is back to
// normal. Also the idle keep-alive deadline, slow-head pressure tightening
// without any mode change, and observe (shadow) mode leaving deadlines alone.
// Bounded polls; the tick's switch is awaited on its log line. The only
// fixed waits are the windows in which a deadline must NOT fire (see below).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEchoOrigin } from '../helpers/echo-origin.js';
import { startShield } from '../helpers/shield.js';
import { FULL, openHeld, SLOW_HEAD, type Conn } from '../helpers/held-conn.js';
import { captureLog, type LogLines } from '../helpers/log-lines.js';
import { waitFor } from '../helpers/wait.js';

const LIMITS = {
  header_timeout: '30s',
  header_timeout_under_attack: '500ms', // the shortest the config allows: the windows below stay short
  idle_timeout: '30s',
  idle_timeout_under_attack: '500ms',
};
const TIGHTENED = 'connection deadlines tightened';
const RELAXED = 'connection deadlines back to the configured values';
/**
 * A window in which a head must survive: it can only show that a deadline did
 * NOT fire, so it is elapsed time by nature — the 0.5 s attack deadline plus
 * Node's 1 s connections check plus a second of margin, far under 30 s.
 */
const SURVIVES_MS = 2500;
/** The same when slow-head pressure is what could tighten: a head counts once stalled 1 s, read at the next 1 s tick. */
const SURVIVES_PRESSURE_MS = 3500;
const survive = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for the app's tick to have switched the deadlines (its log line), however long the tick takes. */
async function switched(lines: LogLines, msg: string, before: number): Promise<void> {
  await waitFor(() => lines.count(msg) > before, { what: `the tick to log "${msg}"` });
}

test('under_attack closes unfinished heads at the shorter deadline (including one opened before the switch); normal mode does not', async () => {
  const origin = await startEchoOrigin();
  const lines = captureLog();
  const app = await startShield(
    origin.url,
    { limits: { ...LIMITS, slow_heads_trigger: 0 }, detector: { enabled: false } },
    { log: lines.log },
  );
  const conns: Conn[] = [];
  try {
    const early = await openHeld(app.port, '127.5.0.1', SLOW_HEAD);
    conns.push(early);
    await survive(SURVIVES_MS); // fixed-wait-ok: the deadline must not fire
    assert.ok(!early.closed(), 'normal mode: the 30 s header timeout holds');

    app.state.overrideMode('under_attack');
    await waitFor(() => early.closed(), { what: 'the early head to be closed by the attack deadline' });
    assert.match(early.reply(), /^HTTP\/1\.1 408/);
    assert.match(early.reply(), /\r\nrampart-verdict: guard\/header-timeout\r\n/i);
    const late = await openHeld(app.port, '127.5.0.2', SLOW_HEAD);
    conns.push(late);
    await waitFor(() => late.closed(), { what: 'a head opened under attack to be closed' });

    const relaxed = lines.count(RELAXED);
    app.state.overrideMode(null);
    await switched(lines, RELAXED, relaxed); // the next tick relaxes the deadlines
    const calm = await openHeld(app.port, '127.5.0.3', SLOW_HEAD);
    conns.push(calm);
    await survive(SURVIVES_MS); // fixed-wait-ok: the deadline must not fire
    assert.ok(!calm.closed(), 'back to normal: the configured deadline again');
  } finally {
    for (const c of conns) c.socket.destroy();
    await app.stop();
    await origin.close();
  }
});

test('under_attack shortens the idle keep-alive deadline', async () => {
  const origin = await startEchoOrigin();
  const lines = captureLog();
  const app = await startShield(
    origin.url,
    { limits: { ...LIMITS, slow_heads_trigger: 0 }, detector: { enabled: false } },
    { log: lines.log },
  );
  const conns: Conn[] = [];
  try {
    const normal = await openHeld(app.port, '127.5.1.1', FULL);
    conns.push(normal);
    await waitFor(() => /^HTTP\/1\.1 200/.test(normal.reply()), { what: 'the response' });
    const tightened = lines.count(TIGHTENED);
    app.state.overrideMode('under_attack');
    await switched(lines, TIGHTENED, tightened); // the tick applies the attack deadlines
    const idle = await openHeld(app.port, '127.5.1.2', FULL);
    conns.push(idle);
    // Under attack the answer is the challenge page (403 challenge/required), on a kept-alive connection.
    await waitFor(() => /^HTTP\/1\.1 \d{3} [\s\S]*\r\n\r\n/.test(idle.reply()), { what: 'the response under attack' });
    assert.doesNotMatch(idle.reply(), /\r\nconnection: close\r\n/i, 'the response itself keeps the connection open');
    await waitFor(() => idle.closed(), { what: 'the idle keep-alive to be closed' });
    assert.ok(!normal.closed(), 'a connection that went idle before the switch keeps its 30 s idle deadline');
  } finally {
    for (const c of conns) c.socket.destroy();
    await app.stop();
    await origin.close();
  }
});

test('slow-head pressure tightens the header deadline without a mode change', async () => {
  const origin = await startEchoOrigin();
  const app = await startShield(origin.url, {
    limits: { ...LIMITS, slow_heads_trigger: 5 },
    detector: { enabled: false },
  });
  const conns: Conn[] = [];
  try {
    const few: Conn[] = [];
    for (let i = 1; i <= 4; i++) few.push(await openHeld(app.port, `127.5.2.${i}`, SLOW_HEAD));
    conns.push(...few);
    await survive(SURVIVES_PRESSURE_MS); // fixed-wait-ok: the pressure must not tighten
    assert.ok(
      few.every((c) => !c.closed()),
      'under the trigger: nothing tightens',
    );

    const more: Conn[] = [];
    for (let i = 1; i <= 4; i++) more.push(await openHeld(app.port, `127.5.3.${i}`, SLOW_HEAD));
    conns.push(...more);
    await waitFor(() => few.every((c) => c.closed()) && more.every((c) => c.closed()), {
      what: 'every unfinished head to be closed',
    });
    assert.ok(few.every((c) => /^HTTP\/1\.1 408/.test(c.reply())));
    assert.equal(app.state.mode(), 'normal', 'the pressure acts on deadlines only, not on the mode');
  } finally {
    for (const c of conns) c.socket.destroy();
    await app.stop();
    await origin.close();
  }
});

test('observe (shadow) mode: under_attack does not shorten deadlines', async () => {
  const origin = await startEchoOrigin();
  const lines = captureLog();
  const app = await startShield(
    origin.url,
    { limits: { ...LIMITS, slow_heads_trigger: 0 }, detector: { enabled: false } },
    { log: lines.log },
  );
  const conns: Conn[] = [];
  try {
    const tightened = lines.count(TIGHTENED);
    app.state.setEnforcement('observe');
    app.state.overrideMode('under_attack');
    await switched(lines, TIGHTENED, tightened); // the tick saw the mode (and, observing, left the servers alone)
    const head = await openHeld(app.port, '127.5.4.1', SLOW_HEAD);
    conns.push(head);
    await survive(SURVIVES_MS); // fixed-wait-ok: the deadline must not fire
    assert.ok(!head.closed(), 'observe mode touches no connection');
    app.state.setEnforcement('enforce');
    await waitFor(() => head.closed(), { what: 'the head to be closed once enforcing' });
  } finally {
    for (const c of conns) c.socket.destroy();
    await app.stop();
    await origin.close();
  }
});
