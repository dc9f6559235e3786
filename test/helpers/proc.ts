// Child processes seen from outside, for tests and benchmarks that start
// rampart as an operator would: wait for a line on its output, list a
// cluster's workers, read a process's resident memory. Linux (/proc).
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Resolves when `re` matches the process's stdout+stderr so far; rejects on exit or after `ms`. */
export function waitOutput(c: ChildProcess, re: RegExp, what: string, ms = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    const t = setTimeout(() => reject(new Error(`${what} did not start:\n${text}`)), ms);
    const on = (d: Buffer) => {
      text += d.toString();
      if (re.test(text)) {
        clearTimeout(t);
        resolve();
      }
    };
    c.stdout!.on('data', on);
    c.stderr!.on('data', on);
    c.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`${what} exited ${code}:\n${text}`));
    });
  });
}

/** Pids of a process's direct children (a cluster's workers), ascending. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(p));
    } catch {
      // the process left meanwhile
    }
  }
  return out.sort((a, b) => a - b);
}

/** Resident memory now (VmRSS) and at its peak (VmHWM), MiB. */
export function rssOf(pid: number): { now: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { now: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}
