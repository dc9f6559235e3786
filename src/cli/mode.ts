// `rampart mode <normal|under-attack|observe|enforce|auto>`: forces the attack
// mode or enforcement through the admin API, or hands control back to the detector.
import { adminCall } from '../control/admin-client.js';
import { resolveAdmin, TARGET_FLAGS, TARGET_HELP } from '../control/admin-target.js';
import { UsageError } from '../core/errors.js';
import { parse } from './args.js';

export const help = `Usage: rampart mode <normal|under-attack|observe|enforce|auto>

  under-attack   force the under-attack mode (challenge unverified visitors)
  normal         force the normal mode (the detector cannot escalate)
  auto           clear the override: the detector decides again
  observe        shadow mode: record what would be refused, refuse nothing
  enforce        act on decisions again (the default)

Options:
${TARGET_HELP}`;

const BODIES: Record<string, Record<string, string>> = {
  'under-attack': { mode: 'under_attack' },
  under_attack: { mode: 'under_attack' },
  normal: { mode: 'normal' },
  auto: { mode: 'auto' },
  observe: { enforcement: 'observe' },
  enforce: { enforcement: 'enforce' },
};

export async function run(argv: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parse('mode', argv, { ...TARGET_FLAGS }, true);
  if (values.help) {
    out(help);
    return 0;
  }
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length ? 'mode: give exactly one mode' : 'mode: missing the mode',
      'one of normal, under-attack, observe, enforce, auto',
    );
  const body = BODIES[positionals[0]];
  if (!body)
    throw new UsageError(
      `mode: unknown mode '${positionals[0]}'`,
      'one of normal, under-attack, observe, enforce, auto',
    );
  const admin = resolveAdmin(values);
  const r = (await adminCall(admin.url, 'POST', '/api/mode', { token: admin.token, body })) as {
    mode: string;
    enforcement: string;
  };
  out(`mode ${r.mode}, enforcement ${r.enforcement}${positionals[0] === 'auto' ? ' (the detector decides)' : ''}`);
  return 0;
}
