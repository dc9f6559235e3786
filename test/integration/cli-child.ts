// Runs bin/rampart.js as a real child process for the CLI tests: collects
// stdout/stderr, waits for a line, sends signals, and always kills what it
// started (the `stop()` of every child is called in `after`/`finally`).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/rampart.js', import.meta.url));

export interface Child {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `re` in stdout+stderr (waits up to `ms`). */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
  stop(): Promise<void>;
}

/** `opts.bin`: another copy's bin/rampart.js (an installed package); default this checkout's. */
export function spawnRampart(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; bin?: string; nodeArgs?: string[] } = {},
): Child {
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), opts.bin ?? BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  const poke = () => {
    for (const w of waiters.splice(0)) w();
  };
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    poke();
  });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    poke();
  });
  const exited = new Promise<number | string>((resolve) =>
    proc.once('exit', (code, sig) => {
      resolve(code ?? sig ?? -1);
      poke();
    }),
  );
  let done = false;
  void exited.then(() => (done = true));
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(re, ms = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re} in:\n${out}\n${err}`)), ms);
        const check = () => {
          const m = (out + err).match(re);
          if (m) {
            clearTimeout(timer);
            return resolve(m);
          }
          if (done) {
            clearTimeout(timer);
            return reject(new Error(`exited before ${re} appeared:\n${out}\n${err}`));
          }
          waiters.push(check);
        };
        check();
      });
    },
    async stop() {
      if (done) return;
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** Runs the CLI to completion. */
export async function runRampart(
  args: string[],
  opts: { cwd?: string } = {},
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const c = spawnRampart(args, opts);
  const code = await c.exited;
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

/** A port that was free a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}
