// `rampart start`: runs the shield from a YAML file (or flags alone), reloads
// on SIGHUP (a bad new file is refused and the old config keeps running) and
// drains in-flight requests on SIGTERM/SIGINT.
import { loadConfigFile, loadConfigObject, readConfigObject } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { RampartError, UsageError } from '../core/errors.js';
import { createApp, type App } from '../app/app.js';
import { workerCount } from '../app/cluster.js';
import { runClusterUntilSignal } from '../app/cluster-run.js';
import { parse } from './args.js';

export const help = `Usage: rampart start [-c FILE] [--origin URL] [--listen HOST:PORT] [--host NAME] [--admin HOST:PORT]

Starts the shield in front of an origin.

Options:
  -c, --config FILE    YAML configuration (see rampart.example.yaml)
      --origin URL     origin to protect (overrides the file)
      --listen H:P     address to listen on (overrides the file)
      --host NAME      a host name to serve (repeatable; default: the listen host and localhost)
      --admin H:P      admin API and dashboard address (overrides admin.listen; default 127.0.0.1:9090)
  -h, --help           show this help

With workers other than 1 in the file (default auto: one per core) a primary
process forks that many workers sharing the listeners (docs/deployment.md).

Signals: SIGHUP reloads the file; SIGTERM or SIGINT drains and exits.`;

/** Flags that override keys of the file (or stand in for it). */
function overrides(values: Record<string, unknown>): boolean {
  return Boolean(values.origin || values.listen || values.admin || (values.host as string[] | undefined)?.length);
}

export function configFromFlags(values: Record<string, unknown>): Config {
  if (values.config && !overrides(values)) return loadConfigFile(String(values.config));
  if (!values.origin && !values.config) throw new UsageError('start: give -c FILE or --origin URL', "e.g. 'rampart start --origin http://127.0.0.1:3000'");
  const raw: Record<string, unknown> = values.config ? readConfigObject(String(values.config)) : {};
  if (values.origin) raw.origin = values.origin;
  if (values.listen) raw.listen = values.listen;
  if (values.admin) raw.admin = { ...(raw.admin as Record<string, unknown> | undefined), listen: values.admin };
  const hosts = values.host as string[] | undefined;
  if (hosts?.length) raw.hosts = hosts;
  if (!raw.hosts) raw.hosts = ['localhost', '127.0.0.1', String(raw.listen ?? '127.0.0.1:8080').replace(/:\d+$/, '').replace(/^\[|\]$/g, '') || 'localhost'];
  return loadConfigObject(raw, values.config ? `${String(values.config)} with command-line flags` : 'command-line flags');
}

export async function run(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parse('start', argv, {
    config: { type: 'string', short: 'c' },
    origin: { type: 'string' },
    listen: { type: 'string' },
    host: { type: 'string', multiple: true },
    admin: { type: 'string' },
  });
  if (values.help) return out(help), 0;
  const config = configFromFlags(values);
  if (workerCount(config) > 1) {
    // A reload re-reads the file and re-applies the flags, as in one process.
    await runClusterUntilSignal(config, values.config ? () => configFromFlags(values) : null, out, { file: values.config ? String(values.config) : undefined });
    return 0;
  }
  const app = createApp(config, { configFile: values.config && !overrides(values) ? String(values.config) : undefined });
  await app.start();
  out(`rampart: shielding ${config.origin} at ${app.url()}`);
  // A reload re-reads the file and applies the same flags again, so --origin or
  // --listen given at start keep winning over the file.
  await serveUntilSignal(app, values.config ? () => configFromFlags(values) : null, out);
  return 0;
}

/** Keeps running; SIGHUP reloads through `load` (null: no file to reload), SIGTERM/SIGINT drains and resolves. */
export function serveUntilSignal(app: App, load: (() => Config) | null, out: (s: string) => void): Promise<void> {
  return new Promise((resolve) => {
    const onHup = () => {
      if (!load) return void out('rampart: SIGHUP ignored (no config file)');
      try {
        const next = load();
        app.reload(next).catch((e: unknown) => app.log.error({ err: e }, 'reload refused'));
      } catch (e) {
        app.log.error({ err: e instanceof RampartError ? e.message : String(e) }, 'reload refused: the old configuration keeps running');
      }
    };
    const onStop = (sig: string) => {
      out(`rampart: ${sig}, draining in-flight requests`);
      process.off('SIGHUP', onHup);
      app.stop().then(resolve, resolve);
    };
    process.on('SIGHUP', onHup);
    process.once('SIGTERM', () => onStop('SIGTERM'));
    process.once('SIGINT', () => onStop('SIGINT'));
  });
}
