// `rampart ban add|rm|ls`: manages bans through the admin API.
import { adminCall } from '../control/admin-client.js';
import { type AdminTarget, resolveAdmin, TARGET_FLAGS, TARGET_HELP } from '../control/admin-target.js';
import { checkBanTarget } from '../control/ban-input.js';
import { UsageError } from '../core/errors.js';
import { parse } from './args.js';

export const help = `Usage: rampart ban add TARGET [--for DURATION] [--reason TEXT]
       rampart ban rm TARGET
       rampart ban ls [--json]

Bans an address or CIDR (refused at once by every worker), removes a ban, or
lists active bans. TARGET: 203.0.113.7, 203.0.113.0/24, 2001:db8::/48.

Options:
  --for DURATION   how long (10m, 1h, 7d; default 1h, at most 30d)
  --reason TEXT    why, kept with the ban and shown in reports
  --json           print JSON
${TARGET_HELP}`;

export async function run(argv: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parse(
    'ban',
    argv,
    { ...TARGET_FLAGS, for: { type: 'string' }, reason: { type: 'string' }, json: { type: 'boolean' } },
    true,
  );
  if (values.help) {
    out(help);
    return 0;
  }
  const [sub, target, ...extra] = positionals;
  if (!sub)
    throw new UsageError(
      'ban: missing subcommand',
      "use 'rampart ban add TARGET', 'rampart ban rm TARGET' or 'rampart ban ls'",
    );
  if (!['add', 'rm', 'ls'].includes(sub))
    throw new UsageError(`ban: unknown subcommand '${sub}'`, 'subcommands are add, rm, ls');
  if (sub !== 'ls' && !target)
    throw new UsageError(`ban ${sub}: missing TARGET`, `e.g. 'rampart ban ${sub} 203.0.113.7'`);
  if (extra.length > 0 || (sub === 'ls' && target))
    throw new UsageError(
      `ban ${sub}: unexpected argument '${extra[0] ?? target}'`,
      "quote a reason with spaces: --reason 'credential stuffing'",
    );
  if (sub !== 'add' && (values.for || values.reason))
    throw new UsageError(`ban ${sub}: --for and --reason only go with 'ban add'`);
  const admin = resolveAdmin(values);
  if (sub === 'ls') return listBans(admin, values.json === true, out);
  const t = checkBanTarget(target);
  if (sub === 'rm') {
    await adminCall(admin.url, 'DELETE', `/api/bans/${encodeURIComponent(t)}`, { token: admin.token });
    out(`removed the ban on ${t}`);
    return 0;
  }
  const body: Record<string, string> = { target: t };
  if (values.for) body.duration = String(values.for);
  if (values.reason) body.reason = String(values.reason);
  const { ban } = (await adminCall(admin.url, 'POST', '/api/bans', { token: admin.token, body })) as {
    ban: { target: string; until: number };
  };
  if (values.json) out(JSON.stringify(ban, null, 2));
  else out(`banned ${ban.target} until ${new Date(ban.until).toISOString()}`);
  return 0;
}

async function listBans(admin: AdminTarget, json: boolean, out: (s: string) => void): Promise<number> {
  const { bans } = (await adminCall(admin.url, 'GET', '/api/bans', { token: admin.token })) as {
    bans: { target: string; rule: string; until: number; reason: string }[];
  };
  if (json) out(JSON.stringify(bans, null, 2));
  else if (bans.length === 0) out('no active bans');
  else {
    for (const b of bans)
      out(`${b.target.padEnd(24)} ${b.rule.padEnd(18)} until ${new Date(b.until).toISOString()}  ${b.reason}`);
  }
  return 0;
}
