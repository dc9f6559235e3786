// The warm-up: before its listeners open, a process rehearses its request path
// on a private copy of it — a graph built from the same configuration but on
// its own memory state, client book, response cache and detector window,
// behind a private loopback listener, in front of a stand-in origin — with a
// few hundred requests of the shapes a start into a flood brings (new clients
// by the hundred, people following the checks, tools dropping cookies; half of
// them with the copy's mode under attack and its mitigations live). Nothing of
// it reaches the real state, detector, client book, cache, metrics, logs or
// origin: what it leaves behind is V8's compiled code and type feedback. Why:
// cold, the first second of a start into a running flood cost several times
// the warm cost per request, and people queued behind the flood's backlog for
// seconds (docs/deployment.md, "Warm-up before listening"). Bounded by
// limits.warm_up requests and WARM_UP_MAX_MS; a failure is logged and the
// start goes on cold.
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/schema.js';
import type { Mitigation } from '../core/model.js';
import { createRemoteDetector } from '../detector/remote.js';
import { match } from '../detector/mitigation-levels.js';
import { ClientBook } from '../identity/client-book.js';
import type { Geo } from '../identity/geo.js';
import { createHttpListener } from '../proxy/listeners.js';
import { createMemoryState, type MemoryState } from '../state/memory.js';
import { connectionGuard } from './app-parts.js';
import { buildGraph } from './graph.js';
import type { Logger } from './logger.js';
import { drive, standInOrigin, type DriveStats } from './warm-up-drive.js';

/** The warm-up never holds the listeners back longer than this (ms). */
export const WARM_UP_MAX_MS = 1500;
/** Clients at once. */
const CONCURRENCY = 16;
/** The copy's client book: the same code, a small table. */
const BOOK_SLOTS = 4096;

export interface WarmUpResult extends DriveStats {
  ms: number;
}

export interface WarmUpOptions {
  requests: number;
  geo: Geo | null;
  /** For the copy's own internal errors (a bug the warm-up found); nothing else is logged. */
  log: Logger;
  maxMs?: number;
}

export async function warmUp(config: Config, o: WarmUpOptions): Promise<WarmUpResult> {
  const t0 = Date.now();
  const origin = await standInOrigin();
  const state = createMemoryState({ now: Date.now });
  await state.start();
  const copy: Config = { ...config, origin: origin.url };
  const window = createRemoteDetector({ send: () => {} });
  const graph = buildGraph(copy, {
    now: Date.now,
    log: o.log,
    observers: [window.observe],
    state,
    geo: o.geo,
    originShares: 1,
    book: new ClientBook(BOOK_SLOTS),
    cacheStore: null,
    novelQuery: window.novelQuery,
  });
  const server = createHttpListener(
    {
      handle: (req, res) => graph.pipeline.handle(req, res),
      upgrade: (req, res, head) => graph.pipeline.handle(req, res, head),
      guard: connectionGuard(copy, (ip) => graph.policy.refusesAtAccept(ip), Date.now),
      h2: null,
      onParseError: () => {},
    },
    copy.limits,
  );
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => resolve());
    });
    const stats = await drive({
      port: (server.address() as AddressInfo).port,
      host: hostOf(config.hosts),
      requests: o.requests,
      concurrency: CONCURRENCY,
      deadline: t0 + (o.maxMs ?? WARM_UP_MAX_MS),
      halfway: () => underAttack(state, t0),
      ownAddresses: process.platform === 'linux',
    });
    return { ...stats, ms: Date.now() - t0 };
  } finally {
    server.close();
    server.closeAllConnections();
    await graph.close();
    origin.close();
    await state.close();
  }
}

/** A Host the configuration accepts: its first exact name (a wildcard's www.), or localhost when any goes. */
export function hostOf(hosts: readonly string[]): string {
  const h = hosts.find((x) => !x.startsWith('*.')) ?? hosts[0];
  if (h === undefined) return 'localhost';
  if (h.startsWith('*.')) return `www${h.slice(1)}`;
  return h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
}

/** The copy's second half: mode under attack, the cookie check and a limit on new clients, a route challenged. */
function underAttack(state: MemoryState, since: number): void {
  const now = Date.now();
  const base = { createdAt: now, until: now + 60_000, reason: 'warm-up', figures: {}, rate: 0 };
  const ms: Mitigation[] = [
    {
      ...base,
      id: 'warm-up-check',
      action: 'check',
      rule: 'mitigate/check-cookie',
      match: match({ cookieless: true, newSince: since }),
    },
    {
      ...base,
      id: 'warm-up-limit',
      action: 'limit',
      rule: 'mitigate/limit-new',
      rate: 2,
      burst: 4,
      match: match({ newSince: since, sparesPersons: true }),
    },
    {
      ...base,
      id: 'warm-up-route',
      action: 'challenge',
      rule: 'mitigate/challenge-route',
      match: match({ paths: ['/donate'] }),
    },
  ];
  for (const m of ms) state.putMitigation(m);
  state.setMode('under_attack');
}
