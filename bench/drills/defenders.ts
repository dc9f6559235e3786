// The processes a drill benchmark runs: the demo origin, and in front of it
// one defender — Rampart on its default config, nginx with limit_req and
// limit_conn per address, or HAProxy with a stick table — each a child
// process on 127.0.0.1 with its files in a temp directory, stopped by pid.
import { spawn, type ChildProcess, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type DefenderName = 'rampart' | 'nginx' | 'haproxy';

export interface Running {
  url: string;
  stop(): Promise<void>;
  /** Rampart's admin listener: its incident report is compared with the drill's ground truth. */
  admin?: { url: string; token: string };
}

const ROOT = new URL('../..', import.meta.url).pathname;

export function installed(name: DefenderName): boolean {
  if (name === 'rampart') return true;
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((r) => {
      const s = connect({ port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not listen on ${port} within 20 s`);
}

function stopper(child: ChildProcess, dir: string | null): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  };
}

export async function startOrigin(): Promise<Running> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/drills/origin-proc.ts')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d) => {
      buf += d;
      const line = buf.split('\n')[0];
      if (buf.includes('\n')) resolve(line.trim());
    });
    child.once('exit', (c) => reject(new Error(`demo origin exited with ${c}`)));
  });
  return { url, stop: stopper(child, null) };
}

export async function startDefender(name: DefenderName, originUrl: string): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), `rampart-drill-${name}-`));
  const port = await freePort();
  const origin = new URL(originUrl);
  let child: ChildProcess;
  let adminPort = 0;
  if (name === 'rampart') {
    // Rampart's defaults: only what a config must name (listen, origin, hosts) plus a free admin port (its report is compared with the drill).
    adminPort = await freePort();
    writeFileSync(
      join(dir, 'rampart.yaml'),
      `listen: 127.0.0.1:${port}\norigin: ${originUrl}\nhosts: [127.0.0.1, localhost]\nadmin:\n  listen: 127.0.0.1:${adminPort}\n  token: ${ADMIN_TOKEN}\ndata_dir: ${dir}/data\nlog:\n  level: error\n`,
    );
    child = spawn(process.execPath, [join(ROOT, 'bin/rampart.js'), 'start', '-c', join(dir, 'rampart.yaml')], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } else if (name === 'nginx') {
    writeFileSync(join(dir, 'nginx.conf'), nginxConf(port, origin.host, dir));
    child = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } else {
    writeFileSync(join(dir, 'haproxy.cfg'), haproxyCfg(port, origin.host));
    child = spawn('haproxy', ['-f', join(dir, 'haproxy.cfg'), '-db'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  await waitForPort(port, child, name).catch(async (e) => {
    await stopper(child, dir)();
    throw e;
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: stopper(child, dir),
    admin: adminPort ? { url: `http://127.0.0.1:${adminPort}`, token: ADMIN_TOKEN } : undefined,
  };
}

const ADMIN_TOKEN = 'drill-bench-admin-token-0123456789';

// Per-address limits as an operator would set them for this site: 10 r/s with
// a burst of 40 (a page with its assets is ~5 requests at once), 20 connections.
function nginxConf(port: number, upstream: string, dir: string): string {
  return `worker_processes 1;
error_log ${dir}/error.log error;
pid ${dir}/nginx.pid;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  limit_req_zone $binary_remote_addr zone=perip:20m rate=10r/s;
  limit_conn_zone $binary_remote_addr zone=conns:20m;
  limit_req_status 429;
  limit_conn_status 429;
  client_header_timeout 10s;
  client_body_timeout 10s;
  keepalive_timeout 5s;
  upstream origin { server ${upstream}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      limit_req zone=perip burst=40 nodelay;
      limit_conn conns 20;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_pass http://origin;
    }
  }
}
`;
}

function haproxyCfg(port: number, upstream: string): string {
  return `global
  maxconn 8000
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  timeout http-request 10s
  timeout http-keep-alive 5s
frontend web
  bind 127.0.0.1:${port}
  stick-table type ip size 1m expire 60s store http_req_rate(10s),conn_cur
  tcp-request connection track-sc0 src
  tcp-request connection reject if { sc_conn_cur(0) gt 20 }
  http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100 }
  option forwardfor
  default_backend origin
backend origin
  http-reuse safe
  server o ${upstream} maxconn 256
`;
}
