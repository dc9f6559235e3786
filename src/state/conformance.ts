// One behaviour suite for every SharedState backend (after Anubis'
// lib/store/storetest): memory.test.ts, hub.test.ts and
// test/integration/state-redis.test.ts run it. Backends that share a store
// give a second node `b` and say so (`{ secondNode: true }`): the suite then
// also checks that writes on one node reach the other. The cases live by concept in conformance-*.ts.
import { changeCases, keyCases, modeCases } from './conformance-control.js';
import type { HarnessFactory, WithHarness } from './conformance-fixtures.js';
import { counterCases, idCases, nodeCases, replicationCases } from './conformance-sharing.js';
import { banCases, mitigationCases, validationCases } from './conformance-tables.js';

export {
  ban,
  CONFORMANCE_T0,
  eventually,
  type Harness,
  type HarnessFactory,
  mitigation,
} from './conformance-fixtures.js';

/** `secondNode`: the harness gives a second node `b` on the same store (a single process has none: nothing to replicate). */
export function runConformance(name: string, make: HarnessFactory, o: { secondNode: boolean }): void {
  const withHarness: WithHarness = async (fn, keyRotation = 0) => {
    const h = await make({ keyRotation });
    try {
      await fn(h);
    } finally {
      await h.close();
    }
  };
  banCases(name, withHarness);
  mitigationCases(name, withHarness);
  validationCases(name, withHarness);
  modeCases(name, withHarness);
  changeCases(name, withHarness);
  keyCases(name, withHarness);
  counterCases(name, withHarness);
  idCases(name, withHarness);
  nodeCases(name, withHarness);
  if (o.secondNode) replicationCases(name, make);
}
