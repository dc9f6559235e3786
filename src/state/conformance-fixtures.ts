// What the shared state suite (conformance.ts) is made of: the harness a
// backend hands it, the fixed start time, and the ban/mitigation fixtures and
// the polling helper its cases (conformance-*.ts) and other tests use.
// Test support only: nothing here runs in the proxy.
import assert from 'node:assert/strict';
import type { Ban, Mitigation } from '../core/model.js';
import type { SharedState } from './types.js';

export interface Harness {
  a: SharedState;
  /** A second node on the same store, or null for single-process backends. */
  b: SharedState | null;
  /** false when `b` is a second cluster worker of the same node, not another node (sendToNodes does not reach it). */
  nodeMessages?: boolean;
  /** Moves the clock both nodes read (ms). */
  advance(ms: number): void;
  now(): number;
  close(): Promise<void>;
}

/** Makes a started harness; `keyRotation` in ms (0 = never). */
export type HarnessFactory = (opts: { keyRotation: number }) => Promise<Harness>;

/** Runs one case on a fresh harness and closes it, whatever the case does. */
export type WithHarness = (fn: (h: Harness) => Promise<void> | void, keyRotation?: number) => Promise<void>;

export const CONFORMANCE_T0 = 1_700_000_000_000;

export function ban(target: string, until = CONFORMANCE_T0 + 60_000, extra: Partial<Ban> = {}): Ban {
  return { target, rule: 'ban/manual', createdAt: CONFORMANCE_T0, until, reason: 'test', source: 'manual', ...extra };
}

export function mitigation(id: string, until = CONFORMANCE_T0 + 60_000, extra: Partial<Mitigation> = {}): Mitigation {
  return {
    id,
    action: 'limit',
    rule: 'mitigate/limit-signature',
    match: {
      prefixKeys: [1],
      fingerprints: [2],
      routeClasses: ['login'],
      paths: ['/wp-login.php'],
      unverifiedOnly: true,
    },
    rate: 2,
    createdAt: CONFORMANCE_T0,
    until,
    reason: 'test',
    figures: { rps: 4100, baseline: 80 },
    ...extra,
  };
}

/** Polls `check` until it returns true (for background sync); fails after `ms`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`not reached within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
