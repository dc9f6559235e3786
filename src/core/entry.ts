// Where a module forks a sibling entry point (cluster worker, drill attack
// process): the compiled `.js` beside a compiled module, run as plain
// JavaScript; or, when the caller itself runs from src/ under tsx (tests,
// benchmarks), the `.ts` source with tsx's loader. No I/O, no loader import.

export interface Entry {
  /** Absolute path of the file to fork. */
  file: string;
  /** Node flags for the child: the parent's own, plus tsx's loader from src/. */
  execArgv: string[];
}

/** `metaUrl`: the caller's import.meta.url; `name`: the sibling's file name without extension. */
export function siblingEntry(metaUrl: string, name: string): Entry {
  const fromSource = metaUrl.endsWith('.ts');
  const file = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, metaUrl).pathname;
  if (!fromSource) return { file: decodeURIComponent(file), execArgv: process.execArgv.slice() };
  // An absolute loader URL: the child may start in any directory.
  return { file: decodeURIComponent(file), execArgv: ['--import', import.meta.resolve('tsx')] };
}
