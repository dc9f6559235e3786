// Starts a throwaway redis-server on a free loopback port (no persistence)
// and stops it; `available()` tells tests whether to skip (only outside CI:
// with CI=true a missing redis-server fails the test instead).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { waitFor } from './wait.js';

export interface RedisServer {
  port: number;
  url: string;
  /** Kills the server (SIGKILL: a crash, not a clean shutdown). */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function redisAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Returns a reason to skip, or '' to run; throws under CI when redis-server is missing. */
export function redisSkipReason(): string {
  if (redisAvailable()) return '';
  if (process.env.CI)
    throw new Error('redis-server is not installed but CI is set (hint: .ci/run installs it with apt-get)');
  return 'redis-server is not installed (apt-get install redis-server); skipped outside CI';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitListening(port: number, child: ChildProcess): Promise<void> {
  const accepts = () =>
    new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      return accepts();
    },
    { what: `redis-server to listen on ${port}`, intervalMs: 25 },
  );
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const launch = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'],
      { stdio: 'ignore' },
    );
    await waitListening(port, child);
  };
  const kill = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((r) => {
      c.once('exit', () => r());
      c.kill('SIGKILL');
    });
  };
  await launch();
  return { port, url: `redis://127.0.0.1:${port}`, kill, restart: launch, stop: kill };
}
