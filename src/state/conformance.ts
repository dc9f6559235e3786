// One behaviour suite for every SharedState backend (after Anubis'
// lib/store/storetest): memory.test.ts, hub.test.ts and
// test/integration/state-redis.test.ts run it. Backends that share a store
// give a second node `b`, and the suite then also checks that writes on one
// node reach the other. The cases live by concept in conformance-*.ts.
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

export function runConformance(name: string, make: HarnessFactory): void {
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
  replicationCases(name, make);
}
