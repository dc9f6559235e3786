// A temporary data_dir for a test's shield or cluster: without one it would use
// ./data, which every test in the run shares — and a shield restores what an
// earlier test's shield saved there (bans, mitigations, mode, client books).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

export function tempDataDir(label = 'rampart-test-'): string {
  const d = mkdtempSync(join(tmpdir(), label));
  made.push(d);
  return d;
}
