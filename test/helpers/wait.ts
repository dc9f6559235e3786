// One bounded poll for tests: waits until `cond` (sync or async) holds, every
// `everyMs`, and fails after `maxMs` naming what it waited for (and, when
// given, what it saw). Never a fixed sleep: the wait ends as soon as it can.

export async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  maxMs: number,
  seen?: () => string,
  everyMs = 50,
): Promise<void> {
  const until = Date.now() + maxMs;
  while (!(await cond())) {
    if (Date.now() > until)
      throw new Error(`timed out after ${maxMs} ms waiting for ${what}${seen ? `: ${seen()}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
