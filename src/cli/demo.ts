// `rampart demo` (what `npm start` runs): the built-in campaign site as the
// origin, with Rampart in front of it on the embedded defaults.
import { createApp } from '../app/app.js';
import { loadConfig } from './config-child.js';
import { startDemoOrigin } from '../demo/origin.js';
import { parse } from './args.js';
import { serveUntilSignal } from './start.js';

export const help = `Usage: rampart demo [--listen HOST:PORT] [--admin HOST:PORT] [--origin-port N]

Runs a small campaign website (home, donate, login, search, donor API) as
the origin and Rampart in front of it, with the embedded default settings.
The demo runs in one process (no cluster workers, whatever the core count);
use 'rampart start' for workers on all cores.

Options:
      --listen H:P      where Rampart listens (default 127.0.0.1:8080)
      --admin H:P       where the dashboard and admin API listen (default 127.0.0.1:9090)
      --origin-port N   where the demo origin listens (default: a free port)
  -h, --help            show this help`;

export async function run(argv: string[], out: (s: string) => void): Promise<number> {
  const { values } = parse('demo', argv, {
    listen: { type: 'string' },
    admin: { type: 'string' },
    'origin-port': { type: 'string' },
  });
  if (values.help) {
    out(help);
    return 0;
  }
  const origin = await startDemoOrigin({
    host: '127.0.0.1',
    port: Number(values['origin-port'] ?? 0),
    maxConcurrency: 32,
  });
  // Parsed on a short-lived child process: the demo process never holds the schema library (config-child.ts).
  const config = await loadConfig({
    kind: 'object',
    input: {
      listen: values.listen ?? '127.0.0.1:8080',
      origin: origin.url,
      hosts: ['localhost', '127.0.0.1', '[::1]'],
      data_dir: './data',
      admin: { listen: values.admin ?? '127.0.0.1:9090' },
      // The donor API holds personal records: the data-exposure watch reports on it.
      policy: { routes: [{ name: 'donors', class: 'sensitive', prefix: '/api/donors/' }] },
      // A demo is rehearsed seconds after it starts: the warm-up counts only
      // seconds with traffic (idle ones teach nothing), so 5 s is learned from
      // the drill's own 10 s of legit users before its attack begins (a real
      // site keeps the 60 s default or more).
      detector: { warmup: '5s' },
    },
    name: 'demo defaults',
  });
  const app = createApp(config);
  try {
    await app.start();
  } catch (e) {
    await origin.close();
    throw e;
  }
  const base = app.url();
  out(
    [
      'Rampart demo is running.',
      `  campaign site (through the shield): ${base}/`,
      `  donate: ${base}/donate   login: ${base}/login   search: ${base}/search?q=water`,
      `  demo origin (unprotected, direct):  ${origin.url}/`,
      `  dashboard and admin API:            ${app.control.url()}/   (token: ${app.control.token()})`,
      `  rehearse an attack (another shell): npx rampart drill --target ${base} --scenario botnet --origin-stats ${origin.url}/__demo/stats`,
      `  then the evidence:                  npx rampart report latest --format html -o incident.html`,
      'Press Ctrl+C to stop.',
    ].join('\n'),
  );
  await serveUntilSignal(app, null, out);
  await origin.close();
  return 0;
}
