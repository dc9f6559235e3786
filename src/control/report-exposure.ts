// The "Data exposure" section of a report, in words: what the shield saw on
// sensitive routes during the incident, who read how many records, and what
// it cannot know. Pure; reads the exposure watch's stored snapshot.
import type { ExposureRow, ExposureSnapshot } from './exposure.js';

export interface ExposureSection {
  watched: boolean;
  seen: string[];
  suspects: ExposureRow[];
  prefixes: ExposureRow[];
  cannotKnow: string[];
  /** One sentence for the draft statement. */
  statement: string;
  figures: { requests: number; ok: number; verifiedOk: number; unverifiedOk: number; distinctIds: number } | null;
}

export const CANNOT_KNOW = [
  'whether the origin was right to answer: the shield sees status codes and sizes, not whether a reader was authorised to see a record;',
  'anything that happened before the incident began or outside incident windows (access is recorded per incident);',
  'other paths to the same data (a database, an admin tool, a backup, another host or API not routed through Rampart);',
  'what the response bodies contained: they are not stored;',
  'who is behind an address: one client may use many addresses, and many people may share one.',
];

export function exposureSection(x: ExposureSnapshot | null): ExposureSection {
  if (x === null)
    return {
      watched: false,
      seen: ['The data-exposure watch was not running for this incident.'],
      suspects: [],
      prefixes: [],
      cannotKnow: CANNOT_KNOW,
      statement: 'Access to sensitive records was not watched during this incident.',
      figures: null,
    };
  const figures = {
    requests: x.requests,
    ok: x.ok,
    verifiedOk: x.verifiedOk,
    unverifiedOk: x.unverifiedOk,
    distinctIds: x.distinctIds,
  };
  if (x.requests === 0) {
    return {
      watched: true,
      seen: ['No request reached a route classed as sensitive during the incident.'],
      suspects: [],
      prefixes: [],
      cannotKnow: CANNOT_KNOW,
      statement: 'No request reached a route classed as sensitive (such as donor records) during the incident.',
      figures,
    };
  }
  const suspects = x.clients.filter((c) => c.flags.length > 0);
  const prefixes = x.prefixes.filter((c) => c.flags.length > 0);
  const seen = [
    `${x.requests.toLocaleString('en-US')} requests reached sensitive routes; ${x.ok.toLocaleString('en-US')} were answered with success (2xx): ${x.verifiedOk.toLocaleString('en-US')} to verified clients, ${x.unverifiedOk.toLocaleString('en-US')} to unverified clients.`,
    `The successful answers covered about ${x.distinctIds.toLocaleString('en-US')} distinct records (estimate); the mean successful response was ${x.meanBytes.toLocaleString('en-US')} bytes.`,
    suspects.length > 0
      ? `${suspects.length} client address${suspects.length === 1 ? '' : 'es'} showed signs of enumeration (≥ ${x.enumerationThreshold} distinct records, sequential walks or unusual response sizes); they are listed below.`
      : `No client read ${x.enumerationThreshold} or more distinct records, walked IDs in sequence or drew unusual response sizes.`,
  ];
  if (x.templates !== undefined && x.templates.length > 0)
    seen.push(
      `Besides the routes classed as sensitive, the watch covered ${x.templates.join(', ')} by itself from the second the detector saw its identifiers walked (no configuration named ${x.templates.length === 1 ? 'it' : 'them'}); requests before that second are not counted.`,
    );
  if (x.dropped > 0)
    seen.push(
      `The watch tracked ${x.tracked} clients at a time; ${x.dropped} less recent ones were dropped, so per-client rows may be incomplete (the totals above are not).`,
    );
  const statement =
    x.ok === 0
      ? `${x.requests.toLocaleString('en-US')} requests reached routes classed as sensitive during the incident and none was answered with success.`
      : `${x.ok.toLocaleString('en-US')} requests to routes classed as sensitive were answered with success during the incident (about ${x.distinctIds.toLocaleString('en-US')} distinct record${x.distinctIds === 1 ? '' : 's'} or resource${x.distinctIds === 1 ? '' : 's'}, ${x.unverifiedOk.toLocaleString('en-US')} of the answers to unverified clients)${suspects.length ? `, and ${suspects.length} address${suspects.length === 1 ? '' : 'es'} showed signs of enumeration` : ''}; whether any of these answers were unauthorised cannot be told from the shield's figures.`;
  return { watched: true, seen, suspects, prefixes, cannotKnow: CANNOT_KNOW, statement, figures };
}
