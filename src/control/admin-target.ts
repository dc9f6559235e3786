// Where the operator CLI finds the admin API and its token: --admin URL (or
// RAMPART_ADMIN_URL, or admin.listen of -c FILE, default http://127.0.0.1:9090)
// and --token (or RAMPART_ADMIN_TOKEN, or admin.token of -c FILE, or the token
// Rampart generated into <data_dir>/admin.token). Not a client: admin-client.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigFile } from '../config/load.js';
import { UsageError } from '../core/errors.js';

export interface AdminTarget {
  url: string;
  token: string;
}

export const TARGET_FLAGS = {
  admin: { type: 'string' },
  token: { type: 'string' },
  config: { type: 'string', short: 'c' },
} as const;

export const TARGET_HELP = `  --admin URL      admin API (default: $RAMPART_ADMIN_URL, admin.listen of -c FILE, or http://127.0.0.1:9090)
  --token TOKEN    admin token (default: $RAMPART_ADMIN_TOKEN, admin.token of -c FILE, or <data_dir>/admin.token)
  -c, --config F   read the admin address and token from this configuration`;

export function resolveAdmin(
  values: { admin?: string; token?: string; config?: string },
  env: NodeJS.ProcessEnv = process.env,
): AdminTarget {
  let url = values.admin ?? env.RAMPART_ADMIN_URL ?? '';
  let token = values.token ?? env.RAMPART_ADMIN_TOKEN ?? '';
  let dataDir = './data';
  if (values.config) {
    const c = loadConfigFile(values.config);
    const h = c.admin.listen.host;
    const host = h === '0.0.0.0' ? '127.0.0.1' : h === '::' ? '[::1]' : h.includes(':') ? `[${h}]` : h;
    if (!url) url = `http://${host}:${c.admin.listen.port}`;
    if (!token) token = c.admin.token;
    dataDir = c.dataDir;
  }
  if (!url) url = 'http://127.0.0.1:9090';
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new UsageError(`not an admin URL: ${JSON.stringify(url)}`, 'e.g. --admin http://127.0.0.1:9090');
  }
  if (!token) {
    try {
      token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
    } catch {
      token = '';
    }
  }
  if (!token)
    throw new UsageError('no admin token', 'give --token, set RAMPART_ADMIN_TOKEN, or -c FILE with admin.token set');
  return { url: url.replace(/\/+$/, ''), token };
}
