// The browser scripts of the challenge, read once at compile time from
// assets/*.js and joined: solver.js (page glue) and worker.js (Worker glue),
// each with the shared SHA-256 and search code, wrapped so they leak no globals.
// Served from memory; ~8 KB each, cacheable (they hold no per-client data).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const DIR = join(import.meta.dirname, 'assets');

function read(name: string): string {
  return readFileSync(join(DIR, name), 'utf8');
}

/** The source of the pure-JS SHA-256, also run by the unit tests in a vm. */
export function sha256Source(): string {
  return read('sha256.js');
}

export interface Asset {
  readonly body: Buffer;
  /** Flat header list for writeHead. */
  readonly headers: readonly string[];
}

function bundle(parts: string[]): Asset {
  const body = Buffer.from(`(function(){'use strict';\n${parts.map(read).join('\n')}\n})();\n`);
  const headers = [
    'content-type',
    'text/javascript; charset=utf-8',
    'content-length',
    String(body.length),
    'cache-control',
    'public, max-age=3600',
    'x-content-type-options',
    'nosniff',
    'rampart-verdict',
    'challenge/asset',
  ];
  return { body, headers };
}

export interface Assets {
  readonly solver: Asset;
  readonly worker: Asset;
}

export function loadAssets(): Assets {
  return {
    solver: bundle(['sha256.js', 'search.js', 'page.js']),
    worker: bundle(['sha256.js', 'search.js', 'worker.js']),
  };
}
