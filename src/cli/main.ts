// The CLI: one file per command, no logic of its own. main() returns the
// exit code; errors become one clear line (and a hint), never a stack trace.
import { readFileSync } from 'node:fs';
import { RampartError } from '../core/errors.js';
import { suggest } from '../config/suggest.js';

type Command = { help: string; run(argv: string[], out: (s: string) => void): Promise<number> };

const COMMANDS: Record<string, () => Promise<Command>> = {
  start: () => import('./start.js'),
  check: () => import('./check.js'),
  demo: () => import('./demo.js'),
  drill: () => import('./drill.js'),
  status: () => import('./status.js'),
  ban: () => import('./ban.js'),
  mode: () => import('./mode.js'),
  report: () => import('./report.js'),
  'firewall-helper': () => import('./firewall-helper.js'),
};

const USAGE = `Usage: rampart <command> [options]

Commands:
  start     run the shield in front of an origin (-c FILE or --origin URL)
  check     validate a configuration file
  demo      run the built-in campaign site behind the shield
  drill     rehearse an attack against a loopback target and score the defence
  status    show the running shield's mode, rates, incident and health (admin API)
  ban       add, remove or list bans: ban add|rm|ls (admin API)
  mode      force normal / under-attack / observe, or back to auto (admin API)
  report    write an incident's evidence report (md, html, json) from the store
  firewall-helper   (as root) write bans into the kernel's nftables set for Rampart

Options:
  --version   print the version
  --help      show this help; 'rampart <command> --help' for a command`;

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(
  argv: string[],
  out = (s: string) => console.log(s),
  err = (s: string) => console.error(s),
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-v') {
    out(`rampart ${version()}`);
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(USAGE);
    return name ? 0 : 1;
  }
  const load = COMMANDS[name];
  if (!load) {
    const near = suggest(name, Object.keys(COMMANDS));
    err(`rampart: unknown command '${name}'${near ? ` (did you mean '${near}'?)` : ''}; see 'rampart --help'`);
    return 1;
  }
  try {
    return await (await load()).run(rest, out);
  } catch (e) {
    if (e instanceof RampartError) {
      err(`rampart: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}`);
      return 1;
    }
    throw e;
  }
}
