// The configuration `rampart start` runs: the file, or command-line flags
// alone, or the file with flags overriding its keys. Kept apart from start.ts
// so that config-child.ts can run it on a short-lived child process.
import { loadConfigFile, loadConfigObject, readConfigObject } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { UsageError } from '../core/errors.js';
import { overrides } from './args.js';

export function configFromFlags(values: Record<string, unknown>): Config {
  if (values.config && !overrides(values)) return loadConfigFile(String(values.config));
  if (!values.origin && !values.config)
    throw new UsageError('start: give -c FILE or --origin URL', "e.g. 'rampart start --origin http://127.0.0.1:3000'");
  const raw: Record<string, unknown> = values.config ? readConfigObject(String(values.config)) : {};
  if (values.origin) raw.origin = values.origin;
  if (values.listen) raw.listen = values.listen;
  if (values.admin) raw.admin = { ...(raw.admin as Record<string, unknown> | undefined), listen: values.admin };
  const hosts = values.host as string[] | undefined;
  if (hosts?.length) raw.hosts = hosts;
  if (!raw.hosts)
    raw.hosts = [
      'localhost',
      '127.0.0.1',
      String(raw.listen ?? '127.0.0.1:8080')
        .replace(/:\d+$/, '')
        .replace(/^\[|\]$/g, '') || 'localhost',
    ];
  return loadConfigObject(
    raw,
    values.config ? `${String(values.config)} with command-line flags` : 'command-line flags',
  );
}
