// The proof-of-work search shared by the Workers and the main-thread fallback:
// find a counter such that SHA-256(seed + counter) has >= bits leading zero
// bits. Each solver tries start, start+step, … so several Workers split the
// space. Pure JS is the default: in Chromium it measured ~15x faster than
// crypto.subtle, whose promise per digest dominates for 26-byte inputs. Where
// subtle exists (secure contexts) both are timed once and the faster one kept.
// Plain ES2017; assets.ts joins it after sha256.js and before page.js or
// worker.js, which call rampartSolve.
function rampartZeroBits(d) {
  let n = 0;
  for (let i = 0; i < d.length; i++) {
    if (d[i] === 0) {
      n += 8;
      continue;
    }
    return n + Math.clz32(d[i]) - 24;
  }
  return n;
}

// Step by step rather than with ?. (ES2020): older browsers must parse this file.
function rampartHasSubtle(g) {
  if (!g.isSecureContext || !g.crypto) return false;
  const subtle = g.crypto.subtle;
  if (!subtle) return false;
  return !!subtle.digest;
}

function rampartJsState(seed, bits, start, step) {
  const buf = new Uint8Array(64);
  for (let i = 0; i < seed.length; i++) buf[i] = seed.charCodeAt(i); // base64url: ASCII
  return { buf: buf, out: new Uint8Array(32), seedLen: seed.length, bits: bits, next: start, step: step, tried: 0 };
}

/** Pure JS: tries `budget` counters from state.next; returns the counter or -1. */
function rampartStepJs(state, budget) {
  const buf = state.buf;
  const out = state.out;
  const base = state.seedLen;
  const step = state.step;
  let n = state.next;
  for (let k = 0; k < budget; k++) {
    const s = String(n);
    for (let i = 0; i < s.length; i++) buf[base + i] = s.charCodeAt(i);
    rampartSha256(buf, base + s.length, out);
    if (rampartZeroBits(out) >= state.bits) return n;
    n += step;
  }
  state.next = n;
  state.tried += budget;
  return -1;
}

/** crypto.subtle: `size` digests in flight (hides per-call latency); resolves to the counter or -1. */
function rampartStepSubtle(g, state, size) {
  const enc = new TextEncoder();
  const jobs = new Array(size);
  const seed = state.seed;
  const from = state.next;
  const step = state.step;
  for (let i = 0; i < size; i++) jobs[i] = g.crypto.subtle.digest('SHA-256', enc.encode(seed + (from + i * step)));
  return Promise.all(jobs).then((ds) => {
    for (let j = 0; j < size; j++) if (rampartZeroBits(new Uint8Array(ds[j])) >= state.bits) return from + j * step;
    state.next = from + size * step;
    state.tried += size;
    return -1;
  });
}

function rampartLoopJs(st, report, yieldEvery) {
  return new Promise((resolve) => {
    (function chunk() {
      const r = rampartStepJs(st, 20000);
      if (r >= 0) {
        resolve({ counter: r, via: 'js' });
        return;
      }
      report(st.tried);
      if (yieldEvery) setTimeout(chunk, 0);
      else chunk();
    })();
  });
}

function rampartLoopSubtle(g, st, report) {
  return rampartStepSubtle(g, st, 512).then((r) => {
    if (r >= 0) return { counter: r, via: 'subtle' };
    report(st.tried);
    return rampartLoopSubtle(g, st, report);
  });
}

/** Solves in this thread; report(attempts) now and then; resolves to { counter, via }. */
// biome-ignore lint/correctness/noUnusedVariables: called by page.js and worker.js, joined with this file by assets.ts (browser scripts, no modules)
function rampartSolve(g, seed, bits, start, step, report, yieldEvery) {
  const st = rampartJsState(seed, bits, start, step);
  st.seed = seed;
  if (!rampartHasSubtle(g)) return rampartLoopJs(st, report, yieldEvery);
  const clock = g.performance || Date;
  const t0 = clock.now();
  const r = rampartStepJs(st, 20000);
  if (r >= 0) return Promise.resolve({ counter: r, via: 'js' });
  const jsMs = clock.now() - t0;
  const t1 = clock.now();
  return rampartStepSubtle(g, st, 512).then((r2) => {
    if (r2 >= 0) return { counter: r2, via: 'subtle' };
    const subtleFaster = (clock.now() - t1) / 512 < jsMs / 20000;
    return subtleFaster ? rampartLoopSubtle(g, st, report) : rampartLoopJs(st, report, yieldEvery);
  });
}
