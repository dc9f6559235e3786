// The demo origin in its own process for the drill benchmark (its search
// burns CPU synchronously, so it must not share an event loop with the drill
// or the proxy). Prints its URL on stdout; stops on SIGTERM.
import { startDemoOrigin } from '../../src/demo/origin.js';

const o = await startDemoOrigin({
  host: '127.0.0.1',
  port: 0,
  maxConcurrency: Number(process.env.ORIGIN_CONCURRENCY ?? 32),
  searchCpuMs: Number(process.env.ORIGIN_SEARCH_MS ?? 4),
});
process.stdout.write(`${o.url}\n`);
process.on('SIGTERM', () => void o.close().then(() => process.exit(0)));
