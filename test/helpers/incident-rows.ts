// Waits on an incident store from outside the process that writes it (a
// cluster's recorder worker), the way `rampart report` reads it: read-only,
// opened and closed on each poll.
import { join } from 'node:path';
import { openIncidentStore } from '../../src/control/incidents-store.js';
import { waitFor } from './wait.js';

type Row = ReturnType<ReturnType<typeof openIncidentStore>['list']>[number];

/** Polls data_dir's incident rows (newest `limit`) until `check` holds; fails after `ms`. */
export async function waitForRows(
  dataDir: string,
  what: string,
  check: (rows: Row[]) => boolean,
  ms: number,
  limit = 10,
): Promise<void> {
  const rows = () => {
    const s = openIncidentStore(join(dataDir, 'incidents.sqlite'), { readonly: true });
    try {
      return s.list(limit);
    } finally {
      s.close();
    }
  };
  let last: Row[] = [];
  await waitFor(
    () => {
      last = rows();
      return check(last);
    },
    { what, timeoutMs: ms, seen: () => last.map((r) => `${r.id} ${r.status}`) },
  );
}

/** At least one incident, and every listed one closed. */
export const allClosed = (rows: Row[]) => rows.length > 0 && rows.every((r) => r.status === 'closed');
