// Starts a real Rampart (createApp) on 127.0.0.1 port 0 in front of an origin,
// with config overrides in YAML (snake_case) form, logs silenced. Each shield
// gets its own temporary data_dir (incident store, admin token) unless the
// overrides name one, removed when the shield stops.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App, type AppOptions } from '../../src/app/app.js';
import { createLogger } from '../../src/app/logger.js';
import { loadConfigObject } from '../../src/config/load.js';

export async function startShield(
  origin: string,
  overrides: Record<string, unknown> = {},
  appOpts: AppOptions = {},
): Promise<App & { port: number }> {
  const ownDir = overrides.data_dir === undefined ? mkdtempSync(join(tmpdir(), 'rampart-test-')) : null;
  const dataDir = ownDir === null ? {} : { data_dir: ownDir };
  const config = loadConfigObject({
    listen: '127.0.0.1:0',
    origin,
    hosts: ['127.0.0.1', 'localhost', 'site.test', '*.site.test'],
    admin: { listen: '127.0.0.1:0' },
    ...dataDir,
    ...overrides,
  });
  const app = createApp(config, { log: createLogger(process.env.RAMPART_TEST_LOG ?? 'silent'), ...appOpts });
  await app.start();
  if (ownDir !== null) {
    const stop = app.stop.bind(app);
    app.stop = async () => {
      await stop();
      rmSync(ownDir, { recursive: true, force: true });
    };
  }
  return Object.assign(app, { port: app.address()!.port });
}
