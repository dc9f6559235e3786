// `rampart check -c FILE`: validates a configuration and prints every error.
import { loadConfigFile } from '../config/load.js';
import { UsageError } from '../core/errors.js';
import { parse } from './args.js';

export const help = `Usage: rampart check -c FILE

Validates a configuration file and prints every problem with its YAML path,
line and a hint. Exits 0 when valid, 1 when not.

Options:
  -c, --config FILE   the YAML configuration to check (required)
  -h, --help          show this help`;

export async function run(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parse('check', argv, { config: { type: 'string', short: 'c' } });
  if (values.help) {
    out(help);
    return 0;
  }
  if (!values.config) throw new UsageError('check: missing -c FILE', "e.g. 'rampart check -c rampart.yaml'");
  const config = loadConfigFile(String(values.config));
  out(
    `${values.config}: valid (origin ${config.origin}, listening on ${config.listen.host}:${config.listen.port}, hosts ${config.hosts.join(', ')})`,
  );
  return 0;
}
