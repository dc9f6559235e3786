// The a-priori mitigations of an incident: signs of a tool that need no
// baseline and no share against one, each answered by a challenge of its own
// from the first second it shows during the incident, at any level, and armed
// with the incident (a pulse's next burst meets it from its first request):
// query parameter names not seen lately (`mitigate/challenge-names`) and cookie
// jars that moved between User-Agents (`mitigate/challenge-moved`). Not the
// levels (mitigation-levels.ts). Pure but for the result; runs once a second
// during an incident.
import type { Mitigation } from '../core/model.js';
import type { Assessment } from './assess.js';
import type { Baselines } from './baseline.js';
import type { SecondSample } from './events.js';
import { figuresOf, match, pctOf } from './mitigation-levels.js';

/** What the a-priori mitigations read of the incident. */
export interface AprioriScope {
  readonly incidentId: string;
  readonly ttl: number;
  /** The surge's new clients bring the excess (MitigationLevels.newClients). */
  readonly newClients: boolean;
  /** When the surge began for what reaches clients returning the seen cookie. */
  readonly peopleSince: number;
  /** The incident's level (0 before its first actions). */
  readonly level: number;
  /** The incident's live mitigations by id: one of each a-priori kind at most. */
  readonly active: ReadonlyMap<string, Mitigation>;
}

/** The a-priori mitigations this second shows and the incident does not have yet. */
export function aprioriMitigations(
  scope: AprioriScope,
  now: number,
  a: Assessment,
  s: SecondSample,
  b: Baselines,
): Mitigation[] {
  const out: Mitigation[] = [];
  const names = namesMitigation(scope, now, a, s, b);
  if (names !== null) out.push(names);
  const moved = movedMitigation(scope, now, a, s, b);
  if (moved !== null) out.push(moved);
  return out;
}

/**
 * Requests with a query parameter name not seen lately (composition `novelNames`): a cache-busting tool's
 * random names, on any path (`/?x8fj2` too, which no path prefix narrows), challenged — a page's links and
 * forms never send such a name. The surge's new clients only, when they bring the excess.
 */
function namesMitigation(scope: AprioriScope, now: number, a: Assessment, s: SecondSample, b: Baselines) {
  const share = a.composition.novelNames;
  if (share === undefined || scope.active.has(aprioriId(scope, 'names'))) return null;
  const why = scope.level === 0 ? 'attack started' : 'random query parameter names';
  const since = scope.newClients ? scope.peopleSince : 0;
  const who = since > 0 ? 'unverified clients first seen since the surge began' : 'unverified clients';
  return challenge(scope, now, 'names', {
    match: match({ novelNames: true, newSince: since }),
    reason: `${why}: challenge ${who} whose query carries a parameter name not seen in the last 10 s (${pctOf(s.novelNames, s.withQuery)} of the requests with a query did)`,
    figures: {
      ...figuresOf(a, s, b, Math.max(1, scope.level)),
      novelNames: s.novelNames,
      novelNamesShare: Math.round(share * 100) / 100,
    },
  });
}

/**
 * Requests from cookie jars that moved between User-Agents (composition `cookieMoved`): one jar shown under
 * one browser after another, as a scraping session drawing a User-Agent per request sends it, follows the
 * cookie check and keeps what it is given, so only the challenge stops it; a person's browser keeps its
 * User-Agent. Every unverified client's jar, known or new: a moved jar is not a person's whenever it came.
 */
function movedMitigation(scope: AprioriScope, now: number, a: Assessment, s: SecondSample, b: Baselines) {
  const share = a.composition.cookieMoved;
  if (share === undefined || scope.active.has(aprioriId(scope, 'moved'))) return null;
  const why = scope.level === 0 ? 'attack started' : 'cookie jars moving between User-Agents';
  return challenge(scope, now, 'moved', {
    match: match({ moved: true }),
    reason: `${why}: challenge unverified clients whose seen cookie was given to another browser or system, or after such a move (${pctOf(s.clients.moved, s.requests)} of ${s.requests}/s)`,
    figures: {
      ...figuresOf(a, s, b, Math.max(1, scope.level)),
      movedCookies: s.clients.moved,
      movedShare: Math.round(share * 100) / 100,
    },
  });
}

/** The incident's `mitigate/challenge-<kind>`, live for the mitigation TTL from `now`. */
function challenge(
  scope: AprioriScope,
  now: number,
  kind: string,
  m: Pick<Mitigation, 'match' | 'reason' | 'figures'>,
): Mitigation {
  return {
    createdAt: now,
    until: now + scope.ttl,
    id: aprioriId(scope, kind),
    action: 'challenge',
    rule: `mitigate/challenge-${kind}`,
    rate: 0,
    ...m,
  };
}

/** The id of the incident's `mitigate/challenge-<kind>`: one per incident and kind. */
function aprioriId(scope: AprioriScope, kind: string): string {
  return `${scope.incidentId}-challenge-${kind}`;
}
