// Flag parsing shared by every command (node:util parseArgs, strict), with
// one-line errors and "did you mean" for unknown flags.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../core/errors.js';
import { suggest } from '../config/suggest.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export function parse(command: string, argv: string[], options: Options, positionals = false) {
  const all: Options = { help: { type: 'boolean', short: 'h' }, ...options };
  try {
    return parseArgs({ args: argv, options: all, allowPositionals: positionals, strict: true });
  } catch (e) {
    const msg = (e as Error).message;
    const m = /Unknown option '(-{1,2}[^']+)'/.exec(msg);
    if (m) {
      const near = suggest(m[1].replace(/^-+/, ''), Object.keys(all));
      throw new UsageError(
        `${command}: unknown flag ${m[1]}`,
        near ? `did you mean --${near}? see 'rampart ${command} --help'` : `see 'rampart ${command} --help'`,
      );
    }
    throw new UsageError(`${command}: ${msg.split('\n')[0]}`, `see 'rampart ${command} --help'`);
  }
}

/** `rampart start` flags that override keys of the file (or stand in for it). */
export function overrides(values: Record<string, unknown>): boolean {
  return Boolean(values.origin || values.listen || values.admin || (values.host as string[] | undefined)?.length);
}
