// `rampart firewall-helper`: the privileged helper that writes bans into the
// kernel's nftables set for the workers (firewall.backend: nftables). Runs
// until SIGTERM/SIGINT; the table stays, so bans hold across its restarts.
import { execFileSync } from 'node:child_process';
import { UsageError } from '../core/errors.js';
import { startFirewallHelper } from '../app/edge.js';
import { parse } from './args.js';

export const help = `Usage: rampart firewall-helper [--socket PATH] [--table NAME] [--group GROUP]

Runs as root (or with CAP_NET_ADMIN): owns the nftables table inet NAME (sets
ban4/ban6, flags interval,timeout; a chain on the input hook dropping their
sources) and answers Rampart over a Unix socket. Rampart itself never needs
CAP_NET_ADMIN. See docs/edge.md.

Options:
  --socket PATH   Unix socket (default /run/rampart/firewall.sock; firewall.socket in rampart.yaml)
  --table NAME    nftables table (default rampart)
  --group GROUP   group owning the socket (mode 0660): Rampart's user must be in it`;

function gid(name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  try {
    return Number(execFileSync('getent', ['group', name], { encoding: 'utf8' }).split(':')[2]);
  } catch {
    throw new UsageError(`firewall-helper: no group named ${name}`, 'give a group name or number');
  }
}

export async function run(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parse('firewall-helper', argv, {
    socket: { type: 'string' },
    table: { type: 'string' },
    group: { type: 'string' },
  });
  if (values.help) {
    out(help);
    return 0;
  }
  const helper = await startFirewallHelper({
    socket: String(values.socket ?? '/run/rampart/firewall.sock'),
    table: values.table === undefined ? undefined : String(values.table),
    group: values.group === undefined ? null : gid(String(values.group)),
    log: (m) => out(`firewall-helper: ${m}`),
  });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await helper.close();
  return 0;
}
