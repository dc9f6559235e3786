// Loads a configuration in a short-lived child process: the long-running
// process that only needs the result (a cluster primary, a single-process
// shield, the demo) never holds the schema library (zod, yaml, the compiled
// schema: ~12 MB resident); the child's memory goes back to the system when it
// exits, at start and at each reload (~0.2 s each). A worker thread would not
// do: its malloc arena stays with the process. Errors come back as the same
// ConfigError/RampartError. From src/ under tsx (tests) it loads in-process.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { deepFreeze } from '../config/camelize.js';
import type { Config } from '../config/schema.js';
import { ConfigError, RampartError, type ConfigIssue, type ErrorSource } from '../core/errors.js';

export type ConfigRequest =
  /** `rampart start`'s flags (start-config.ts). */
  | { kind: 'flags'; values: Record<string, unknown> }
  /** A plain (snake_case) object, named in errors. */
  | { kind: 'object'; input: unknown; name: string };

type ErrorData = { issues?: ConfigIssue[]; code?: string; message: string; source?: ErrorSource; hint?: string };
type Reply = { ok: true; config: Config } | { ok: false; error: ErrorData };

async function loadHere(req: ConfigRequest): Promise<Config> {
  if (req.kind === 'flags') return (await import('./start-config.js')).configFromFlags(req.values);
  return (await import('../config/load.js')).loadConfigObject(req.input, req.name);
}

function toData(e: unknown): ErrorData {
  if (e instanceof ConfigError) return { issues: [...e.issues], message: e.message };
  if (e instanceof RampartError) return { code: e.code, message: e.message, source: e.source, hint: e.hint };
  return { message: e instanceof Error ? e.message : String(e) };
}

function fromData(d: ErrorData): Error {
  if (d.issues) return Object.assign(new ConfigError(d.issues), { message: d.message });
  if (d.code) return new RampartError(d.code, d.message, d.source ?? 'operator', d.hint ?? '');
  return new Error(d.message);
}

const CHILD_FLAG = '--rampart-config-child';

export function loadConfig(req: ConfigRequest): Promise<Config> {
  if (import.meta.url.endsWith('.ts')) return loadHere(req);
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [CHILD_FLAG], {
      serialization: 'advanced',
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let reply: Reply | null = null;
    child.once('message', (m: Reply) => (reply = m));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (reply === null) return reject(new Error(`the configuration process exited (${code}) without an answer`));
      if (reply.ok) resolve(deepFreeze(reply.config) as Config);
      else reject(fromData(reply.error));
    });
    child.send(req);
  });
}

if (process.argv[2] === CHILD_FLAG && process.send) {
  process.once('message', (req: ConfigRequest) => {
    loadHere(req).then(
      (config) => process.send!({ ok: true, config } satisfies Reply, () => process.disconnect()),
      (e: unknown) => process.send!({ ok: false, error: toData(e) } satisfies Reply, () => process.disconnect()),
    );
  });
}
