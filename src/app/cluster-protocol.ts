// Messages between the cluster primary (cluster.ts) and its workers
// (cluster-worker.ts) about the app itself; state messages are separate
// (src/state/ipc.ts). Sent with node:cluster's advanced serialization.
import type { Config } from '../config/schema.js';

export type ToWorkerApp = { rampart: 'app'; op: 'config'; config: Config } | { rampart: 'app'; op: 'reload'; config: Config } | { rampart: 'app'; op: 'stop' };

/** `boot`: the worker's module has loaded and listens for messages ('online' comes too early: messages sent then are lost). */
export type ToPrimaryApp = { rampart: 'app'; op: 'boot' } | { rampart: 'app'; op: 'ready'; url: string; pid: number } | { rampart: 'app'; op: 'error'; message: string; pid: number };

export function isAppMessage(m: unknown): m is { rampart: 'app'; op: string } {
  return m !== null && typeof m === 'object' && (m as { rampart?: unknown }).rampart === 'app';
}
