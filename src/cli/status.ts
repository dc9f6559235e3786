// `rampart status`: mode, enforcement, rates, active incident and state health
// from the admin API, in a few lines (or JSON).
import { adminCall } from '../control/admin-client.js';
import { resolveAdmin, TARGET_FLAGS, TARGET_HELP } from '../control/admin-target.js';
import { parse } from './args.js';

export const help = `Usage: rampart status [--json]

Shows the running shield's mode, enforcement, request rates, active incident,
bans and shared-state health.

Options:
  --json           print the raw JSON of GET /api/status
${TARGET_HELP}`;

interface Status {
  version: string;
  uptimeSeconds: number;
  mode: string;
  enforcement: string;
  classification: string[] | null;
  rates: { rps: number; refusedPerSecond: number; sources: number };
  inFlight: number;
  bans: number;
  activeIncident: { id: string } | null;
  state: { backend: string; connected: boolean; error: string } | null;
}

export async function run(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parse('status', argv, { ...TARGET_FLAGS, json: { type: 'boolean' } });
  if (values.help) {
    out(help);
    return 0;
  }
  const admin = resolveAdmin(values);
  const s = (await adminCall(admin.url, 'GET', '/api/status', { token: admin.token })) as Status;
  if (values.json) {
    out(JSON.stringify(s, null, 2));
    return 0;
  }
  const attack = s.activeIncident
    ? `incident ${s.activeIncident.id}${s.classification?.length ? `: ${s.classification.join(' + ')}` : ''}`
    : 'none';
  const state = s.state ? `${s.state.backend}${s.state.connected ? '' : ` DISCONNECTED (${s.state.error})`}` : 'n/a';
  out(`rampart ${s.version}, up ${s.uptimeSeconds}s`);
  out(`mode         ${s.mode} (${s.enforcement})`);
  out(
    `requests/s   ${s.rates.rps.toFixed(1)} (refused ${s.rates.refusedPerSecond.toFixed(1)}/s, ${s.rates.sources} sources in the last second)`,
  );
  out(`in flight    ${s.inFlight}`);
  out(`attack       ${attack}`);
  out(`bans         ${s.bans}`);
  out(`state        ${state}`);
  return 0;
}
