// `rampart start`: runs the shield from a YAML file (or flags alone), reloads
// on SIGHUP (a bad new file is refused and the old config keeps running) and
// drains in-flight requests on SIGTERM/SIGINT.
import type { Config } from '../config/schema.js';
import { RampartError } from '../core/errors.js';
import { loadConfig } from './config-child.js';

import type { App } from '../app/app.js';
import { workerCount } from '../app/cluster-config.js';
import { overrides, parse } from './args.js';

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

export async function run(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parse('start', argv, {
    config: { type: 'string', short: 'c' },
    origin: { type: 'string' },
    listen: { type: 'string' },
    host: { type: 'string', multiple: true },
    admin: { type: 'string' },
  });
  if (values.help) {
    out(help);
    return 0;
  }
  // Parsed on a short-lived child process: this process never holds the schema library (config-child.ts).
  const load = () => loadConfig({ kind: 'flags', values });
  const config = await load();
  if (workerCount(config) > 1) {
    // A reload re-reads the file and re-applies the flags, as in one process.
    // The primary loads the cluster alone: the data plane (proxy, policy, undici, …) lives in the workers.
    const { runClusterUntilSignal } = await import('../app/cluster-run.js');
    await runClusterUntilSignal(config, values.config ? load : null, out, {
      file: values.config ? String(values.config) : undefined,
    });
    return 0;
  }
  const { createApp } = await import('../app/app.js');
  const app = createApp(config, {
    configFile: values.config && !overrides(values) ? String(values.config) : undefined,
  });
  await app.start();
  out(`rampart: shielding ${config.origin} at ${app.url()}`);
  // A reload re-reads the file and applies the same flags again, so --origin or
  // --listen given at start keep winning over the file.
  await serveUntilSignal(app, values.config ? load : null, out);
  return 0;
}

/** Keeps running; SIGHUP reloads through `load` (null: no file to reload), SIGTERM/SIGINT drains and resolves. */
export function serveUntilSignal(
  app: App,
  load: (() => Config | Promise<Config>) | null,
  out: (s: string) => void,
): Promise<void> {
  return new Promise((resolve) => {
    const onHup = () => {
      if (!load) return void out('rampart: SIGHUP ignored (no config file)');
      Promise.resolve()
        .then(load)
        .then(
          (next) => app.reload(next).catch((e: unknown) => app.log.error({ err: e }, 'reload refused')),
          (e: unknown) =>
            app.log.error(
              { err: e instanceof RampartError ? e.message : String(e) },
              'reload refused: the old configuration keeps running',
            ),
        );
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
