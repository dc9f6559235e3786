// The demo origin in its own process for bench/origin/run.ts, so that its CPU
// work (/search hashing) does not block the shield's event loop — as on a
// real deployment, where the origin is another machine. Driven over IPC:
// {cmd: 'stats' | 'reset' | 'close'}; replies with the stats object.
import { startDemoOrigin } from '../../src/demo/origin.js';

const capacity = Number(process.argv[2] ?? 8);
const delay = Number(process.argv[3] ?? 0);
const origin = await startDemoOrigin({ maxConcurrency: capacity });
origin.setDelay(delay);
process.send!({ url: origin.url });
process.on('message', async (m: { cmd: string }) => {
  if (m.cmd === 'reset') origin.reset();
  if (m.cmd === 'close') {
    await origin.close();
    process.send!({ closed: true });
    process.exit(0);
  }
  process.send!({ stats: origin.stats() });
});
