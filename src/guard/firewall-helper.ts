// The privileged firewall helper (`rampart firewall-helper`, run as root or
// with CAP_NET_ADMIN): owns the nftables table of src/guard/nft.ts and
// answers JSON lines on a Unix socket — `sync` (replace the set), `delta`
// (removals and additions), `list` (nft's JSON of the table, for status and
// tests), `ping`. Workers never hold CAP_NET_ADMIN; this process never
// parses HTTP. Every element is validated before it is written; one nft
// batch runs at a time. Memory: one line buffer per client (capped).
import { chmodSync, chownSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { StartupError } from '../core/errors.js';
import { checkElement, deltaScript, runNft, setupScript, syncScript, TABLE_RE } from './nft.js';

export interface FirewallHelperOptions {
  socket: string;
  /** nftables table name (inet family). Default "rampart". */
  table?: string;
  /** Group given the socket (mode 0660), so that an unprivileged Rampart can connect; null keeps root's. */
  group?: number | null;
  /** The nft binary. Default "nft". */
  nft?: string;
  log?: (msg: string) => void;
}

export interface FirewallHelper {
  close(): Promise<void>;
}

const MAX_LINE = 32 * 1024 * 1024;
const MAX_ELEMENTS = 2_000_000;

type Req = {
  id?: unknown;
  op?: unknown;
  v4?: unknown;
  v6?: unknown;
  del4?: unknown;
  del6?: unknown;
  add4?: unknown;
  add6?: unknown;
};

function elements(x: unknown, v6: boolean, what: string): string[] {
  if (x === undefined) return [];
  if (!Array.isArray(x) || x.length > MAX_ELEMENTS) throw new Error(`${what}: not a list of elements`);
  return x.map((e, i) => {
    const t = checkElement(e, v6);
    if (t === null)
      throw new Error(`${what}[${i}]: not an ${v6 ? 'IPv6' : 'IPv4'} element: ${JSON.stringify(e).slice(0, 80)}`);
    return t;
  });
}

/** What a request handler needs: the table, the nft binary, and the queue that runs one nft batch at a time. */
interface Nft {
  readonly table: string;
  readonly binary: string;
  serial<T>(fn: () => Promise<T>): Promise<T>;
}

function createNft(table: string, binary: string): Nft {
  let queue: Promise<unknown> = Promise.resolve();
  return {
    table,
    binary,
    serial<T>(fn: () => Promise<T>): Promise<T> {
      const p = queue.then(fn, fn);
      queue = p.catch(() => {});
      return p;
    },
  };
}

async function runReply(nft: Nft, script: string): Promise<Record<string, unknown>> {
  const res = await nft.serial(() => runNft(script, nft.binary));
  return res.ok ? { ok: true } : { ok: false, error: res.err };
}

async function handle(nft: Nft, r: Req): Promise<Record<string, unknown>> {
  switch (r.op) {
    case 'ping':
      return { ok: true };
    case 'sync':
      return runReply(nft, syncScript(nft.table, elements(r.v4, false, 'v4'), elements(r.v6, true, 'v6')));
    case 'delta': {
      const script = deltaScript(
        nft.table,
        { v4: elements(r.del4, false, 'del4'), v6: elements(r.del6, true, 'del6') },
        { v4: elements(r.add4, false, 'add4'), v6: elements(r.add6, true, 'add6') },
      );
      return runReply(nft, script);
    }
    case 'list': {
      const res = await nft.serial(() => runNft('', nft.binary, ['-j', 'list', 'table', 'inet', nft.table]));
      return res.ok ? { ok: true, nft: JSON.parse(res.out) } : { ok: false, error: res.err };
    }
    default:
      return { ok: false, error: `unknown op ${JSON.stringify(r.op)}` };
  }
}

/** One request line: its reply, with the request's id. */
async function answer(nft: Nft, line: string, log: (msg: string) => void): Promise<string> {
  let id: unknown = null;
  let reply: Record<string, unknown>;
  try {
    const r = JSON.parse(line) as Req;
    id = r.id ?? null;
    reply = await handle(nft, r);
  } catch (e) {
    reply = { ok: false, error: (e as Error).message };
  }
  if (reply.ok === false) log(`request refused: ${String(reply.error)}`);
  return `${JSON.stringify({ id, ...reply })}\n`;
}

/** Reads JSON lines from one client and answers them in order. */
function serve(sock: Socket, nft: Nft, log: (msg: string) => void): void {
  let buf = '';
  let chain: Promise<void> = Promise.resolve();
  sock.setEncoding('utf8');
  sock.on('error', () => {});
  sock.on('data', (d: string) => {
    buf += d;
    if (buf.length > MAX_LINE) {
      sock.destroy();
      return;
    }
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      chain = chain.then(async () => {
        const reply = await answer(nft, line, log);
        if (!sock.destroyed) sock.write(reply);
      });
      nl = buf.indexOf('\n');
    }
  });
}

async function setUpTable(table: string, binary: string): Promise<void> {
  if (!TABLE_RE.test(table))
    throw new StartupError(
      'E_FIREWALL_TABLE',
      `not a table name: ${JSON.stringify(table)}`,
      'lower case letters, digits and _, e.g. rampart',
    );
  const setup = await runNft(setupScript(table), binary);
  if (!setup.ok)
    throw new StartupError(
      'E_FIREWALL_NFT',
      `cannot set up the nftables table inet ${table}: ${setup.err}`,
      'run the helper as root (or with CAP_NET_ADMIN) on a machine with nftables (Debian: apt-get install nftables)',
    );
}

async function listen(server: Server, path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  rmSync(path, { force: true }); // a stale socket of a previous run
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) =>
      reject(
        new StartupError(
          'E_FIREWALL_SOCKET',
          `cannot listen on ${path}: ${e.message}`,
          'choose another path with --socket',
        ),
      ),
    );
    server.listen(path, () => resolve());
  });
}

export async function startFirewallHelper(o: FirewallHelperOptions): Promise<FirewallHelper> {
  const table = o.table ?? 'rampart';
  const log = o.log ?? (() => {});
  await setUpTable(table, o.nft ?? 'nft');
  const nft = createNft(table, o.nft ?? 'nft');
  const open = new Set<Socket>();
  const server: Server = createServer((sock) => {
    open.add(sock);
    sock.once('close', () => open.delete(sock));
    serve(sock, nft, log);
  });
  await listen(server, o.socket);
  chmodSync(o.socket, 0o660);
  if (o.group !== undefined && o.group !== null) chownSync(o.socket, process.getuid?.() ?? 0, o.group);
  log(`listening on ${o.socket}; table inet ${table}`);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of open) s.destroy();
      }),
  };
}
