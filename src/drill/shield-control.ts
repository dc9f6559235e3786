// Starting and stopping the shield under drill, so a campaign can start it
// while an attack already runs and restart it mid-attack. `spawnShield` runs
// `node bin/rampart.js start -c FILE` as a child process (its own process
// group), ready when the target port accepts connections; stop is SIGTERM
// (the shield drains), SIGKILL to the group after 10 s. Talks to the shield
// only through the process and its socket, like the rest of src/drill.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Target } from './target.js';

export interface ShieldControl {
  /** Starts the shield; resolves once it accepts connections on the target. */
  start(): Promise<void>;
  /** Stops it (drain, then exit); resolves once the process is gone. */
  stop(): Promise<void>;
  running(): boolean;
  describe(): string;
}

export interface SpawnShieldOptions {
  configFile: string;
  target: Target;
  /** Working directory of the shield process (default: this one). */
  cwd?: string;
  /** Give up waiting for the listener after this long (default 30 s). */
  startTimeoutMs?: number;
  /** Called with each line the shield writes to stderr (default: kept, shown when it fails). */
  onStderr?: (line: string) => void;
}

const BIN = fileURLToPath(new URL('../../bin/rampart.js', import.meta.url));

/** True when something accepts TCP connections at the target. */
export function listening(t: Target, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: t.hostname, port: t.port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export function spawnShield(o: SpawnShieldOptions): ShieldControl {
  return new ShieldProcess(o);
}

const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;

/** The shield as a child process, with the last 20 lines of its stderr to explain a failed start. */
class ShieldProcess implements ShieldControl {
  private child: ChildProcess | null = null;
  private tail: string[] = [];

  constructor(private readonly o: SpawnShieldOptions) {}

  async start(): Promise<void> {
    const o = this.o;
    if (this.child && !exited(this.child)) return;
    if (await listening(o.target, 300))
      throw new Error(
        `shield: something already listens on ${o.target.origin}; stop it first (or run without --shield-config)`,
      );
    const c = this.spawn();
    const deadline = Date.now() + (o.startTimeoutMs ?? 30_000);
    while (Date.now() < deadline) {
      if (exited(c))
        throw new Error(
          `shield exited with ${c.exitCode ?? c.signalCode} before listening${this.tail.length ? `:\n  ${this.tail.join('\n  ')}` : ''}`,
        );
      if (await listening(o.target, 500)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.stop();
    throw new Error(`shield did not listen on ${o.target.origin} within ${(o.startTimeoutMs ?? 30_000) / 1000} s`);
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (!c || exited(c)) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const t = setTimeout(() => {
      // Its own group: a cluster primary's workers go with it.
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        c.kill('SIGKILL');
      }
    }, 10_000);
    await gone;
    clearTimeout(t);
  }

  running(): boolean {
    return this.child !== null && !exited(this.child);
  }

  describe(): string {
    return `node bin/rampart.js start -c ${this.o.configFile}`;
  }

  /** `rampart start -c FILE` in its own process group, its stderr kept in `tail` (and passed to onStderr). */
  private spawn(): ChildProcess {
    const o = this.o;
    this.tail = [];
    // RAMPART_DRILL_SHIELD_LOG=FILE appends the shield's own log (stdout) there, to see what it decided and when.
    const logFile = process.env.RAMPART_DRILL_SHIELD_LOG;
    const out = logFile ? openSync(logFile, 'a') : 'ignore';
    // RAMPART_DRILL_NODE_FLAGS='--flag …' runs the shield's node with extra flags (its workers inherit them).
    const flags = (process.env.RAMPART_DRILL_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');
    const c = spawn(process.execPath, [...flags, BIN, 'start', '-c', o.configFile], {
      cwd: o.cwd,
      stdio: ['ignore', out, 'pipe'],
      detached: true,
    });
    if (typeof out === 'number') closeSync(out);
    this.child = c;
    c.stderr!.setEncoding('utf8').on('data', (d: string) => {
      for (const line of d.split('\n')) {
        if (line === '') continue;
        o.onStderr?.(line);
        this.tail.push(line);
        if (this.tail.length > 20) this.tail.shift();
      }
    });
    return c;
  }
}
