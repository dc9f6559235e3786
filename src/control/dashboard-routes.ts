// Serves the dashboard: static HTML/CSS/JS from src/control/dashboard and
// uPlot from node_modules, all read once at start (a few hundred KB) and sent
// from memory; no CDN, so the dashboard works with no internet. The pages carry
// no secret: the token is typed into the page and kept in sessionStorage.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AdminRoute } from './admin-types.js';

const here = new URL('./dashboard/', import.meta.url);
const require = createRequire(import.meta.url);

const FILES: [path: string, load: () => Buffer, type: string][] = [
  ['/', () => readFileSync(new URL('index.html', here)), 'text/html; charset=utf-8'],
  ['/dashboard.css', () => readFileSync(new URL('dashboard.css', here)), 'text/css; charset=utf-8'],
  ['/dashboard.js', () => readFileSync(new URL('dashboard.js', here)), 'text/javascript; charset=utf-8'],
  ['/charts.js', () => readFileSync(new URL('charts.js', here)), 'text/javascript; charset=utf-8'],
  [
    '/vendor/uPlot.iife.min.js',
    () => readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js')),
    'text/javascript; charset=utf-8',
  ],
  ['/vendor/uPlot.min.css', () => readFileSync(require.resolve('uplot/dist/uPlot.min.css')), 'text/css; charset=utf-8'],
];

export function dashboardRoutes(): AdminRoute[] {
  return FILES.map(([path, load, type]) => {
    const body = load();
    return {
      method: 'GET',
      path,
      auth: false,
      handler: () => ({ body, type, headers: { 'cache-control': 'no-cache' } }),
    } satisfies AdminRoute;
  });
}
