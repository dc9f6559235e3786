// Rampart's version, read once from package.json (shown by /api/status and the dashboard).
import { readFileSync } from 'node:fs';

let cached = '';

export function rampartVersion(): string {
  if (!cached)
    cached = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
      .version;
  return cached;
}
