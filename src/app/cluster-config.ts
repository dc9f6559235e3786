// What the cluster primary decides before and between its workers: how many,
// their V8 flags and malloc settings, the one admin token they share, and the
// listen addresses a reload may not change. Pure decisions plus one file write.
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { ConfigError, RampartError, StartupError } from '../core/errors.js';
import { deepFreeze } from '../config/camelize.js';
import type { Config } from '../config/schema.js';
import { sharedStorePath } from '../cache/shared-store.js';
import type { ReloadReply } from '../exchange/messages.js';
import type { Logger } from './logger.js';

export function workerCount(c: Config): number {
  return c.workers === 'auto' ? availableParallelism() : c.workers;
}

export function withToken(c: Config, token: string): Config {
  return deepFreeze({ ...c, admin: { ...c.admin, token } });
}

/**
 * Every worker runs the admin API on the shared port, so they must agree on its
 * token: an unset token is generated here once (not in each worker), logged and
 * written to data_dir/admin.token (0600) as the single-process app does.
 */
export function withSharedToken(c: Config, log: Logger): Config {
  if (c.admin.token) return c;
  const token = randomBytes(24).toString('base64url');
  let file = '';
  if (existsSync(c.dataDir)) {
    try {
      file = join(c.dataDir, 'admin.token');
      writeFileSync(file, `${token}\n`, { mode: 0o600 });
    } catch {
      file = '';
    }
  }
  log.warn(
    { tokenFile: file || undefined, token },
    'admin.token is not set: generated one for this run, shared by all workers (set admin.token to keep it across restarts)',
  );
  return withToken(c, token);
}

/**
 * V8 flags of every worker. A young generation capped at 2 MB semi-spaces (V8
 * grows it to 16 MB on 64-bit after start-up's burst of allocations and never
 * gives it back) keeps ~10 MB less resident per worker; a proxy's per-request
 * garbage dies young either way (bench/load measures the throughput cost).
 */
export const WORKER_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

/**
 * glibc malloc settings of every worker (ignored by other C libraries): blocks
 * from 128 KiB are mapped and unmapped on their own (glibc otherwise raises
 * that threshold as big blocks are freed and keeps them), free memory at the
 * top of the heap is given back from 128 KiB, and two arenas serve the
 * process's threads instead of one per thread. ~3 MB less resident per worker.
 */
export const WORKER_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
  MALLOC_TRIM_THRESHOLD_: '131072',
};

/**
 * How the workers share the listening sockets, set before the first fork. Node's default on Linux,
 * round robin, has the primary accept every connection and pass it to a worker over IPC: a flood's
 * thousands of new connections at start (or after a restart) then queue behind that one process,
 * which also runs the detector. Shared sockets (SCHED_NONE) let each worker accept for itself, as
 * nginx's workers do: in bench, people's round trips in the first two seconds of a shield started
 * into a 2,000-source flood took about half as long. NODE_CLUSTER_SCHED_POLICY, when set, wins.
 */
export function shareAccept(c: { schedulingPolicy: number; SCHED_NONE: number }, env = process.env): void {
  if (env.NODE_CLUSTER_SCHED_POLICY === undefined) c.schedulingPolicy = c.SCHED_NONE;
}

/** Listen addresses, their backlog and TLS files are bound by the primary's shared sockets: a reload cannot change them. */
export function checkListeners(a: Config, b: Config): void {
  const same = a.listen.host === b.listen.host && (a.listen.port === b.listen.port || b.listen.port === 0);
  if (
    !same ||
    a.tls.cert !== b.tls.cert ||
    a.tls.key !== b.tls.key ||
    a.limits.listenBacklog !== b.limits.listenBacklog ||
    a.admin.listen.host !== b.admin.listen.host ||
    (a.admin.listen.port !== b.admin.listen.port && b.admin.listen.port !== 0)
  ) {
    throw new StartupError(
      'E_RELOAD_LISTEN',
      'listen addresses, limits.listen_backlog and TLS files cannot change on reload',
      'restart Rampart to change listeners',
    );
  }
}

/** The reply to a worker's reload request: `load` re-reads the file and `apply` sends it to every worker. */
export async function reloadReply(
  id: number,
  opts: { load?: (() => Config | Promise<Config>) | null; file?: string },
  apply: (next: Config) => void,
  log: Logger,
): Promise<ReloadReply> {
  const reply: ReloadReply = { rampart: 'app', op: 'reloaded', id };
  const { load, file } = opts;
  if (!load) {
    const hint = "start with 'rampart start -c FILE' to reload from it";
    const message = 'this process was started without a configuration file';
    return { ...reply, error: { code: 'E_NO_CONFIG_FILE', message, hint } };
  }
  try {
    apply(await load());
    log.info({ file }, 'configuration sent to the workers (admin API)');
    return { ...reply, file: file ?? '' };
  } catch (e) {
    const r = e instanceof RampartError ? e : new StartupError('E_RELOAD', String(e));
    const issues = r instanceof ConfigError ? [...r.issues] : undefined;
    return { ...reply, error: { code: r.code, message: r.message, hint: r.hint, issues } };
  }
}

/** One response store for the machine: every worker opens this file (created by the first one); '' for none. */
export function sharedCacheFile(c: Config, log: Logger): string {
  try {
    return sharedStorePath(c.originProtection.cache.maxBytes, c.dataDir);
  } catch (e) {
    const err = e instanceof Error ? e.message : String(e);
    log.warn({ err }, 'no place for the shared cache: each worker keeps its own');
    return '';
  }
}
