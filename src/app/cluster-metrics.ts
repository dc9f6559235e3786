// GET /metrics in a cluster: the worker that gets the scrape asks the primary,
// which collects every ready worker's samples (prom-client JSON, labelled
// worker="<slot>") and aggregates them into one exposition. A worker silent
// for 2 s is left out. prom-client loads at the first scrape.
import type { Worker } from 'node:cluster';
import { createRequire } from 'node:module';
import type { ToWorkerApp } from '../exchange/messages.js';

const require = createRequire(import.meta.url);

export class MetricsGather {
  private readonly waiting = new Map<number, (json: object[]) => void>();
  private seq = 0;

  constructor(private readonly readyWorkers: () => Worker[]) {}

  /** A worker's samples for the collection `id` (a `metrics-part` message). */
  receive(id: number, json: object[]): void {
    this.waiting.get(id)?.(json);
  }

  /** Collects every ready worker's samples and answers request `id` through `to`. */
  async answer(id: number, to: { send(m: unknown): void }): Promise<void> {
    const parts = await this.collect();
    try {
      const { AggregatorRegistry } = require('prom-client') as typeof import('prom-client');
      const text = await AggregatorRegistry.aggregate(parts as never).metrics();
      to.send({ rampart: 'app', op: 'metrics', id, text } satisfies ToWorkerApp);
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      to.send({ rampart: 'app', op: 'metrics', id, error } satisfies ToWorkerApp);
    }
  }

  private async collect(): Promise<object[][]> {
    const cid = ++this.seq;
    const targets = this.readyWorkers();
    const parts: object[][] = [];
    await new Promise<void>((done) => {
      const timer = setTimeout(done, 2000);
      this.waiting.set(cid, (json) => {
        parts.push(json);
        if (parts.length < targets.length) return;
        clearTimeout(timer);
        done();
      });
      for (const w of targets)
        w.send({ rampart: 'app', op: 'metrics-collect', id: cid } satisfies ToWorkerApp as never);
    });
    this.waiting.delete(cid);
    return parts;
  }
}
