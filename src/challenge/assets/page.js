// Page glue: starts one Worker per core (up to 4) on interleaved counters, or
// solves on the main thread in small chunks when Workers are unavailable;
// shows progress, then submits the form, so the 303 answer sets the pass
// cookie and the browser lands on the page it first asked for. Plain ES2017
// (no optional catch binding): the challenge must run in old browsers too.
(() => {
  const form = document.getElementById('rampart-challenge');
  if (!form) return;
  const status = document.getElementById('rampart-status');
  const bar = document.getElementById('rampart-progress');
  const seed = form.getAttribute('data-seed');
  const bits = +form.getAttribute('data-bits');
  const expected = 2 ** bits;
  let finished = false;
  let workers = [];
  let tried = [];
  const k = Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
  function progress() {
    let n = 0;
    for (let i = 0; i < tried.length; i++) n += tried[i];
    // Chance that a solution has been found by now: honest for a lottery-like search.
    bar.value = Math.min(99, Math.round(100 * (1 - Math.exp(-n / expected))));
  }
  function stopWorkers() {
    for (let i = 0; i < workers.length; i++) workers[i].terminate();
    workers = [];
  }
  function finish(r) {
    if (finished) return;
    finished = true;
    stopWorkers();
    bar.value = 100;
    status.textContent = form.getAttribute('data-done');
    form.elements.solution.value = String(r.counter);
    form.elements.via.value = r.via;
    form.submit();
  }
  function mainThread() {
    stopWorkers();
    tried = [0];
    rampartSolve(
      window,
      seed,
      bits,
      0,
      1,
      (n) => {
        tried[0] = n;
        progress();
      },
      true,
    ).then((r) => {
      r.via += '-main';
      finish(r);
    });
  }
  function start(i) {
    const w = new Worker('/.rampart/challenge/worker.js');
    w.onmessage = (e) => {
      if (e.data.type === 'progress') {
        tried[i] = e.data.attempts;
        progress();
      } else finish(e.data);
    };
    w.onerror = () => {
      if (!finished && workers.length) mainThread();
    };
    w.postMessage({ seed: seed, bits: bits, start: i, step: k });
    workers.push(w);
    tried.push(0);
  }
  try {
    for (let i = 0; i < k; i++) start(i);
  } catch (_noWorkers) {
    mainThread();
  }
})();
