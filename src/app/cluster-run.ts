// Runs Rampart on all cores from a configuration file: `node
// dist/app/cluster-run.js rampart.yaml` (src/app/cluster-run.ts under tsx in
// tests). Prints one JSON line {url, pids} when the workers are ready; SIGHUP
// reloads the file, SIGTERM/SIGINT drain and exit. `rampart start` hands over
// to runClusterUntilSignal() when workers ≠ 1.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.js';
import { RampartError } from '../core/errors.js';
import { startCluster, type ClusterHandle } from './cluster.js';
import { createLogger } from './logger.js';

/**
 * Runs the cluster until SIGTERM/SIGINT. `source` is the file to re-read on
 * SIGHUP and POST /api/reload (or a loader that re-applies command-line flags
 * to it; null: no reload). `json` prints the ready line as JSON (for scripts).
 */
export async function runClusterUntilSignal(
  config: Config,
  source: string | (() => Config | Promise<Config>) | null,
  out: (s: string) => void,
  opts: { json?: boolean; file?: string } = {},
): Promise<void> {
  const log = createLogger(config.log.level);
  const load = typeof source === 'string' ? () => loadFile(source) : source;
  const file = typeof source === 'string' ? source : (opts.file ?? null);
  const handle: ClusterHandle = await startCluster(config, { log, load, file: file ?? undefined });
  const pids = handle.pids();
  out(
    opts.json
      ? JSON.stringify({ url: handle.url, pids })
      : `rampart: shielding ${config.origin} at ${handle.url} with ${pids.length} workers`,
  );
  await new Promise<void>((resolve) => {
    const onHup = () => {
      if (!load) return void out('rampart: SIGHUP ignored (no config file)');
      Promise.resolve()
        .then(load)
        .then((next) => {
          handle.reload(next);
          log.info({ file }, 'configuration sent to the workers');
        })
        .catch((e: unknown) =>
          log.error(
            { err: e instanceof RampartError ? e.message : String(e) },
            'reload refused: the old configuration keeps running',
          ),
        );
    };
    const onStop = (sig: string) => {
      out(`rampart: ${sig}, draining the workers`);
      process.off('SIGHUP', onHup);
      handle.stop().then(resolve, resolve);
    };
    process.on('SIGHUP', onHup);
    process.once('SIGTERM', () => onStop('SIGTERM'));
    process.once('SIGINT', () => onStop('SIGINT'));
  });
}

/**
 * The file, parsed in this process (loaded when first needed). `rampart start`
 * passes a loader of its own instead, which parses in a short-lived child
 * process so that the primary never holds the schema library (cli/config-child.ts).
 */
async function loadFile(file: string): Promise<Config> {
  return (await import('../config/load.js')).loadConfigFile(file);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node dist/app/cluster-run.js CONFIG.yaml');
    process.exit(2);
  }
  try {
    await runClusterUntilSignal(await loadFile(file), file, (s) => console.log(s), { json: true });
    process.exit(0);
  } catch (e) {
    console.error(e instanceof RampartError ? `rampart: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}` : e);
    process.exit(1);
  }
}
