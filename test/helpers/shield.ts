// Starts a real Rampart (createApp) on 127.0.0.1 port 0 in front of an origin,
// with config overrides in YAML (snake_case) form, logs silenced.
import { createApp, type App, type AppOptions } from '../../src/app/app.js';
import { createLogger } from '../../src/app/logger.js';
import { loadConfigObject } from '../../src/config/load.js';

export async function startShield(origin: string, overrides: Record<string, unknown> = {}, appOpts: AppOptions = {}): Promise<App & { port: number }> {
  const config = loadConfigObject({ listen: '127.0.0.1:0', origin, hosts: ['127.0.0.1', 'localhost', 'site.test', '*.site.test'], admin: { listen: '127.0.0.1:0' }, ...overrides });
  const app = createApp(config, { log: createLogger(process.env.RAMPART_TEST_LOG ?? 'silent'), ...appOpts });
  await app.start();
  return Object.assign(app, { port: app.address()!.port });
}
